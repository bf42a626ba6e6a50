// A Worker started with missing settings names them (in /healthz and in every /v1 answer)
// instead of crashing.
//   node --test tests/e2e/worker-config.test.mjs
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startWorker } from "./harness.mjs";
import { contractClient } from "./openapi.mjs";

let worker;
let call;

before(async () => {
  worker = await startWorker({
    vars: { CXONE_BASE_URL: "http://127.0.0.1:1", CXONE_CLIENT_ID: "", MAX_POLL_SECONDS: "soon" },
    secrets: { CXONE_CLIENT_SECRET: "s3cret:with=chars", PROXY_API_KEYS: "k1" },
    healthy: false,
  });
  call = await contractClient(worker.url);
});

after(async () => {
  await worker?.stop();
});

test("GET /healthz is 503 and names every missing or malformed setting", async () => {
  const res = await call("GET", "/healthz", { key: null });
  assert.equal(res.status, 503);
  assert.equal(res.body.status, "misconfigured");
  const names = res.body.problems.map((p) => p.setting);
  assert.deepEqual(names, ["CXONE_CLIENT_ID", "MAX_POLL_SECONDS"]);
  for (const p of res.body.problems) assert.ok(p.message.startsWith(p.setting), p.message);
  assert.ok(!res.text.includes("s3cret"));
});

test("a /v1 route answers a config error naming the setting", async () => {
  const res = await call("POST", "/v1/actions/lookup-customer/invoke", { key: "k1", body: { inputs: {} } });
  assert.equal(res.status, 503);
  assert.equal(res.body.error.code, "config");
  assert.equal(res.body.error.field, "CXONE_CLIENT_ID");
  assert.match(res.body.error.message, /CXONE_CLIENT_ID is required/);
  assert.deepEqual(res.body.error.problems.map((p) => p.setting), ["CXONE_CLIENT_ID", "MAX_POLL_SECONDS"]);
  assert.ok(!res.text.includes("s3cret"));
});
