// The `workerd` entry in workerd itself (through Miniflare from the root node_modules): the
// .wasm is imported as a compiled module, and a direct-mode invocation runs inside the runtime
// against the emulator.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { directOptions, requestDelta, startEmulator } from './helpers/emulator.mjs';

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

// Every module of the package (src/, and dist/ with wasm-bindgen's snippets), as a bundler would
// find them by following imports.
function packageModules() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const files = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
    );
  return [join(root, 'src'), join(root, 'dist')]
    .flatMap(files)
    .filter((file) => file.endsWith('.js') || file.endsWith('.wasm'))
    .map((path) => ({ type: path.endsWith('.wasm') ? 'CompiledWasm' : 'ESModule', path }));
}

const worker = `
import { DataActionsClient, DataActionsError } from './src/workerd.js';
export default {
  async fetch(request, env) {
    const options = await request.json();
    if (new URL(request.url).pathname === '/redirected') {
      try {
        await new DataActionsClient(options).invoke('lookup-customer', { customerId: 'W-8' });
        return Response.json({ completed: true });
      } catch (e) {
        return Response.json({ code: e.code, status: e.status, retryable: e.retryable, message: e.message });
      }
    }
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

function startWorker() {
  return new Miniflare({
    modules: [
      { type: 'ESModule', path: fileURLToPath(new URL('../worker.js', import.meta.url)), contents: worker },
      ...packageModules(),
    ],
    modulesRoot: fileURLToPath(new URL('..', import.meta.url)),
    compatibilityDate: '2025-01-01',
  });
}

test('the workerd entry loads the wasm as a module and invokes inside workerd', { timeout: 120_000 }, async () => {
  mf ??= startWorker();
  const response = await mf.dispatchFetch('http://worker/', { method: 'POST', body: JSON.stringify(directOptions(emulator.url)) });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.deepEqual(body, { status: 'completed', customerId: 'W-7', errorCode: 'forbidden' });
});

test('in workerd a redirect comes back as an upstream error naming it, and is not followed', { timeout: 120_000 }, async () => {
  // workerd has no redirect: "error"; the transport asks for "manual" there and the core refuses
  // the 3xx. Every request is sent on to the emulator, which would answer if it were followed.
  const redirector = createServer((request, response) => {
    response.writeHead(302, { location: `${emulator.url}${request.url}?sig=not-for-logs` }).end();
  });
  await new Promise((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  try {
    mf ??= startWorker();
    const before = await emulator.stats();
    const options = directOptions(`http://127.0.0.1:${redirector.address().port}`);
    const response = await mf.dispatchFetch('http://worker/redirected', { method: 'POST', body: JSON.stringify(options) });
    const body = await response.json();
    assert.equal(body.code, 'upstream', JSON.stringify(body));
    assert.equal(body.status, 302);
    assert.equal(body.retryable, false);
    assert.match(body.message, new RegExp(`redirect to ${emulator.url}/oauth2/token, which this client does not follow`));
    assert.doesNotMatch(body.message, /not-for-logs/);
    const after = await emulator.stats();
    assert.deepEqual(requestDelta(before, after), { cancel: 0, definition: 0, invoke: 0, list: 0, poll: 0, token: 0 });
  } finally {
    redirector.close();
  }
});
