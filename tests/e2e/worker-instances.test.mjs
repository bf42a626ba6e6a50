// Two instances of the Worker, each in its own workerd process (two `wrangler dev`s), sharing one
// KV namespace (one --persist-to state) and one INVOCATIONS Durable Object namespace (the second
// binds the first's class through the local dev registry): what production looks like, where
// requests for one invocation land in different isolates and locations.
//   node --test tests/e2e/worker-instances.test.mjs
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { freePort, startEmulator, startWorker } from "./harness.mjs";
import { contractClient } from "./openapi.mjs";
import { SIGNING_SECRET, emulatorControl, eventually, sleep } from "./helpers.mjs";

let emu;
let a;
let b;
let callA;
let callB;
let control;
let state;

before(async () => {
  emu = await startEmulator({ args: ["--callback-signing-secret", SIGNING_SECRET] });
  state = mkdtempSync(join(tmpdir(), "cxone-e2e-shared-"));
  const portB = await freePort();
  // Callbacks for invocations that A creates are addressed to B: the instance that did not create
  // the record (and whose KV may not show it yet) receives them.
  const vars = { CXONE_BASE_URL: emu.url, PUBLIC_URL: `http://127.0.0.1:${portB}` };
  a = await startWorker({ vars, persistTo: state });
  b = await startWorker({ vars, persistTo: state, port: portB, instanceOf: a.name });
  callA = await contractClient(a.url);
  callB = await contractClient(b.url);
  control = emulatorControl(emu);
});

after(async () => {
  await b?.stop();
  await a?.stop();
  await emu?.stop();
  if (state) rmSync(state, { recursive: true, force: true });
});

const invokes = async (action) => (await control.stats()).byAction[action]?.invoke ?? 0;

test("the same Idempotency-Key sent to both instances at once, 50 times, runs exactly 50 invokes", async () => {
  const before = await invokes("lookup-customer");
  const run = Date.now();
  const pairs = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const key = `twin-${run}-${i}`;
      const body = { inputs: { customerId: `c-${i}` } };
      const headers = { "idempotency-key": key };
      return Promise.all([
        callA("POST", "/v1/actions/lookup-customer/invoke", { body, headers }),
        callB("POST", "/v1/actions/lookup-customer/invoke", { body, headers }),
      ]);
    }),
  );
  assert.equal((await invokes("lookup-customer")) - before, 50, "one upstream invoke per key");
  for (const [first, second] of pairs) {
    assert.equal(first.status, 200, first.text);
    assert.equal(second.status, 200, second.text);
    assert.equal(first.body.invocationId, second.body.invocationId);
    assert.equal(first.body.invokeId, second.body.invokeId);
    const replays = [first, second].filter((r) => r.headers.get("idempotent-replayed") === "true").length;
    assert.equal(replays, 1, "one ran it, the other replayed it");
  }
});

test("duplicates of an async invoke, sent to both at once, share one invocation", async () => {
  const before = await invokes("export-report");
  const key = `twin-async-${Date.now()}`;
  const body = { inputs: { reportName: "twin", durationMs: 300 } };
  const headers = { "idempotency-key": key };
  const [first, second] = await Promise.all([
    callA("POST", "/v1/actions/export-report/invoke?wait=10", { body, headers }),
    callB("POST", "/v1/actions/export-report/invoke?wait=10", { body, headers }),
  ]);
  assert.equal((await invokes("export-report")) - before, 1);
  assert.equal(first.body.invocationId, second.body.invocationId);
  assert.equal(first.status, 200, first.text);
  assert.equal(second.status, 200, second.text);
  assert.equal(first.body.status, "completed");
  assert.equal(second.body.status, "completed");
});

test("a callback sent to the instance that did not create the record, at once, is applied", async () => {
  // durationMs 0: the emulator calls back as soon as it has answered the invoke, to B.
  const res = await callA("POST", "/v1/actions/export-report/invoke", { body: { inputs: { reportName: "early", durationMs: 0 } } });
  assert.equal(res.status, 202, res.text);
  const id = res.body.invocationId;
  const view = await eventually(async () => {
    const v = await control.invocation(res.body.invokeId);
    return v.callback?.attempts?.length && v;
  }, { what: "the callback attempt" });
  assert.ok(view.callbackUrl.startsWith(b.url), view.callbackUrl);
  assert.equal(view.callback.attempts[0].httpStatus, 200, `the first attempt was applied: ${JSON.stringify(view.callback)}`);
  for (const call of [callA, callB]) {
    const got = await call("GET", `/v1/invocations/${id}`);
    assert.equal(got.body.status, "completed", JSON.stringify(got.body));
    assert.equal(got.body.completedBy, "callback");
    assert.equal(got.body.pollCount, 0);
  }
});

test("a poll and a callback racing: one terminal state, never rolled back", async () => {
  // The first poll is due 2 s after the 202; the job ends and its callback arrives around then.
  await control.config({ callbackDelayMs: 60 });
  try {
    const started = await Promise.all(
      [1900, 1940, 1980, 2000, 2020, 2060].map((durationMs, i) =>
        (i % 2 ? callB : callA)("POST", "/v1/actions/export-report/invoke", { body: { inputs: { reportName: `race-${i}`, durationMs } } }),
      ),
    );
    for (const res of started) assert.equal(res.status, 202, res.text);
    const firstEnd = new Map();
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline) {
      for (const [i, res] of started.entries()) {
        const got = await (i % 2 ? callA : callB)("GET", `/v1/invocations/${res.body.invocationId}`);
        const seen = firstEnd.get(i);
        if (seen) {
          assert.equal(got.body.status, "completed", `rolled back: ${JSON.stringify(got.body)}`);
          assert.equal(got.body.completedAt, seen.completedAt, "the first final word stays");
          assert.equal(got.body.completedBy, seen.completedBy);
        } else if (got.body.status !== "pending") {
          assert.equal(got.body.status, "completed", JSON.stringify(got.body));
          firstEnd.set(i, got.body);
        }
      }
      await sleep(50);
    }
    assert.equal(firstEnd.size, started.length, "every one ended");
  } finally {
    await control.config({ callbackDelayMs: 0 });
  }
});
