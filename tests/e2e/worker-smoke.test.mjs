// Smoke test of the Worker in workerd (`wrangler dev`): routing, JSON errors, vars and secrets,
// the DATA_ACTIONS_KV binding and the Cron Trigger. Needs only the Worker (no emulator).
//   node --test tests/e2e/worker-smoke.test.mjs
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startWorker } from "./harness.mjs";

let worker;

before(async () => {
  worker = await startWorker({
    vars: { CXONE_BASE_URL: "http://127.0.0.1:1", MAX_POLL_SECONDS: "5" },
    secrets: { CXONE_CLIENT_SECRET: "s3cret:with=chars", PROXY_API_KEYS: "k1,k2" },
  });
});

after(async () => {
  await worker?.stop();
});

async function getJson(path, init) {
  const res = await fetch(`${worker.url}${path}`, init);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/, `${path} content-type`);
  return { status: res.status, body: await res.json() };
}

test("GET /healthz is 200 {status: ok}", async () => {
  const { status, body } = await getJson("/healthz");
  assert.equal(status, 200);
  assert.deepEqual(body, { status: "ok" });
});

test("an unknown route is a 404 JSON error", async () => {
  const { status, body } = await getJson("/no/such/route");
  assert.equal(status, 404);
  assert.equal(body.error.code, "not_found");
  assert.equal(typeof body.error.message, "string");
});

test("a known route with the wrong method is a 405 JSON error", async () => {
  const { status, body } = await getJson("/healthz", { method: "POST", body: "{}" });
  assert.equal(status, 405);
  assert.equal(body.error.code, "method_not_allowed");
});

test("vars come from wrangler.toml and --var; secrets from the env file, never echoed", async () => {
  const { status, body } = await getJson("/debug/config");
  assert.equal(status, 200);
  assert.equal(body.vars.CXONE_BASE_URL, "http://127.0.0.1:1"); // --var override
  assert.equal(body.vars.MAX_POLL_SECONDS, "5"); // --var override
  assert.equal(body.vars.CXONE_CLIENT_ID, "demo-client"); // wrangler.toml
  assert.equal(body.vars.PUBLIC_URL, worker.url); // the harness's default
  assert.deepEqual(body.secrets_set, {
    CXONE_CLIENT_SECRET: true,
    PROXY_API_KEYS: true,
    CALLBACK_SIGNING_SECRET: false, // not in this test's secrets
  });
  assert.ok(!JSON.stringify(body).includes("s3cret"));
});

test("KV: a missing key reads as null; only debug: keys are readable", async () => {
  const missing = await getJson("/debug/kv/debug:nothing-here");
  assert.equal(missing.status, 200);
  assert.deepEqual(missing.body, { key: "debug:nothing-here", value: null });
  const forbidden = await getJson("/debug/kv/token");
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body.error.code, "forbidden");
});

test("the cron handler writes to KV and the debug route reads it back", async () => {
  await worker.scheduled("* * * * *");
  const { status, body } = await getJson(`/debug/kv/${encodeURIComponent("debug:last_scheduled")}`);
  assert.equal(status, 200);
  assert.equal(body.key, "debug:last_scheduled");
  assert.equal(body.value.cron, "* * * * *");
  assert.equal(typeof body.value.ran_at_ms, "number");
});
