// The `workerd` entry in workerd itself (through Miniflare from the root node_modules): the
// .wasm is imported as a compiled module, and a direct-mode invocation runs inside the runtime
// against the emulator.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { directOptions, startEmulator } from './helpers/emulator.mjs';

// Miniflare comes with wrangler in the root devDependencies (npm ci at the root).
const { Miniflare } = await import('miniflare');

let emulator;
let mf;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await mf?.dispose();
  await emulator?.stop();
});

const worker = `
import { DataActionsClient, DataActionsError } from './src/workerd.js';
export default {
  async fetch(request, env) {
    const options = await request.json();
    try {
      const client = new DataActionsClient(options);
      const result = await client.invoke('lookup-customer', { customerId: 'W-7' });
      let code;
      try { await client.invoke('restricted', {}); } catch (e) { code = (e instanceof DataActionsError) && e.code; }
      return Response.json({ status: result.status, customerId: result.outputs.customerId, errorCode: code });
    } catch (e) {
      return Response.json({ thrown: String(e), code: e.code }, { status: 500 });
    }
  },
};`;

test('the workerd entry loads the wasm as a module and invokes inside workerd', async () => {
  mf = new Miniflare({
    modules: [
      { type: 'ESModule', path: fileURLToPath(new URL('../worker.js', import.meta.url)), contents: worker },
      { type: 'ESModule', path: fileURLToPath(new URL('../src/workerd.js', import.meta.url)) },
      { type: 'ESModule', path: fileURLToPath(new URL('../src/common.js', import.meta.url)) },
      { type: 'ESModule', path: fileURLToPath(new URL('../src/errors.js', import.meta.url)) },
      { type: 'ESModule', path: fileURLToPath(new URL('../dist/cxone_data_actions.js', import.meta.url)) },
      { type: 'CompiledWasm', path: fileURLToPath(new URL('../dist/cxone_data_actions_bg.wasm', import.meta.url)) },
    ],
    modulesRoot: fileURLToPath(new URL('..', import.meta.url)),
    compatibilityDate: '2025-01-01',
  });
  const response = await mf.dispatchFetch('http://worker/', { method: 'POST', body: JSON.stringify(directOptions(emulator.url)) });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.deepEqual(body, { status: 'completed', customerId: 'W-7', errorCode: 'forbidden' });
});
