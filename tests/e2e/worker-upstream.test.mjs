// The Worker facing a difficult upstream: revoked tokens and 429 storms.
//   node --test tests/e2e/worker-upstream.test.mjs
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startEmulator, startWorker } from "./harness.mjs";
import { contractClient } from "./openapi.mjs";
import { SIGNING_SECRET, emulatorControl, eventually } from "./helpers.mjs";

let emu;
let worker;
let call;
let control;

before(async () => {
  emu = await startEmulator({ args: ["--callback-signing-secret", SIGNING_SECRET] });
  worker = await startWorker({ vars: { CXONE_BASE_URL: emu.url } });
  call = await contractClient(worker.url);
  control = emulatorControl(emu);
});

after(async () => {
  await worker?.stop();
  await emu?.stop();
});

const invoke = (customerId) => call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: { customerId } } });

test("concurrent first requests on a cold Worker share one token", async () => {
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => invoke(`cold-${i}`)));
  assert.deepEqual(results.map((r) => r.status), Array(8).fill(200), results.map((r) => r.text).join("\n"));
  assert.equal((await control.stats()).requests.token, 1);
});

test("concurrent invokes that all meet revoked tokens succeed with one new token", async () => {
  for (let round = 0; round < 2; round++) {
    const before = await control.stats();
    await control.revokeTokens();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => invoke(`revoked-${round}-${i}`)));
    assert.deepEqual(results.map((r) => r.status), Array(8).fill(200), results.map((r) => r.text).join("\n"));
    assert.equal((await control.stats()).requests.token - before.requests.token, 1, `round ${round}`);
  }
});

test("after the upstream revokes its tokens, the next invoke succeeds with one new token", async () => {
  assert.equal((await invoke("warm")).status, 200);
  const storedLines = () => worker.output().split("\n").filter((l) => l.includes("token: stored in KV")).length;
  const storedBefore = storedLines();
  const before = await control.stats();
  const { revoked } = await control.revokeTokens();
  assert.ok(revoked >= 1);
  const res = await invoke("after-revocation");
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.status, "completed");
  const afterStats = await control.stats();
  assert.equal(afterStats.requests.token - before.requests.token, 1, "one new token");
  // The refused request, the new token, the retried invoke.
  assert.equal(afterStats.requests.invoke - before.requests.invoke, 2);
  await eventually(() => storedLines() > storedBefore, { what: "the new token written to KV" });
  // And it is reused: no further token requests.
  assert.equal((await invoke("again")).status, 200);
  assert.equal((await control.stats()).requests.token, afterStats.requests.token);
});

test("in a storm of 429s (half the requests), invocations still succeed", async () => {
  assert.equal((await invoke("warm")).status, 200);
  await control.config({ rate429: 0.5, seed: 42, retryAfterSecs: 0 });
  try {
    const before = await control.stats();
    for (let i = 0; i < 8; i++) {
      const res = await invoke(`storm-${i}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, "completed");
    }
    const afterStats = await control.stats();
    assert.ok(afterStats.faults["429"] - before.faults["429"] >= 2, "the upstream did answer 429s");
  } finally {
    await control.config({ rate429: 0 });
  }
});

test("when every request is refused with 429, the answer is 429 rate_limited with Retry-After", async () => {
  assert.equal((await invoke("warm")).status, 200);
  await control.config({ rate429: 1, retryAfterSecs: 0 });
  try {
    const res = await invoke("refused");
    assert.equal(res.status, 429, res.text);
    assert.equal(res.body.error.code, "rate_limited");
    assert.equal(res.body.error.retryable, true);
    assert.match(res.headers.get("retry-after") ?? "", /^[1-9][0-9]*$/);
  } finally {
    await control.config({ rate429: 0 });
  }
  assert.equal((await invoke("recovered")).status, 200);
});

test("an upstream answer over 8 MiB is 502 transport, not retried, and the Worker goes on answering", async () => {
  assert.equal((await invoke("warm")).status, 200);
  for (const answerChunked of [false, true]) {
    const before = await control.stats();
    await control.config({ answerPaddingBytes: 8 * 1024 * 1024 + 1, answerChunked });
    try {
      const res = await invoke(`huge-${answerChunked}`);
      assert.equal(res.status, 502, res.text);
      assert.equal(res.body.error.code, "transport");
      assert.equal(res.body.error.retryable, false);
      assert.match(res.body.error.message, /over the 8388608 bytes this client reads/);
    } finally {
      await control.config({ answerPaddingBytes: 0, answerChunked: false });
    }
    assert.equal((await control.stats()).requests.invoke - before.requests.invoke, 1, "one POST, not repeated");
  }
  assert.equal((await invoke("after-huge")).status, 200);
});
