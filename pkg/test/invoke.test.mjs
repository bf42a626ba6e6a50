// Invocations against the emulator over real HTTP: sync, async with status reports, caching,
// validation and the error kinds.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { createHash } from 'node:crypto';

import { DataActionsClient, DataActionsError } from 'cxone-data-actions';
import { directOptions, requestDelta, startEmulator } from './helpers/emulator.mjs';

let emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});

async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DataActionsError, `not a DataActionsError: ${error}`);
    assert.ok(error instanceof Error);
    return error;
  }
  assert.fail('the call did not reject');
}

describe('sync invocation', () => {
  test('lookup-customer completes with typed outputs, latency and audit', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const result = await client.invoke('lookup-customer', { customerId: 'C-42', maxResults: '5' });
    assert.equal(result.status, 'completed');
    assert.equal(result.actionId, 'lookup-customer');
    assert.match(result.invokeId, /^inv_/);
    assert.equal(result.outputs.customerId, 'C-42');
    assert.equal(typeof result.outputs.balance, 'number');
    assert.equal(typeof result.outputs.vip, 'boolean');
    assert.equal(typeof result.latencyMs, 'number');
    assert.equal(result.audit.event, 'DATA_ACTION_INVOCATION');
    assert.equal(result.audit.invokeId, result.invokeId);
    assert.match(result.audit.payloadHash, /^[0-9a-f]{64}$/);
    assert.equal(client.mode, 'direct');
  });

  test('a third party recomputes the audit payloadHash with RFC 8785 in a few lines of JS', async () => {
    // JCS (RFC 8785): JSON.stringify writes strings and numbers as JCS does; sort() orders keys
    // by UTF-16 code units. The README shows the same lines.
    const jcs = (v) => v === null || typeof v !== 'object' ? JSON.stringify(v)
      : Array.isArray(v) ? `[${v.map(jcs).join(',')}]`
      : `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${jcs(v[k])}`).join(',')}}`;
    const client = new DataActionsClient(directOptions(emulator.url));
    const inputs = { maxResults: '5', customerId: 'C-\u20ac-\u{1F600}-\uFB33' };
    const context = { b: 1.5, a: [1e21, 4.5, 0.000001, 1e-7], '\uFB33': 'x', '\u{1F600}': 'y' };
    const result = await client.invoke('lookup-customer', inputs, { context });
    const sent = client.validateInputs(await client.getAction('lookup-customer'), inputs);
    const expected = createHash('sha256').update(jcs({ inputs: sent, context })).digest('hex');
    assert.equal(result.audit.payloadHash, expected);
  });

  test('a warm invoke makes exactly one upstream request', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    await client.invoke('lookup-customer', { customerId: 'C-1' });
    const before = await emulator.stats();
    const result = await client.invoke('lookup-customer', { customerId: 'C-2' });
    const delta = requestDelta(before, await emulator.stats());
    assert.equal(result.outputs.customerId, 'C-2');
    assert.deepEqual(delta, { token: 0, list: 0, definition: 0, invoke: 1, poll: 0, cancel: 0 });
  });

  test('the ten-input create-ticket action, coerced losslessly', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const result = await client.invoke('create-ticket', {
      subject: 'Printer on fire',
      body: 'Again.',
      priority: '2',
      severity: 4.5,
      urgent: 'true',
      tags: ['hardware'],
      customer: { id: 'C-7' },
      channel: 'email',
      dueInDays: 3,
      notify: false,
    });
    assert.equal(result.status, 'completed');
    assert.equal(typeof result.outputs.ticketId, 'string');
  });
});

describe('async invocation', () => {
  test('export-report is polled to completion and reports queued, running, completed', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const events = [];
    const before = await emulator.stats();
    const result = await client.invoke(
      'export-report',
      { reportName: 'daily', durationMs: 700 },
      { onStatus: (event) => events.push(event) },
    );
    const delta = requestDelta(before, await emulator.stats());
    assert.equal(result.status, 'completed');
    assert.match(result.outputs.url, /\.csv$/);
    assert.deepEqual(events.map((e) => e.status), ['queued', 'running', 'completed']);
    assert.ok(events.every((e) => e.invokeId === result.invokeId));
    assert.ok(result.polls >= 2 && result.polls === delta.poll, `polls ${result.polls}, upstream saw ${delta.poll}`);
    assert.ok(result.latencyMs >= 700, `latency ${result.latencyMs}`);
  });

  test('getInvocation reads one status by invokeId', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const done = await client.invoke('export-report', { reportName: 'r', durationMs: 200 });
    const state = await client.getInvocation('export-report', done.invokeId);
    assert.equal(state.status, 'completed');
    assert.equal(state.invokeId, done.invokeId);
    assert.deepEqual(state.outputs, done.outputs);
    const missing = await rejection(client.getInvocation('export-report', 'inv_does_not_exist'));
    assert.equal(missing.code, 'not_found');
    assert.equal(missing.invokeId, 'inv_does_not_exist');
  });

  test('a throwing onStatus listener does not break the invocation', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const result = await client.invoke('export-report', { reportName: 'r', durationMs: 200 }, {
      onStatus: () => {
        throw new Error('listener bug');
      },
    });
    assert.equal(result.status, 'completed');
  });

  test('maxPollMs ends waiting with a timeout error carrying the invokeId', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const started = Date.now();
    const error = await rejection(client.invoke('never-finishes', {}, { maxPollMs: 600 }));
    assert.equal(error.code, 'timeout');
    assert.match(error.invokeId, /^inv_/);
    assert.equal(error.retryable, false);
    assert.ok(Date.now() - started < 3000);
  });
});

describe('definitions and validation', () => {
  test('getAction returns the definition; validateInputs coerces locally', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const definition = await client.getAction('create-ticket');
    assert.equal(definition.id, 'create-ticket');
    assert.equal(definition.inputs.length, 10);
    assert.equal(definition.name, 'Create ticket');
    const before = await emulator.stats();
    const coerced = client.validateInputs(definition, {
      subject: 's', body: 'b', priority: '3', severity: '2.5', urgent: 'false', tags: [], customer: {},
    });
    assert.deepEqual(coerced, { subject: 's', body: 'b', priority: 3, severity: 2.5, urgent: false, tags: [], customer: {} });
    assert.deepEqual(requestDelta(before, await emulator.stats()), { token: 0, list: 0, definition: 0, invoke: 0, poll: 0, cancel: 0 });
  });

  test('validateInputs throws with every problem, each naming its parameter', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const definition = await client.getAction('create-ticket');
    let thrown;
    try {
      client.validateInputs(definition, { subject: { text: 'x' }, priority: 1.5, urgent: 'maybe', tags: 'x', bogus: true });
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof DataActionsError);
    assert.equal(thrown.code, 'validation');
    const byParameter = Object.fromEntries(thrown.issues.map((i) => [i.parameter, i.kind]));
    assert.deepEqual(byParameter, {
      body: 'missing_required',
      severity: 'missing_required',
      customer: 'missing_required',
      subject: 'wrong_type',
      priority: 'wrong_type',
      urgent: 'wrong_type',
      tags: 'wrong_type',
      bogus: 'unknown_parameter',
    });
    for (const issue of thrown.issues) assert.ok(issue.message.includes(issue.parameter), issue.message);
  });

  test('invoke with invalid inputs rejects before any invoke request', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const before = await emulator.stats();
    const error = await rejection(client.invoke('lookup-customer', { includeHistory: 'perhaps', extra: 1 }));
    assert.equal(error.code, 'validation');
    assert.equal(error.retryable, false);
    assert.deepEqual(error.issues.map((i) => i.parameter).sort(), ['customerId', 'extra', 'includeHistory']);
    assert.equal(requestDelta(before, await emulator.stats()).invoke, 0);
  });

  test('malformed arguments are bad_input', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    assert.equal((await rejection(client.invoke('../etc', {}))).code, 'bad_input');
    assert.equal((await rejection(client.invoke('lookup-customer', [1, 2]))).code, 'bad_input');
    assert.equal((await rejection(client.invoke('lookup-customer', {}, { onstatus: () => {} }))).code, 'bad_input');
    assert.throws(() => client.validateInputs({ nope: true }, {}), (e) => e instanceof DataActionsError && e.code === 'bad_input');
  });

  test('dot-segment ids are bad_input and nothing is sent, not even the token request', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const before = await emulator.stats();
    for (const id of ['..', '.', '...']) {
      assert.equal((await rejection(client.getAction(id))).code, 'bad_input', id);
      assert.equal((await rejection(client.invoke(id, {}))).code, 'bad_input', id);
      assert.equal((await rejection(client.getInvocation('lookup-customer', id))).code, 'bad_input', id);
    }
    const delta = requestDelta(before, await emulator.stats());
    assert.ok(Object.values(delta).every((n) => n === 0), JSON.stringify(delta));
  });
});

describe('errors', () => {
  test('restricted is forbidden (403)', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const error = await rejection(client.invoke('restricted', {}));
    assert.equal(error.code, 'forbidden');
    assert.equal(error.status, 403);
    assert.equal(error.retryable, false);
  });

  test('an unknown action is not_found (404)', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const error = await rejection(client.invoke('no-such-action', {}));
    assert.equal(error.code, 'not_found');
    assert.equal(error.status, 404);
  });

  test('sync-fails is execution_failed with the upstream error', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const definition = await client.getAction('sync-fails');
    const inputs = Object.fromEntries(
      definition.inputs.filter((p) => p.required).map((p) => [p.name, p.type === 'string' ? 'x' : 1]),
    );
    const error = await rejection(client.invoke('sync-fails', inputs));
    assert.equal(error.code, 'execution_failed');
    assert.equal(error.status, 500);
    assert.equal(typeof error.upstreamCode, 'string');
    assert.equal(error.retryable, false);
  });

  test('async-fails rejects with execution_failed carrying the invokeId', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const error = await rejection(client.invoke('async-fails', {}));
    assert.equal(error.code, 'execution_failed');
    assert.match(error.invokeId, /^inv_/);
  });

  test('async-cancelled rejects with cancelled carrying the invokeId', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const error = await rejection(client.invoke('async-cancelled', {}));
    assert.equal(error.code, 'cancelled');
    assert.match(error.invokeId, /^inv_/);
  });

  test('errors serialize to JSON with their fields', async () => {
    const client = new DataActionsClient(directOptions(emulator.url));
    const error = await rejection(client.invoke('restricted', {}));
    const json = JSON.parse(JSON.stringify(error));
    assert.equal(json.code, 'forbidden');
    assert.equal(json.status, 403);
    assert.equal(json.name, 'DataActionsError');
  });
});
