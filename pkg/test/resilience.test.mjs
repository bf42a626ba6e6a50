// Recovery and its limits against the emulator: 429 with Retry-After, revoked and expiring
// tokens mid-poll, per-request timeouts, the invoke POST that is never repeated blindly, and
// redirects that are not followed.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
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

test('rate-limited: two 429s with Retry-After are waited out, then the invoke completes', async () => {
  await emulator.configure({ rateLimitedFirst: 2, retryAfterSecs: 1 });
  const client = new DataActionsClient(directOptions(emulator.url));
  await client.getAction('rate-limited');
  const before = await emulator.stats();
  const started = Date.now();
  const result = await client.invoke('rate-limited', { customerId: 'C-9' });
  const elapsed = Date.now() - started;
  const after = await emulator.stats();
  assert.equal(result.status, 'completed');
  assert.equal(requestDelta(before, after).invoke, 3, 'two refused invokes, then the one that ran');
  assert.ok(elapsed >= 1900, `Retry-After honoured: ${elapsed} ms`);
});

test('rate-limited beyond the retry policy: rate_limited, retryable, with retryAfterMs', async () => {
  await emulator.configure({ rateLimitedFirst: 5, retryAfterSecs: 1 });
  const client = new DataActionsClient(directOptions(emulator.url, { retry: { maxAttempts: 2 } }));
  await assert.rejects(client.invoke('rate-limited', { customerId: 'C-9' }), (error) => {
    assert.ok(error instanceof DataActionsError);
    assert.equal(error.code, 'rate_limited');
    assert.equal(error.status, 429);
    assert.equal(error.retryable, true);
    // The emulator alternates `Retry-After: 1` and an HTTP date about a second ahead.
    assert.ok(error.retryAfterMs > 0 && error.retryAfterMs <= 2000, `retryAfterMs ${error.retryAfterMs}`);
    return true;
  });
});

test('tokens revoked during polling: the client refreshes once and the invocation completes', async () => {
  const client = new DataActionsClient(directOptions(emulator.url));
  let revoked;
  const before = await emulator.stats();
  const result = await client.invoke('export-report', { reportName: 'r', durationMs: 1500 }, {
    onStatus: (event) => {
      if (event.status === 'running' && !revoked) revoked = emulator.revokeTokens();
    },
  });
  await revoked;
  const delta = requestDelta(before, await emulator.stats());
  assert.equal(result.status, 'completed');
  assert.ok(revoked, 'the revocation happened mid-poll');
  assert.equal(delta.token, 2, 'one token before, one after the revocation');
  assert.equal(delta.invoke, 1, 'the invoke itself was not repeated');
});

test('a short-lived token expiring mid-poll is replaced before it is refused', async () => {
  // Tokens granted for under 4 minutes are refreshed a quarter of their lifetime early: a 2 s token
  // after 1.5 s, during the 2.5 s job.
  await emulator.configure({ tokenLifetimeSecs: 2 });
  const client = new DataActionsClient(directOptions(emulator.url));
  const before = await emulator.stats();
  const result = await client.invoke('export-report', { reportName: 'r', durationMs: 2500 });
  const delta = requestDelta(before, await emulator.stats());
  assert.equal(result.status, 'completed');
  assert.ok(delta.token >= 2, `tokens fetched: ${delta.token}`);
});

test('a 60 s token is reused for the calls of its first 45 s, not refreshed on each', async () => {
  await emulator.configure({ tokenLifetimeSecs: 60 });
  const client = new DataActionsClient(directOptions(emulator.url, { definitionTtlMs: 0 }));
  const before = await emulator.stats();
  for (let i = 0; i < 5; i += 1) await client.invoke('lookup-customer', { customerId: `C-${i}` });
  const delta = requestDelta(before, await emulator.stats());
  assert.equal(delta.invoke, 5);
  assert.equal(delta.token, 1, `tokens fetched: ${delta.token}`);
});

test('a slow upstream hits the per-request timeout; GETs are retried, the invoke POST is not', async () => {
  const client = new DataActionsClient(
    directOptions(emulator.url, { timeoutMs: 300, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 } }),
  );
  await client.invoke('lookup-customer', { customerId: 'warm' });
  await emulator.configure({ latencyMs: 1500 });
  const before = await emulator.stats();
  const started = Date.now();
  const error = await client.invoke('lookup-customer', { customerId: 'slow' }).catch((e) => e);
  const elapsed = Date.now() - started;
  assert.ok(error instanceof DataActionsError);
  assert.equal(error.code, 'transport');
  assert.equal(error.retryable, false, 'the invoke may have run upstream');
  assert.match(error.message, /300 ms/);
  assert.ok(elapsed < 1000, `gave up after ${elapsed} ms`);
  assert.equal(requestDelta(before, await emulator.stats()).invoke, 1, 'the invoke POST was sent once');

  const fresh = new DataActionsClient(
    directOptions(emulator.url, { timeoutMs: 200, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } }),
  );
  const tokenError = await fresh.getAction('lookup-customer').catch((e) => e);
  assert.equal(tokenError.code, 'transport');
  assert.equal(tokenError.retryable, true);
  assert.match(tokenError.message, /2 attempt/);
});

test('wrong credentials: unauthorized, and the secret appears nowhere in the error', async () => {
  const secret = 'wrong-secret-a1b2c3d4';
  const client = new DataActionsClient(directOptions(emulator.url, { clientSecret: secret }));
  const error = await client.invoke('lookup-customer', { customerId: 'x' }).catch((e) => e);
  assert.ok(error instanceof DataActionsError);
  assert.equal(error.code, 'unauthorized');
  assert.ok(!JSON.stringify(error).includes(secret));
  assert.ok(!String(error.stack).includes(secret));
  assert.ok(!error.message.includes(secret));
});

test('redirects are not followed: the call fails naming the redirect and its target sees nothing', async () => {
  // Every request is sent on to the emulator with a 307, which would work if it were followed.
  let redirected = 0;
  const redirector = createServer((request, response) => {
    redirected += 1;
    response.writeHead(307, { location: `${emulator.url}${request.url}` }).end();
  });
  await new Promise((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  try {
    const client = new DataActionsClient(directOptions(`http://127.0.0.1:${redirector.address().port}`));
    const before = await emulator.stats();
    const started = Date.now();
    await assert.rejects(client.invoke('lookup-customer', { customerId: 'C-1' }), (error) => {
      assert.ok(error instanceof DataActionsError);
      assert.equal(error.code, 'transport');
      assert.equal(error.retryable, false, 'a redirect is not retried: it would come again');
      assert.match(error.message, /redirect/);
      assert.doesNotMatch(error.message, new RegExp(directOptions('').clientSecret));
      return true;
    });
    assert.equal(redirected, 1, 'the token request was sent once: a refused redirect is not retried');
    assert.ok(Date.now() - started < 1000, 'failed at once');
    const after = await emulator.stats();
    assert.deepEqual(requestDelta(before, after), { cancel: 0, definition: 0, invoke: 0, list: 0, poll: 0, token: 0 });
  } finally {
    redirector.close();
  }
});

// The client reads at most 8 MiB of an answer (the core's MAX_ANSWER_BYTES): a larger one is
// refused before it is parsed: unread by its Content-Length, or once an unsized (chunked) body is read.
const LIMIT = 8 * 1024 * 1024;

for (const answerChunked of [false, true]) {
  const framing = answerChunked ? 'chunked' : 'with Content-Length';
  test(`an answer over 8 MiB (${framing}) is a transport error, not retried, the invoke's outcome unknown`, async () => {
    await emulator.configure({ answerPaddingBytes: LIMIT + 1, answerChunked });
    const client = new DataActionsClient(directOptions(emulator.url));
    await client.getAction('lookup-customer');
    const before = await emulator.stats();
    await assert.rejects(client.invoke('lookup-customer', { customerId: 'C-9' }), (error) => {
      assert.ok(error instanceof DataActionsError);
      assert.equal(error.code, 'transport');
      assert.equal(error.retryable, false);
      assert.match(error.message, new RegExp(`over the ${LIMIT} bytes this client reads`));
      assert.match(error.message, /may have run upstream/);
      return true;
    });
    assert.equal(requestDelta(before, await emulator.stats()).invoke, 1, 'one POST, not repeated');
  });

  test(`an answer just under 8 MiB (${framing}) is read whole`, async () => {
    await emulator.configure({ answerPaddingBytes: LIMIT - 4096, answerChunked });
    const client = new DataActionsClient(directOptions(emulator.url));
    const result = await client.invoke('lookup-customer', { customerId: 'C-10' });
    assert.equal(result.status, 'completed');
    assert.equal(result.outputs.customerId, 'C-10');
  });
}
