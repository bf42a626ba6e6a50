// Node 18+: the wasm is read from disk and compiled synchronously at import.
import { readFileSync } from 'node:fs';
import { initSync } from '../dist/cxone_data_actions.js';
import { register } from './common.js';

initSync({ module: readFileSync(new URL('../dist/cxone_data_actions_bg.wasm', import.meta.url)) });
register();

/** Already done at import; kept so code written for any platform can await it. */
export async function init() {}

export { DataActionsClient, DataActionsError } from './common.js';
