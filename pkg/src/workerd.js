// Cloudflare Workers (workerd) and bundlers with the `worker` condition: importing a .wasm
// file yields a compiled WebAssembly.Module, instantiated synchronously.
import wasmModule from '../dist/cxone_data_actions_bg.wasm';
import { initSync } from '../dist/cxone_data_actions.js';
import { register } from './common.js';

initSync({ module: wasmModule });
register();

/** Already done at import; kept so code written for any platform can await it. */
export async function init() {}

export { DataActionsClient, DataActionsError } from './common.js';
