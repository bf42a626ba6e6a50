// GET /v1/invocations: the last invocations, newest first, from the records' KV read copies,
// filtered by action and status, paged with an opaque cursor; each record as GET
// /v1/invocations/{id} answers it.
//   node --test tests/e2e/worker-history.test.mjs
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startEmulator, startWorker } from "./harness.mjs";
import { contractClient } from "./openapi.mjs";
import { SIGNING_SECRET, eventually, sleep } from "./helpers.mjs";

let emu;
let worker;
let call;
const made = []; // invocation ids, oldest first

before(async () => {
  emu = await startEmulator({ args: ["--callback-signing-secret", SIGNING_SECRET] });
  worker = await startWorker({ vars: { CXONE_BASE_URL: emu.url } });
  call = await contractClient(worker.url);
  for (let i = 0; i < 5; i++) {
    const res = await call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: { customerId: `h-${i}` } } });
    assert.equal(res.status, 200, res.text);
    made.push(res.body.invocationId);
    await sleep(5); // distinct creation times
  }
  for (let i = 0; i < 2; i++) {
    const res = await call("POST", "/v1/actions/export-report/invoke?wait=10", { body: { inputs: { reportName: `h-${i}`, durationMs: 100 } } });
    assert.equal(res.status, 200, res.text);
    made.push(res.body.invocationId);
    await sleep(5);
  }
  const pending = await call("POST", "/v1/actions/never-finishes/invoke", { body: { inputs: {} } });
  assert.equal(pending.status, 202, pending.text);
  made.push(pending.body.invocationId);
  // Every read copy written (sync ones after their answer).
  await eventually(async () => (await call("GET", "/v1/invocations?limit=100")).body.invocations.length >= made.length, {
    what: "every read copy listed",
  });
});

after(async () => {
  await worker?.stop();
  await emu?.stop();
});

test("newest first, each as GET /v1/invocations/{id} answers it", async () => {
  const res = await call("GET", "/v1/invocations?limit=100");
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.invocations.map((r) => r.invocationId), [...made].reverse());
  assert.equal(res.body.cursor, null);
  const one = await call("GET", `/v1/invocations/${made[0]}`);
  assert.deepEqual(res.body.invocations.at(-1), one.body);
  assert.equal(res.body.invocations[0].status, "pending");
});

test("filters by action and status", async () => {
  const reports = await call("GET", "/v1/invocations?actionId=export-report");
  assert.deepEqual(reports.body.invocations.map((r) => r.invocationId), [made[6], made[5]]);
  const pending = await call("GET", "/v1/invocations?status=pending");
  assert.deepEqual(pending.body.invocations.map((r) => r.invocationId), [made[7]]);
  const none = await call("GET", "/v1/invocations?actionId=export-report&status=failed");
  assert.deepEqual(none.body.invocations, []);
});

test("pages with an opaque cursor, never more than limit", async () => {
  const seen = [];
  let cursor = null;
  for (let page = 0; page < 10; page++) {
    const res = await call("GET", `/v1/invocations?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body.invocations.length <= 3);
    seen.push(...res.body.invocations.map((r) => r.invocationId));
    cursor = res.body.cursor;
    if (!cursor) break;
  }
  assert.deepEqual(seen, [...made].reverse());
  const filtered = await call("GET", "/v1/invocations?limit=1&actionId=lookup-customer");
  assert.equal(filtered.body.invocations.length, 1);
  assert.equal(filtered.body.invocations[0].invocationId, made[4]);
});

test("bad parameters are 400; the route needs an API key", async () => {
  for (const query of ["limit=0", "limit=101", "limit=x", "status=done", "actionId=a%24b", "cursor=has%20space"]) {
    const res = await call("GET", `/v1/invocations?${query}`);
    assert.equal(res.status, 400, `${query}: ${res.text}`);
    assert.equal(res.body.error.code, "bad_input");
  }
  assert.equal((await call("GET", "/v1/invocations", { key: null })).status, 401);
  assert.equal((await call("POST", "/v1/invocations", { body: {} })).status, 405);
});
