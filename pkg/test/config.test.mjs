// Construction: errors name the field, secrets never show, the custom fetch is used, and a
// client secret is refused in a browser context (checked in child processes with a fake
// window/document, so this process's globals stay untouched).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';

import { DataActionsClient, DataActionsError } from 'cxone-data-actions';
import { directOptions, startEmulator } from './helpers/emulator.mjs';

let emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.stop();
});

function configError(options) {
  try {
    new DataActionsClient(options);
  } catch (error) {
    assert.ok(error instanceof DataActionsError, String(error));
    assert.equal(error.code, 'config', error.message);
    assert.equal(error.retryable, false);
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(options)}`);
}

const base = { tenant: 'acme', clientId: 'id', clientSecret: 's3cr3t-value-xyz' };

test('config errors name the field', () => {
  assert.equal(configError({ ...base, clientId: undefined }).field, 'clientId');
  assert.equal(configError({ ...base, clientSecret: '' }).field, 'clientSecret');
  assert.equal(configError({ ...base, baseUrl: 'http://127.0.0.1:1' }).field, 'tenant');
  assert.equal(configError({ clientId: 'id', clientSecret: 's', baseUrl: 'ftp://x' }).field, 'baseUrl');
  assert.equal(configError({ ...base, tenant: 'not a tenant!' }).field, 'tenant');
  assert.equal(configError({ ...base, timeoutMs: 0 }).field, 'timeoutMs');
  assert.equal(configError({ ...base, retry: { maxAttempts: 50 } }).field, 'retry.maxAttempts');
  assert.equal(configError({ ...base, fetch: 'not a function' }).field, 'fetch');
  assert.equal(configError({ ...base, onStatus: () => {} }).field, 'onStatus');
  assert.match(configError({ ...base, retyr: {} }).message, /retyr/);
  assert.match(configError({ ...base, poll: { maxPollMS: 1 } }).message, /maxPollMS/);
  assert.equal(configError({ ...base, apiKey: 'k' }).field, 'apiKey');
  assert.equal(configError({ proxyUrl: 'https://proxy.example', apiKey: 'k', clientSecret: 's' }).field, 'clientSecret');
  assert.equal(configError({ proxyUrl: 'https://proxy.example' }).field, 'apiKey');
  assert.equal(configError({ proxyUrl: 'proxy.example', apiKey: 'k' }).field, 'proxyUrl');
  assert.equal(configError(null).field, 'options');
});

test('the client secret never appears in a config error', () => {
  const secret = 's3cr3t-value-xyz';
  for (const options of [
    { ...base, tenant: 'bad tenant' },
    { ...base, clientSecret: 42 },
    { ...base, scopes: [] },
    { ...base, unknown: secret },
  ]) {
    const error = configError(options);
    assert.ok(!JSON.stringify(error).includes(secret) && !error.message.includes(secret), error.message);
  }
});

test('a fetch given in the options carries every request', async () => {
  const seen = [];
  const fetch = (url, init) => {
    seen.push(`${init.method} ${new URL(url).pathname}`);
    return globalThis.fetch(url, init);
  };
  const client = new DataActionsClient(directOptions(emulator.url, { fetch }));
  const result = await client.invoke('lookup-customer', { customerId: 'C-1' });
  assert.equal(result.status, 'completed');
  assert.deepEqual(seen, [
    'POST /oauth2/token',
    'GET /api/v2/data-actions/lookup-customer',
    'POST /api/v2/data-actions/lookup-customer/invoke',
  ]);
});

test('a fetch that never answers still ends at the timeout', async () => {
  const client = new DataActionsClient(
    directOptions(emulator.url, { fetch: () => new Promise(() => {}), timeoutMs: 100, retry: { maxAttempts: 1 } }),
  );
  const started = Date.now();
  const error = await client.getAction('lookup-customer').catch((e) => e);
  assert.equal(error.code, 'transport');
  assert.match(error.message, /100 ms/);
  assert.ok(Date.now() - started < 1000);
});

/** Runs `body` in a child Node with a fake browser environment; returns its JSON output. */
function inFakeBrowser(body) {
  const script = `
    globalThis.window = globalThis;
    globalThis.document = { title: 'fake page' };
    const { DataActionsClient } = await import('cxone-data-actions');
    const out = {};
    ${body}
    console.log(JSON.stringify(out));
  `;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: new URL('..', import.meta.url),
    encoding: 'utf8',
  });
  return JSON.parse(stdout);
}

test('direct mode with a client secret is refused in a browser context', () => {
  const out = inFakeBrowser(`
    try {
      new DataActionsClient({ tenant: 'acme', clientId: 'id', clientSecret: 'browser-secret-123' });
      out.accepted = true;
    } catch (e) {
      out.name = e.name; out.code = e.code; out.field = e.field; out.message = e.message;
    }
    out.proxyMode = new DataActionsClient({ proxyUrl: 'https://proxy.example', apiKey: 'k' }).mode;
    out.optedIn = new DataActionsClient({ tenant: 'acme', clientId: 'id', clientSecret: 's', dangerouslyAllowBrowser: true }).mode;
  `);
  assert.equal(out.accepted, undefined, 'the client secret was accepted in a browser');
  assert.equal(out.name, 'DataActionsError');
  assert.equal(out.code, 'config');
  assert.equal(out.field, 'clientSecret');
  assert.match(out.message, /browser/);
  assert.match(out.message, /proxyUrl/);
  assert.ok(!out.message.includes('browser-secret-123'));
  assert.equal(out.proxyMode, 'proxy');
  assert.equal(out.optedIn, 'direct');
});

test('the same construction is accepted outside a browser (this process)', () => {
  assert.equal(typeof globalThis.window, 'undefined');
  assert.equal(new DataActionsClient({ tenant: 'acme', clientId: 'id', clientSecret: 's' }).mode, 'direct');
});
