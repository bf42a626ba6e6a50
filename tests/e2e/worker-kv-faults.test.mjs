// A sync invoke's read copy in KV when KV's `put` fails: the answer is the same, the second
// attempt (retryRecordCopy) stores the copy, and when that fails too one error line names the
// invocation. Served through tests/e2e/fixtures/kv-put-faults.js: the built Worker, unchanged,
// behind a DATA_ACTIONS_KV whose puts of `inv:` keys fail as the test asks.
//   node --test tests/e2e/worker-kv-faults.test.mjs
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ROOT, startEmulator, startWorker } from "./harness.mjs";
import { apiClient, eventually, sleep } from "./helpers.mjs";

let emu;
let worker;
let call;

before(async () => {
  emu = await startEmulator();
  worker = await startWorker({ vars: { CXONE_BASE_URL: emu.url }, entry: join(ROOT, "tests/e2e/fixtures/kv-put-faults.js") });
  call = apiClient(worker.url);
});

after(async () => {
  await worker?.stop();
  await emu?.stop();
});

const invoke = (customerId) => call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: { customerId } } });

async function failPuts(n) {
  const res = await fetch(`${worker.url}/_fixture/put-failures?n=${n}`, { method: "POST" });
  assert.equal(res.status, 204);
}

async function putAttempts(invocationId) {
  const res = await fetch(`${worker.url}/_fixture/put-attempts?key=inv:${invocationId}`);
  return (await res.json()).attempts;
}

const errorLines = (invocationId) =>
  worker
    .output()
    .split("\n")
    .filter((line) => line.includes("cannot store the record") && line.includes(invocationId));

test("without a fault, the copy is stored by its first put", async () => {
  await failPuts(0);
  const res = await invoke("kv-ok");
  assert.equal(res.status, 200, res.text);
  const id = res.body.invocationId;
  await eventually(async () => (await call("GET", `/v1/invocations/${id}`)).status === 200, { what: "the copy" });
  assert.equal(await putAttempts(id), 1);
});

test("a failed put is tried again after the answer, and the copy is stored", async () => {
  await failPuts(1);
  const res = await invoke("kv-retry");
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.status, "completed");
  const id = res.body.invocationId;
  await eventually(async () => (await call("GET", `/v1/invocations/${id}`)).status === 200, { what: "the copy after the retry" });
  const got = await call("GET", `/v1/invocations/${id}`);
  assert.equal(got.body.status, "completed");
  assert.deepEqual(got.body.outputs, res.body.outputs);
  assert.equal(await putAttempts(id), 2);
  assert.deepEqual(errorLines(id), []);
});

test("when both puts fail, the answer stands and one error line names the invocation", async () => {
  await failPuts(2);
  const res = await invoke("kv-lost");
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.outputs.customerId, "kv-lost");
  const id = res.body.invocationId;
  await eventually(async () => (await putAttempts(id)) === 2, { what: "two put attempts" });
  await eventually(async () => errorLines(id).length === 1, { what: "the error line" });
  const [line] = errorLines(id);
  const entry = JSON.parse(line.slice(line.indexOf("{"), line.lastIndexOf("}") + 1));
  assert.equal(entry.level, "error");
  assert.equal(entry.invocationId, id);
  assert.match(entry.error, /test fault 2 of 2/);
  await sleep(300);
  assert.equal(await putAttempts(id), 2, "no third attempt");
  const got = await call("GET", `/v1/invocations/${id}`);
  assert.equal(got.status, 404, got.text);
  await failPuts(0);
});
