// The Worker against each upstream profile, in workerd against the emulator playing the same
// profile over real HTTP, every answer checked against the Worker's own /openapi.json:
// genesys-cloud (UPSTREAM_PROFILE=genesys-cloud): invoke (sync only, with and without an
// Idempotency-Key), validation issues, ErrorBody answers with their contextId, the console's
// action list, asynchronous requests refused as not_supported_by_profile, and /healthz naming the
// profile's missing settings.
// cxone (UPSTREAM_PROFILE=cxone): the sign-in, then the seed's data-action paths on the session's
// API host (sync and async), the session kept in KV.
//   node --test tests/e2e/worker-profiles.test.mjs
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startEmulator, startWorker } from "./harness.mjs";
import { contractClient } from "./openapi.mjs";

describe("genesys-cloud", () => {
  let emu;
  let worker;
  let call;

  before(async () => {
    emu = await startEmulator({ profile: "genesys-cloud" });
    worker = await startWorker({
      vars: { UPSTREAM_PROFILE: "genesys-cloud", GENESYS_API_URL: emu.url, GENESYS_LOGIN_URL: emu.url, GENESYS_CLIENT_ID: "demo-client" },
      secrets: { GENESYS_CLIENT_SECRET: "demo-secret", PROXY_API_KEYS: "dev-key-1" },
    });
    call = await contractClient(worker.url);
  });

  after(async () => {
    await worker?.stop();
    await emu?.stop();
  });

  test("an invoke runs synchronously and answers the outputs at once", async () => {
    const definition = await call("GET", "/v1/actions/lookup-customer");
    assert.equal(definition.status, 200, definition.text);
    assert.equal(definition.body.mode, "sync");
    assert.equal(definition.body.inputSchema.type, "object");
    const res = await call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: { customerId: 42 } } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, "completed");
    assert.equal(res.body.outputs.customerId, "42");
    assert.match(res.body.invocationId, /^dai_/);
    const record = await call("GET", `/v1/invocations/${res.body.invocationId}?wait=2`);
    assert.equal(record.status, 200, record.text);
    assert.equal(record.body.status, "completed");
    // With an Idempotency-Key: the invocation's object executes it, once; the replay answers it again.
    const headers = { "idempotency-key": "order-42" };
    const first = await call("POST", "/v1/actions/lookup-customer/invoke?wait=5", { body: { inputs: { customerId: "9" } }, headers });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.status, "completed");
    const again = await call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: { customerId: "9" } }, headers });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal(again.body.invocationId, first.body.invocationId);
    const stats = await (await fetch(`${emu.url}/_emulator/stats`)).json();
    assert.equal(stats.requests.poll ?? 0, 0, "nothing is ever polled");
  });

  test("inputs are validated by the contract: every issue, named, with its JSON pointer", async () => {
    const res = await call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: { colour: "red" } } });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.error.code, "validation");
    const issues = res.body.error.issues.map((i) => [i.parameter, i.pointer, i.kind]).sort();
    assert.deepEqual(issues, [["colour", "/colour", "unknown_parameter"], ["customerId", "/customerId", "missing_required"]]);
    const valid = await call("POST", "/v1/actions/lookup-customer/validate", { body: { inputs: { customerId: 7 } } });
    assert.equal(valid.status, 200, valid.text);
    assert.deepEqual(valid.body.inputs, { customerId: "7" });
  });

  test("ErrorBody answers keep their kind and their contextId", async () => {
    const missing = await call("POST", "/v1/actions/no-such-action/invoke", { body: { inputs: {} } });
    assert.equal(missing.status, 404, missing.text);
    assert.equal(missing.body.error.upstreamCode, "not.found");
    assert.match(missing.body.error.upstreamCorrelationId, /\S/);
    const restricted = await call("POST", "/v1/actions/restricted/invoke", { body: { inputs: {} } });
    assert.equal(restricted.status, 403, restricted.text);
    assert.equal(restricted.body.error.code, "forbidden");
    assert.match(restricted.body.error.upstreamCorrelationId, /\S/);
    const failed = await call("POST", "/v1/actions/sync-fails/invoke", { body: { inputs: { customerId: "1" } } });
    assert.equal(failed.status, 200, failed.text);
    assert.equal(failed.body.status, "failed");
    assert.equal(failed.body.error.code, "execution_failed");
    assert.match(failed.body.error.upstreamCorrelationId, /\S/);
  });

  test("the console's action list pages through the upstream's", async () => {
    const ids = [];
    let cursor = null;
    let pages = 0;
    do {
      const query = new URLSearchParams({ limit: "3", ...(cursor ? { cursor } : {}) });
      const res = await call("GET", `/v1/actions?${query}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.source, "upstream");
      assert.ok(res.body.actions.length <= 3);
      assert.ok(res.body.actions.every((a) => a.mode === "sync"), JSON.stringify(res.body));
      ids.push(...res.body.actions.map((a) => a.id));
      cursor = res.body.cursor;
      pages += 1;
    } while (cursor && pages < 20);
    assert.equal(cursor, null);
    assert.ok(pages >= 2, `${pages} page(s)`);
    assert.ok(ids.includes("lookup-customer") && ids.includes("export-report"), ids.join(","));
    assert.equal(new Set(ids).size, ids.length, "no action twice");
  });

  test("asynchronous requests are refused as not_supported_by_profile", async () => {
    const context = await call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: { customerId: "1" }, context: { agentId: "a-1" } } });
    assert.equal(context.status, 400, context.text);
    assert.equal(context.body.error.code, "not_supported_by_profile");
    assert.match(context.body.error.message, /genesys-cloud/);
    const token = "A".repeat(43);
    const callback = await call("POST", `/v1/callbacks/dai_${"0".repeat(32)}/${token}`, { key: null, body: { invokeId: "x", status: "completed" } });
    assert.equal(callback.status, 400, callback.text);
    assert.equal(callback.body.error.code, "not_supported_by_profile");
  });

  test("the token is kept under the profile's own KV key", async () => {
    const stored = JSON.parse(await worker.kvGet("token:genesys-cloud:v1"));
    assert.equal(typeof stored.accessToken, "string");
    assert.ok(stored.expiresAtMs > Date.now());
  });
});

describe("cxone", () => {
  let emu;
  let worker;
  let call;

  before(async () => {
    emu = await startEmulator({ profile: "cxone" });
    worker = await startWorker({
      vars: { UPSTREAM_PROFILE: "cxone", CXONE_ISSUER: emu.url, CXONE_CLIENT_ID: "demo-client" },
      secrets: {
        CXONE_CLIENT_SECRET: "demo-secret",
        CXONE_ACCESS_KEY_ID: "demo-access-key-id",
        CXONE_ACCESS_KEY_SECRET: "demo-access-key-secret",
        PROXY_API_KEYS: "dev-key-1",
      },
    });
    call = await contractClient(worker.url);
  });

  after(async () => {
    await worker?.stop();
    await emu?.stop();
  });

  test("the Worker signs in, then invokes on the session's API host, sync and async", async () => {
    const res = await call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: { customerId: 42 } } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, "completed");
    assert.equal(res.body.outputs.customerId, "42");
    const accepted = await call("POST", "/v1/actions/export-report/invoke", { body: { inputs: { reportName: "daily", durationMs: 300 } } });
    assert.equal(accepted.status, 202, accepted.text);
    const done = await call("GET", `/v1/invocations/${accepted.body.invocationId}?wait=15`);
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.status, "completed");
    const stats = await (await fetch(`${emu.url}/_emulator/stats`)).json();
    assert.equal(stats.signin.password, 1, JSON.stringify(stats.signin));
    assert.equal(stats.signin.discovery, 1, JSON.stringify(stats.signin));
  });

  test("validation, upstream errors and the console's list are the seed's", async () => {
    const invalid = await call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: { colour: "red" } } });
    assert.equal(invalid.status, 422, invalid.text);
    assert.deepEqual(invalid.body.error.issues.map((i) => i.parameter).sort(), ["colour", "customerId"]);
    const missing = await call("POST", "/v1/actions/no-such-action/invoke", { body: { inputs: {} } });
    assert.equal(missing.status, 404, missing.text);
    const list = await call("GET", "/v1/actions?limit=100");
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.source, "upstream");
    assert.ok(list.body.actions.some((a) => a.id === "lookup-customer"), list.text);
  });

  test("the session is kept in KV under session:cxone:v1 with its API host", async () => {
    const stored = JSON.parse(await worker.kvGet("session:cxone:v1"));
    assert.equal(stored.apiBaseUrl, emu.url.replace(/\/$/, ""));
    assert.equal(typeof stored.token.accessToken, "string");
    assert.ok(stored.tenantId);
  });
});

describe("settings per profile", () => {
  test("GET /healthz names the profile's missing and malformed settings", async () => {
    const worker = await startWorker({
      healthy: false,
      vars: { UPSTREAM_PROFILE: "genesys-cloud", GENESYS_REGION: "https://mypurecloud.com" },
      secrets: { PROXY_API_KEYS: "dev-key-1" },
    });
    try {
      const call = await contractClient(worker.url);
      const res = await call("GET", "/healthz", { key: null });
      assert.equal(res.status, 503, res.text);
      const names = res.body.problems.map((p) => p.setting);
      assert.deepEqual(names, ["GENESYS_REGION", "GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET"]);
      for (const p of res.body.problems) assert.ok(p.message.startsWith(p.setting), p.message);
    } finally {
      await worker.stop();
    }
  });
});
