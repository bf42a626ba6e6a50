// Invocations end on their own, through their Durable Object's alarm: no caller asks again, no
// callback comes (the emulator drops them), and there is no cron. Completed by a poll, ended
// timed_out past MAX_POLL_SECONDS, then completed by a late callback (the upstream's word wins,
// timedOutAt is kept); a caller that disconnects during ?wait= loses nothing; records written by
// the previous schema are read, an undecodable one is a 500 of its own.
//   node --test tests/e2e/worker-alarms.test.mjs
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ROOT, startEmulator, startWorker } from "./harness.mjs";
import { contractClient } from "./openapi.mjs";
import { SIGNING_SECRET, emulatorControl, eventually, sleep, webhookHeaders } from "./helpers.mjs";

const MAX_POLL_SECONDS = 4;
let emu;
let worker;
let call;
let control;

before(async () => {
  emu = await startEmulator({
    args: ["--callback-signing-secret", SIGNING_SECRET, "--catalogue", join(ROOT, "tests/e2e/fixtures/catalogue-misreported-mode.json")],
  });
  worker = await startWorker({ vars: { CXONE_BASE_URL: emu.url, MAX_POLL_SECONDS: String(MAX_POLL_SECONDS) } });
  call = await contractClient(worker.url);
  control = emulatorControl(emu);
  await control.config({ callbackDrop: true });
});

after(async () => {
  await worker?.stop();
  await emu?.stop();
});

const polls = async () => (await control.stats()).byAction["export-report"]?.poll ?? 0;

test("without a callback or a caller, the object's alarm completes an invocation by polling it", async () => {
  const pollsBefore = await polls();
  const res = await call("POST", "/v1/actions/export-report/invoke", { body: { inputs: { reportName: "r", durationMs: 300 } } });
  assert.equal(res.status, 202, res.text);
  const id = res.body.invocationId;
  assert.equal(res.headers.get("location"), `/v1/invocations/${id}`);
  // Nobody asks; the first poll is due 2 s after the 202.
  await sleep(3_000);
  const done = await eventually(async () => {
    const got = await call("GET", `/v1/invocations/${id}`);
    return got.body.status !== "pending" && got;
  }, { timeoutMs: 15_000, what: "the alarm's poll" });
  assert.equal(done.body.status, "completed");
  assert.equal(done.body.completedBy, "poll");
  assert.equal(done.body.pollCount, 1);
  assert.equal(typeof done.body.outputs.rowCount, "number", "coerced by the definition");
  assert.equal((await polls()) - pollsBefore, 1, "one status request, from the alarm");
});

test("past MAX_POLL_SECONDS the alarm ends a never-finishing invocation as timed_out", async () => {
  const res = await call("POST", "/v1/actions/never-finishes/invoke", { body: { inputs: {} } });
  assert.equal(res.status, 202, res.text);
  const id = res.body.invocationId;
  const got = await eventually(async () => {
    const got = await call("GET", `/v1/invocations/${id}`);
    return got.body.status !== "pending" && got;
  }, { timeoutMs: MAX_POLL_SECONDS * 1000 + 10_000, what: "the deadline" });
  assert.equal(got.body.status, "timed_out");
  assert.equal(got.body.completedBy, "deadline");
  assert.equal(got.body.error.code, "timeout");
  assert.equal(got.body.error.invokeId, res.body.invokeId);
  assert.ok(Date.parse(got.body.completedAt) - Date.parse(got.body.createdAt) >= MAX_POLL_SECONDS * 1000);
});

test("a callback after timed_out with a completed payload completes it, coerced, keeping timedOutAt", async () => {
  const res = await call("POST", "/v1/actions/export-report/invoke", { body: { inputs: { reportName: "late", durationMs: 60_000 } } });
  assert.equal(res.status, 202, res.text);
  const id = res.body.invocationId;
  const timedOut = await eventually(async () => {
    const got = await call("GET", `/v1/invocations/${id}`);
    return got.body.status === "timed_out" && got;
  }, { timeoutMs: MAX_POLL_SECONDS * 1000 + 10_000, what: "the deadline" });
  assert.ok(timedOut.body.timedOutAt, JSON.stringify(timedOut.body));

  // The upstream's own (late) word, as its callback would carry it: outputs as strings.
  const view = await control.invocation(res.body.invokeId);
  const body = JSON.stringify({ invokeId: res.body.invokeId, status: "completed", outputs: { rowCount: "12", url: "https://r.example/late" } });
  const cb = await fetch(view.callbackUrl, { method: "POST", headers: webhookHeaders(SIGNING_SECRET, body), body });
  assert.equal(cb.status, 200, await cb.text());

  const done = await call("GET", `/v1/invocations/${id}`);
  assert.equal(done.body.status, "completed", JSON.stringify(done.body));
  assert.equal(done.body.completedBy, "callback");
  assert.equal(done.body.outputs.rowCount, 12, "coerced to the declared integer");
  assert.equal(done.body.timedOutAt, timedOut.body.timedOutAt, "timedOutAt is kept");
  assert.equal(done.body.error, undefined);
});

test("a caller that disconnects during ?wait= loses nothing: the invocation completes and is readable", async () => {
  const key = `disconnect-${Date.now()}`;
  const request = { inputs: { reportName: "gone", durationMs: 500 } };
  const aborter = new AbortController();
  const waiting = fetch(`${worker.url}/v1/actions/export-report/invoke?wait=20`, {
    method: "POST",
    headers: { authorization: "Bearer dev-key-1", "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify(request),
    signal: aborter.signal,
  });
  await sleep(300);
  aborter.abort();
  await assert.rejects(waiting);
  // The caller retries after its timeout, with the same key: the first invocation, not a second.
  const invokesBefore = (await control.stats()).byAction["export-report"].invoke;
  const again = await call("POST", "/v1/actions/export-report/invoke", { body: request, headers: { "idempotency-key": key } });
  assert.ok([200, 202].includes(again.status), again.text);
  assert.equal(again.headers.get("idempotent-replayed"), "true");
  assert.equal((await control.stats()).byAction["export-report"].invoke, invokesBefore, "not invoked again");
  const done = await eventually(async () => {
    const got = await call("GET", `/v1/invocations/${again.body.invocationId}`);
    return got.body.status === "completed" && got;
  }, { timeoutMs: 15_000, what: "the alarm's poll" });
  assert.equal(done.body.completedBy, "poll");
});

test("a 'sync' action that answers 202 is handed to its object before the caller hears back", async () => {
  // The sync fast path uses no object; this upstream's definition says sync but it answers 202.
  const res = await call("POST", "/v1/actions/says-sync-runs-async/invoke", { body: { inputs: {} } });
  assert.equal(res.status, 202, res.text);
  assert.equal(res.body.status, "pending");
  const id = res.body.invocationId;
  // The object has it at once (no record lives only in memory), and its alarm ends it.
  const pending = await call("GET", `/v1/invocations/${id}`);
  assert.equal(pending.status, 200, pending.text);
  const done = await call("GET", `/v1/invocations/${id}?wait=10`);
  assert.equal(done.body.status, "completed", JSON.stringify(done.body));
  assert.equal(done.body.completedBy, "poll");
  assert.equal(done.body.outputs.hits, 3);

  const waited = await call("POST", "/v1/actions/says-sync-runs-async/invoke?wait=10", { body: { inputs: {} } });
  assert.equal(waited.status, 200, waited.text);
  assert.equal(waited.body.status, "completed");
});

test("records written by the previous schema are read, not dropped; an undecodable one is a 500", async () => {
  for (const name of ["record-v1-completed.json", "record-v1-pending.json"]) {
    const text = readFileSync(join(ROOT, "tests/fixtures", name), "utf8").trim();
    const { invocationId, status } = JSON.parse(text);
    await worker.kvPut(`inv:${invocationId}`, text);
    const got = await call("GET", `/v1/invocations/${invocationId}`);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.invocationId, invocationId);
    assert.equal(got.body.status, status);
  }
  const broken = "dai_00000000000000000000000000000bad";
  await worker.kvPut(`inv:${broken}`, '{"invocationId": 3}');
  const got = await call("GET", `/v1/invocations/${broken}`);
  assert.equal(got.status, 500, got.text);
  assert.equal(got.body.error.code, "record_undecodable");
  await eventually(() => worker.output().includes("a stored record cannot be decoded"), { what: "the log line" });
});
