// Completion callbacks: answered locally (SYNCED / PROCESSED with an audit line), duplicates get
// the first answer; and a real delivery from the emulator to a local HTTP endpoint.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
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

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

test('a completed notification is SYNCED, a failed one PROCESSED, each with an audit line', () => {
  const client = new DataActionsClient(directOptions(emulator.url));
  const synced = client.handleCallback({ invokeId: 'inv-1', actionId: 'export-report', status: 'completed', outputs: { url: 'x' }, latencyMs: 12 });
  assert.equal(synced.callbackStatus, 'SYNCED');
  assert.equal(synced.duplicate, false);
  assert.match(synced.processedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const audit = JSON.parse(synced.auditLog);
  assert.equal(audit.event, 'DATA_ACTION_CALLBACK');
  assert.equal(audit.invokeId, 'inv-1');
  assert.equal(audit.actionId, 'export-report');
  assert.equal(audit.status, 'completed');
  assert.match(audit.payloadHash, /^[0-9a-f]{64}$/);

  const processed = client.handleCallback({ invokeId: 'inv-2', status: 'failed', errors: [{ code: 'X', message: 'boom' }] });
  assert.equal(processed.callbackStatus, 'PROCESSED');
});

test('a duplicate notification returns the first answer', async () => {
  const client = new DataActionsClient(directOptions(emulator.url));
  const payload = { invokeId: 'inv-dup', status: 'completed', outputs: { n: 1 } };
  const first = client.handleCallback(payload);
  await sleep(5);
  const again = client.handleCallback({ ...payload, status: 'failed' });
  assert.equal(again.duplicate, true);
  assert.equal(again.callbackStatus, first.callbackStatus);
  assert.equal(again.processedAt, first.processedAt);
  assert.equal(again.auditLog, first.auditLog);
});

test('a malformed notification is bad_input', () => {
  const client = new DataActionsClient(directOptions(emulator.url));
  for (const payload of [null, 'x', { status: 'completed' }, { invokeId: 'i' }, { invokeId: 'i', status: 'completed', outputs: 3 }]) {
    assert.throws(
      () => client.handleCallback(payload),
      (e) => e instanceof DataActionsError && e.code === 'bad_input',
      JSON.stringify(payload),
    );
  }
});

test('the emulator delivers a callback (twice) to an endpoint that answers with handleCallback', async () => {
  const client = new DataActionsClient(directOptions(emulator.url));
  const acks = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      try {
        const ack = client.handleCallback(JSON.parse(body));
        acks.push(ack);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ack));
      } catch (error) {
        response.writeHead(400).end(String(error));
      }
    });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  try {
    await emulator.configure({ callbackDuplicate: true });
    const callbackUrl = `http://127.0.0.1:${server.address().port}/callbacks`;
    const result = await client.invoke('export-report', { reportName: 'cb', durationMs: 300 }, { callbackUrl });
    for (let i = 0; i < 100 && acks.length < 2; i += 1) await sleep(50);
    assert.equal(acks.length, 2, 'the notification and its duplicate arrived');
    assert.equal(acks[0].callbackStatus, 'SYNCED');
    assert.equal(acks[0].duplicate, false);
    assert.equal(acks[1].duplicate, true);
    assert.equal(acks[1].processedAt, acks[0].processedAt);
    assert.equal(JSON.parse(acks[0].auditLog).invokeId, result.invokeId);
  } finally {
    server.close();
  }
});
