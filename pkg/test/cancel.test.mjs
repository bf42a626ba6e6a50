// Cancellation with an AbortSignal: while polling, while a request is in flight, and before
// anything is sent. Each promise must settle promptly after the abort.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';

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

/** Aborts after `ms`; resolves to {error, sinceAbort}. */
async function abortAfter(ms, run) {
  const controller = new AbortController();
  let abortedAt;
  setTimeout(() => {
    abortedAt = Date.now();
    controller.abort();
  }, ms);
  const error = await run(controller.signal).then(
    () => assert.fail('resolved despite the abort'),
    (e) => e,
  );
  assert.ok(abortedAt, 'settled before the abort');
  return { error, sinceAbort: Date.now() - abortedAt };
}

test('never-finishes: aborting while polling rejects with cancelled at once', async () => {
  const client = new DataActionsClient(directOptions(emulator.url, { poll: { initialDelayMs: 100, minIntervalMs: 1000, maxIntervalMs: 5000, jitterPercent: 0 } }));
  const statuses = [];
  const { error, sinceAbort } = await abortAfter(1500, (signal) =>
    client.invoke('never-finishes', {}, { signal, onStatus: (e) => statuses.push(e.status) }),
  );
  assert.ok(error instanceof DataActionsError);
  assert.equal(error.code, 'cancelled');
  assert.match(error.invokeId, /^inv_/);
  assert.equal(error.retryable, false);
  assert.ok(sinceAbort < 300, `settled ${sinceAbort} ms after the abort (poll waits are >= 1 s)`);
  assert.ok(statuses.length >= 1, 'it was polling');
});

test('aborting a request in flight rejects with cancelled at once', async () => {
  const client = new DataActionsClient(directOptions(emulator.url));
  await client.invoke('lookup-customer', { customerId: 'warm' });
  await emulator.configure({ latencyMs: 3000 });
  const { error, sinceAbort } = await abortAfter(200, (signal) =>
    client.invoke('lookup-customer', { customerId: 'slow' }, { signal }),
  );
  assert.equal(error.code, 'cancelled');
  assert.ok(sinceAbort < 300, `settled ${sinceAbort} ms after the abort (the upstream takes 3 s)`);
});

test('an already-aborted signal sends nothing', async () => {
  const client = new DataActionsClient(directOptions(emulator.url));
  const before = await emulator.stats();
  const error = await client.invoke('lookup-customer', { customerId: 'x' }, { signal: AbortSignal.abort() }).catch((e) => e);
  assert.equal(error.code, 'cancelled');
  assert.deepEqual(requestDelta(before, await emulator.stats()), { token: 0, list: 0, definition: 0, invoke: 0, poll: 0, cancel: 0 });
});

test('a signal that is not an AbortSignal is refused', async () => {
  const client = new DataActionsClient(directOptions(emulator.url));
  const error = await client.invoke('lookup-customer', { customerId: 'x' }, { signal: {} }).catch((e) => e);
  assert.equal(error.code, 'bad_input');
  assert.match(error.message, /signal/);
});

test('a signal-like object without listener methods is read, not listened to', async () => {
  // The bindings accept any object with a boolean `aborted` and read it between steps.
  const client = new DataActionsClient(directOptions(emulator.url));
  const result = await client.invoke('lookup-customer', { customerId: 'S-1' }, { signal: { aborted: false } });
  assert.equal(result.status, 'completed');
  const error = await client.invoke('lookup-customer', { customerId: 'S-2' }, { signal: { aborted: true } }).catch((e) => e);
  assert.equal(error.code, 'cancelled');
});
