// Browsers and bundlers (and any platform with fetch and import.meta.url): the wasm is fetched
// next to this module and instantiated before the import completes (top-level await).
import initWasm from '../dist/cxone_data_actions.js';
import { register } from './common.js';

await initWasm({ module_or_path: new URL('../dist/cxone_data_actions_bg.wasm', import.meta.url) });
register();

/** Already done at import; kept so code written for any platform can await it. */
export async function init() {}

export { DataActionsClient, DataActionsError } from './common.js';
