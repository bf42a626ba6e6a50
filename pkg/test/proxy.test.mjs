// Proxy mode against a stand-in for the Worker's HTTP API (the contract: /v1/actions/{id},
// /v1/actions/{id}/invoke?wait=N, /v1/invocations/{id}?wait=N, {error: {...}} bodies), served
// over real HTTP by this file. The Worker itself is tested by tests/e2e.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, beforeEach, test } from 'node:test';

import { DataActionsClient, DataActionsError } from 'cxone-data-actions';

const API_KEY = 'proxy-key-0123456789';
let server;
let proxyUrl;
const requests = [];
const invocations = new Map();
let nextId = 1;

const definition = { id: 'quick', name: 'Quick', inputs: [{ name: 'q', type: 'string', required: true }], outputs: [] };

function send(response, status, body, headers = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function error(response, status, code, message, extra = {}) {
  send(response, status, { error: { code, message, status, retryable: false, ...extra } });
}

function record(inv) {
  const now = new Date().toISOString();
  return {
    invocationId: inv.id, actionId: inv.actionId, invokeId: inv.invokeId, status: inv.status,
    pollCount: inv.polls, createdAt: now, updatedAt: now,
    ...(inv.status === 'completed' ? { outputs: { echo: inv.inputs.q ?? null }, latencyMs: 42, audit: { event: 'DATA_ACTION_INVOCATION', invokeId: inv.invokeId } } : {}),
    ...(inv.status === 'failed' ? { error: { code: 'execution_failed', message: 'the backend said no', invokeId: inv.invokeId } } : {}),
  };
}

/** Resolves when the invocation leaves `pending`, or after `waitS` seconds. */
function waitForChange(inv, waitS) {
  if (inv.status !== 'pending' || waitS <= 0) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(done, waitS * 1000);
    inv.waiters.push(() => {
      clearTimeout(timer);
      done();
    });
  });
}

function settle(inv, status, afterMs) {
  setTimeout(() => {
    inv.status = status;
    for (const wake of inv.waiters.splice(0)) wake();
  }, afterMs);
}

async function handle(request, response) {
  const url = new URL(request.url, 'http://proxy');
  let body = '';
  for await (const chunk of request) body += chunk;
  requests.push({ method: request.method, path: url.pathname + url.search, auth: request.headers.authorization, idempotencyKey: request.headers['idempotency-key'], body });
  if (request.headers.authorization !== `Bearer ${API_KEY}`) return error(response, 401, 'unauthorized', 'bad API key');
  const wait = Number(url.searchParams.get('wait') ?? 0);
  let match;
  if (request.method === 'GET' && url.pathname === '/v1/actions') {
    // Two pages: 'quick' then 'slow'; the cursor is whatever the stand-in likes.
    if (url.searchParams.get('cursor') === 'page-2') return send(response, 200, { actions: [{ id: 'slow', mode: 'async' }], cursor: null, source: 'upstream' });
    return send(response, 200, { actions: [{ id: 'quick', name: 'Quick', mode: 'sync' }], cursor: 'page-2', source: 'upstream' });
  }
  if (request.method === 'GET' && url.pathname === '/v1/invocations') {
    const wanted = [...invocations.values()].reverse()
      .filter((inv) => !url.searchParams.get('actionId') || inv.actionId === url.searchParams.get('actionId'))
      .filter((inv) => !url.searchParams.get('status') || inv.status === url.searchParams.get('status'));
    return send(response, 200, { invocations: wanted.map(record), cursor: null });
  }
  if (request.method === 'POST' && (match = /^\/v1\/actions\/([^/]+)\/validate$/.exec(url.pathname))) {
    const { inputs = {} } = JSON.parse(body || '{}');
    if (inputs.q === undefined) {
      return error(response, 422, 'validation', '1 input problem(s)', { issues: [{ parameter: 'q', kind: 'missing_required', expected: 'string', message: '`q` is required (string)' }] });
    }
    return send(response, 200, { valid: true, inputs: { q: String(inputs.q) } });
  }
  if (request.method === 'GET' && (match = /^\/v1\/actions\/([^/]+)$/.exec(url.pathname))) {
    if (match[1] === 'quick') return send(response, 200, definition);
    return error(response, 404, 'not_found', `data action ${match[1]} does not exist`);
  }
  if (request.method === 'POST' && (match = /^\/v1\/actions\/([^/]+)\/invoke$/.exec(url.pathname))) {
    const actionId = match[1];
    const { inputs = {}, context } = JSON.parse(body || '{}');
    if (actionId === 'forbidden') return error(response, 403, 'forbidden', 'role missing', { missingScope: 'data-actions:execute' });
    if (actionId === 'invalid') {
      return error(response, 422, 'validation', '2 input problem(s)', {
        issues: [
          { parameter: 'a', kind: 'missing_required', expected: 'string', message: '`a` is required (string)' },
          { parameter: 'b', kind: 'wrong_type', expected: 'integer', message: '`b` must be an integer' },
        ],
      });
    }
    if (actionId === 'busy') return send(response, 429, { error: { code: 'rate_limited', message: 'slow down', status: 429, retryable: true, retryAfterMs: 3000 } });
    const inv = { id: `pi_${nextId++}`, actionId, invokeId: `inv_${nextId}`, status: 'pending', inputs, context, polls: 0, waiters: [] };
    invocations.set(inv.id, inv);
    if (actionId === 'quick') inv.status = 'completed';
    if (actionId === 'slow') settle(inv, 'completed', 700);
    if (actionId === 'failing') settle(inv, 'failed', 300);
    await waitForChange(inv, Math.min(wait, actionId === 'slow' ? 0.2 : wait));
    if (inv.status === 'pending') {
      return send(response, 202, { invocationId: inv.id, status: 'pending' }, { location: `/v1/invocations/${inv.id}` });
    }
    return send(response, 200, record(inv));
  }
  if (request.method === 'GET' && (match = /^\/v1\/invocations\/([^/]+)$/.exec(url.pathname))) {
    const inv = invocations.get(match[1]);
    if (!inv) return error(response, 404, 'not_found', `invocation ${match[1]} does not exist`);
    inv.polls += 1;
    await waitForChange(inv, wait);
    return send(response, 200, record(inv));
  }
  return error(response, 404, 'not_found', 'no such route');
}

before(async () => {
  server = createServer((request, response) => {
    handle(request, response).catch((e) => error(response, 500, 'upstream', String(e)));
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  proxyUrl = `http://127.0.0.1:${server.address().port}/`;
});
after(() => {
  server.closeAllConnections?.();
  server.close();
});
beforeEach(() => {
  requests.length = 0;
});

const client = () => new DataActionsClient({ proxyUrl, apiKey: API_KEY });

async function rejection(promise) {
  const error = await promise.then(() => assert.fail('resolved'), (e) => e);
  assert.ok(error instanceof DataActionsError, String(error));
  return error;
}

test('getAction and a finished invoke go through the proxy with the API key', async () => {
  const proxied = client();
  assert.equal(proxied.mode, 'proxy');
  assert.deepEqual(await proxied.getAction('quick'), definition);
  const result = await proxied.invoke('quick', { q: 'hello' }, { context: { agent: 7 } });
  assert.equal(result.status, 'completed');
  assert.deepEqual(result.outputs, { echo: 'hello' });
  assert.equal(result.latencyMs, 42);
  assert.match(result.invocationId, /^pi_/);
  assert.match(result.invokeId, /^inv_/);
  assert.deepEqual(requests.map((r) => `${r.method} ${r.path}`), ['GET /v1/actions/quick', 'POST /v1/actions/quick/invoke?wait=25']);
  assert.ok(requests.every((r) => r.auth === `Bearer ${API_KEY}`));
});

test('a pending invoke is followed on the invocations route until it completes', async () => {
  const statuses = [];
  const result = await client().invoke('slow', { q: 'x' }, { onStatus: (e) => statuses.push(e.status) });
  assert.equal(result.status, 'completed');
  assert.deepEqual(statuses, ['pending', 'completed']);
  const paths = requests.map((r) => r.path);
  assert.equal(paths[0], '/v1/actions/slow/invoke?wait=25');
  assert.match(paths[1], /^\/v1\/invocations\/pi_\d+\?wait=25$/);
  assert.equal(paths.length, 2, 'the held request returned at completion');
});

test('getInvocation reads the record by invocationId', async () => {
  const proxied = client();
  const done = await proxied.invoke('quick', { q: 'r' });
  const state = await proxied.getInvocation('quick', done.invocationId);
  assert.equal(state.status, 'completed');
  assert.equal(state.invocationId, done.invocationId);
  assert.equal(requests.at(-1).path, `/v1/invocations/${done.invocationId}`);
  const missing = await rejection(proxied.getInvocation('quick', 'pi_nope'));
  assert.equal(missing.code, 'not_found');
  assert.equal(missing.status, 404);
});

test('a failed execution rejects with execution_failed carrying the invokeId', async () => {
  const error = await rejection(client().invoke('failing', {}));
  assert.equal(error.code, 'execution_failed');
  assert.match(error.invokeId, /^inv_/);
  assert.equal(error.message, 'the backend said no');
});

test('error bodies become DataActionsError with their fields', async () => {
  const proxied = client();
  const forbidden = await rejection(proxied.invoke('forbidden', {}));
  assert.equal(forbidden.code, 'forbidden');
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.missingScope, 'data-actions:execute');
  const invalid = await rejection(proxied.invoke('invalid', {}));
  assert.equal(invalid.code, 'validation');
  assert.deepEqual(invalid.issues.map((i) => [i.parameter, i.kind]), [['a', 'missing_required'], ['b', 'wrong_type']]);
  const busy = await rejection(proxied.invoke('busy', {}));
  assert.equal(busy.code, 'rate_limited');
  assert.equal(busy.retryable, true);
  assert.equal(busy.retryAfterMs, 3000);
  const missing = await rejection(proxied.getAction('nope'));
  assert.equal(missing.code, 'not_found');
  const unauthorized = await rejection(new DataActionsClient({ proxyUrl, apiKey: 'wrong-key' }).getAction('quick'));
  assert.equal(unauthorized.code, 'unauthorized');
  assert.ok(!unauthorized.message.includes('wrong-key'));
});

test('an abort while the proxy holds the request rejects with cancelled at once', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  const started = Date.now();
  const error = await rejection(client().invoke('hang', {}, { signal: controller.signal }));
  assert.equal(error.code, 'cancelled');
  assert.ok(Date.now() - started < 600, `settled after ${Date.now() - started} ms`);
});

test('maxPollMs bounds the wait and shortens ?wait=', async () => {
  const started = Date.now();
  const error = await rejection(client().invoke('hang', {}, { maxPollMs: 1500 }));
  assert.equal(error.code, 'timeout');
  assert.ok(Date.now() - started < 3500, `gave up after ${Date.now() - started} ms`);
  assert.equal(requests[0].path, '/v1/actions/hang/invoke?wait=1');
});

test('validateInputs is local in proxy mode too', () => {
  const coerced = client().validateInputs(definition, { q: 5 });
  assert.deepEqual(coerced, { q: '5' });
  assert.equal(requests.length, 0);
});

test('listActions follows the cursor the Worker hands out', async () => {
  const c = client();
  const first = await c.listActions({ limit: 1 });
  assert.deepEqual(first, { actions: [{ id: 'quick', name: 'Quick', mode: 'sync' }], cursor: 'page-2', source: 'upstream' });
  const second = await c.listActions({ cursor: first.cursor, limit: 1 });
  assert.equal(second.cursor, null);
  assert.deepEqual(requests.map((r) => r.path), ['/v1/actions?limit=1', '/v1/actions?limit=1&cursor=page-2']);
  for (const bad of [{ limit: 0 }, { limit: 1.5 }, { cursor: 3 }, { page: 2 }]) {
    assert.equal((await rejection(c.listActions(bad))).code, 'bad_input', JSON.stringify(bad));
  }
});

test('validate asks the Worker: coerced inputs, or issues per field', async () => {
  const c = client();
  assert.deepEqual(await c.validate('quick', { q: 5 }), { q: '5' });
  const error = await rejection(c.validate('quick', {}));
  assert.equal(error.code, 'validation');
  assert.deepEqual(error.issues.map((i) => [i.parameter, i.kind]), [['q', 'missing_required']]);
  assert.equal(requests[0].path, '/v1/actions/quick/validate');
  assert.deepEqual(JSON.parse(requests[0].body), { inputs: { q: 5 } });
});

test('idempotencyKey is sent as Idempotency-Key; status events carry the invocationId', async () => {
  const events = [];
  const result = await client().invoke('slow', { q: 'x' }, { idempotencyKey: 'key-0001', firstWaitS: 0, onStatus: (e) => events.push(e) });
  assert.equal(result.status, 'completed');
  assert.equal(requests[0].idempotencyKey, 'key-0001');
  assert.equal(requests[0].path, '/v1/actions/slow/invoke?wait=0', 'the first answer is not held');
  assert.match(requests[1].path, /wait=25$/, 'the follow-up read is');
  for (const bad of [-1, 26, 1.5, '3']) {
    assert.equal((await rejection(client().invoke('slow', {}, { firstWaitS: bad }))).code, 'bad_input', String(bad));
  }
  assert.deepEqual(events.map((e) => e.status), ['pending', 'completed']);
  assert.ok(events.every((e) => e.invocationId === result.invocationId), JSON.stringify(events));
  assert.equal((await rejection(client().invoke('slow', {}, { idempotencyKey: 7 }))).code, 'bad_input');
});

test('listInvocations passes its filters and returns the records', async () => {
  await client().invoke('quick', { q: 'h' });
  const page = await client().listInvocations({ actionId: 'quick', status: 'completed', limit: 5 });
  assert.ok(page.invocations.length >= 1);
  assert.ok(page.invocations.every((r) => r.actionId === 'quick' && r.status === 'completed'));
  assert.equal(page.cursor, null);
  assert.equal(requests.at(-1).path, '/v1/invocations?limit=5&actionId=quick&status=completed');
  assert.equal((await rejection(client().listInvocations({ actionId: 'a b' }))).code, 'bad_input');
});

test('direct mode: the lists and idempotencyKey need proxy mode', async () => {
  const direct = new DataActionsClient({ baseUrl: 'http://127.0.0.1:9', clientId: 'i', clientSecret: 's' });
  assert.match((await rejection(direct.listActions())).message, /proxy mode/);
  assert.match((await rejection(direct.listInvocations())).message, /proxy mode/);
  assert.match((await rejection(direct.invoke('quick', {}, { idempotencyKey: 'k' }))).message, /proxy mode/);
});
