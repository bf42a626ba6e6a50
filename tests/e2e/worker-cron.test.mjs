// The Cron Trigger in workerd: it ends accepted invocations that no callback and no caller end —
// completed by its poll, or timed_out past MAX_POLL_SECONDS. MAX_POLL_SECONDS is small here, so
// the background follow-up after a 202 (which stops at the deadline) leaves the work to the cron.
//   node --test tests/e2e/worker-cron.test.mjs
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startEmulator, startWorker } from "./harness.mjs";
import { SIGNING_SECRET, apiClient, emulatorControl, eventually, sleep } from "./helpers.mjs";

const MAX_POLL_SECONDS = 3;
let emu;
let worker;
let call;
let control;

before(async () => {
  emu = await startEmulator({ args: ["--callback-signing-secret", SIGNING_SECRET] });
  worker = await startWorker({ vars: { CXONE_BASE_URL: emu.url, MAX_POLL_SECONDS: String(MAX_POLL_SECONDS) } });
  call = apiClient(worker.url);
  control = emulatorControl(emu);
  await control.config({ callbackDrop: true });
});

after(async () => {
  await worker?.stop();
  await emu?.stop();
});

/** The Worker's `cron run` log lines, parsed. */
function cronRuns() {
  return worker
    .output()
    .split("\n")
    .filter((l) => l.includes('"msg":"cron run"'))
    .map((l) => JSON.parse(l.slice(l.indexOf("{"), l.lastIndexOf("}") + 1)));
}

/** Fires the Cron Trigger and answers the summary line of that run. */
async function scheduled() {
  const before = cronRuns().length;
  await worker.scheduled();
  return eventually(() => cronRuns().length > before && cronRuns().at(-1), { what: "the cron run's log line" });
}

test("an empty cron run does nothing and logs its summary", async () => {
  const run = await scheduled();
  assert.equal(run.examined, 0);
  assert.match(run.requestId, /^cron-/);
});

test("without a callback, the cron completes a finished invocation by polling it", async () => {
  const res = await call("POST", "/v1/actions/export-report/invoke", { body: { inputs: { reportName: "r", durationMs: 100 } } });
  assert.equal(res.status, 202, res.text);
  const id = res.body.invocationId;
  await sleep(500);
  const pending = await call("GET", `/v1/invocations/${id}`);
  assert.equal(pending.body.status, "pending", "no callback came and no poll was due yet");
  assert.equal(pending.body.pollCount, 0);
  const before = await control.stats();

  const firedAt = Date.now();
  const run = await scheduled();
  const afterStats = await control.stats();
  assert.equal(afterStats.byAction["export-report"].poll - before.byAction["export-report"].poll, 1, "the cron polled once");
  assert.ok(run.examined >= 1 && run.polled >= 1 && run.ended >= 1, JSON.stringify(run));

  const done = await call("GET", `/v1/invocations/${id}`);
  assert.equal(done.body.status, "completed");
  assert.equal(done.body.completedBy, "poll");
  assert.equal(done.body.pollCount, 1);
  assert.ok(Date.parse(done.body.completedAt) >= firedAt - 50, "completed during the cron run");
  assert.equal(typeof done.body.outputs.rowCount, "number");

  // Ended records leave the pending index: the next run has nothing to do.
  assert.equal((await scheduled()).examined, 0);
});

test("past MAX_POLL_SECONDS the cron ends a never-finishing invocation as timed_out", async () => {
  const res = await call("POST", "/v1/actions/never-finishes/invoke", { body: { inputs: {} } });
  assert.equal(res.status, 202, res.text);
  const id = res.body.invocationId;
  await sleep(MAX_POLL_SECONDS * 1000 + 500);
  const runStarted = Date.now();
  const run = await scheduled();
  assert.ok(run.examined >= 1 && run.ended >= 1, JSON.stringify(run));
  const got = await call("GET", `/v1/invocations/${id}`);
  assert.equal(got.body.status, "timed_out");
  assert.equal(got.body.completedBy, "deadline");
  assert.equal(got.body.error.code, "timeout");
  assert.equal(got.body.error.invokeId, res.body.invokeId);
  assert.ok(Date.parse(got.body.completedAt) >= runStarted - 50, "ended by the cron run, not before");
});
