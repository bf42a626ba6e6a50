// The Worker's HTTP API in workerd (`wrangler dev`) against the emulator over real HTTP: routes,
// caller auth, CORS, bad input, sync and async invokes, callbacks (duplicate, forged, signed),
// idempotency keys and the upstream requests each invoke costs.
//   node --test tests/e2e/worker-api.test.mjs
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startEmulator, startWorker } from "./harness.mjs";
import { contractClient } from "./openapi.mjs";
import {
  API_KEY,
  SIGNING_SECRET,
  emulatorControl,
  eventually,
  sleep,
  upstreamRequests,
  webhookHeaders,
} from "./helpers.mjs";

const ORIGIN = "https://app.example";
let emu;
let worker;
let call;
let control;
/** Callback capability URLs seen during the tests: none may appear in the logs. */
const capabilityUrls = [];

before(async () => {
  emu = await startEmulator({ args: ["--callback-signing-secret", SIGNING_SECRET] });
  worker = await startWorker({ vars: { CXONE_BASE_URL: emu.url, ALLOWED_ORIGINS: `${ORIGIN},http://localhost:8788` } });
  call = await contractClient(worker.url);
  control = emulatorControl(emu);
});

after(async () => {
  await worker?.stop();
  await emu?.stop();
});

const lookup = (customerId = "c-1") => ({ inputs: { customerId } });
const report = (durationMs, reportName = "weekly") => ({ inputs: { reportName, durationMs } });

/** Waits until the emulator has delivered `count` callback attempts for `invokeId`. */
async function deliveredAttempts(invokeId, count) {
  return eventually(
    async () => {
      const view = await control.invocation(invokeId);
      const attempts = view.callback?.attempts ?? [];
      return attempts.filter((a) => a.httpStatus === 200).length >= count ? view : null;
    },
    { what: `${count} delivered callback(s) for ${invokeId}` },
  );
}

describe("routing, health and bad input", () => {
  test("GET /healthz is 200 {status: ok} without an API key", async () => {
    const res = await call("GET", "/healthz", { key: null });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: "ok" });
    assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f]{16}$/);
  });

  test("an unknown route is 404 not_found; a known one with another method 405", async () => {
    for (const path of ["/nope", "/v1/action", "/v1/actions/a/b/c", "/debug/config", "/debug/kv/debug:x"]) {
      const res = await call("GET", path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body.error.code, "not_found", path);
    }
    const res = await call("POST", "/healthz", { body: {} });
    assert.equal(res.status, 405);
    assert.equal(res.body.error.code, "method_not_allowed");
    assert.equal((await call("GET", "/v1/actions/lookup-customer/invoke")).status, 405);
  });

  test("malformed JSON is 400, a 300 KB body 413, a bad action id 400, a bad wait 400", async () => {
    const malformed = await call("POST", "/v1/actions/lookup-customer/invoke", { raw: "{oops", headers: { "content-type": "application/json" } });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, "bad_input");
    assert.match(malformed.body.error.message, /not valid JSON/);

    const big = await call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: { customerId: "x".repeat(300 * 1024) } } });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, "bad_input");

    for (const id of ["bad%20id", "a$b", "x".repeat(129)]) {
      const res = await call("POST", `/v1/actions/${id}/invoke`, { body: lookup() });
      assert.equal(res.status, 400, id);
      assert.equal(res.body.error.code, "bad_input", id);
    }
    const wait = await call("POST", "/v1/actions/lookup-customer/invoke?wait=26", { body: lookup() });
    assert.equal(wait.status, 400);
    assert.match(wait.body.error.message, /wait/);
    const unknownField = await call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: {}, colour: "red" } });
    assert.equal(unknownField.status, 400);
    assert.match(unknownField.body.error.message, /colour/);
    const badInvocation = await call("GET", "/v1/invocations/not-an-id");
    assert.equal(badInvocation.status, 400);
    const unknownInvocation = await call("GET", `/v1/invocations/dai_${"0".repeat(32)}`);
    assert.equal(unknownInvocation.status, 404);
    assert.equal(unknownInvocation.body.error.code, "not_found");
  });
});

describe("caller authentication", () => {
  test("no key and a wrong key are 401 on every /v1 route", async () => {
    for (const [method, path] of [
      ["GET", "/v1/actions/lookup-customer"],
      ["POST", "/v1/actions/lookup-customer/invoke"],
      ["POST", "/v1/actions/lookup-customer/validate"],
      ["GET", `/v1/invocations/dai_${"0".repeat(32)}`],
    ]) {
      for (const key of [null, "wrong-key", `${API_KEY}x`]) {
        const res = await call(method, path, { key, body: method === "POST" ? lookup() : undefined });
        assert.equal(res.status, 401, `${method} ${path} with ${key}`);
        assert.equal(res.body.error.code, "unauthorized");
        assert.equal(res.headers.get("www-authenticate"), "Bearer");
      }
    }
    const ok = await call("GET", "/v1/actions/lookup-customer");
    assert.equal(ok.status, 200);
  });
});

describe("CORS", () => {
  test("an allowed origin gets CORS headers, other origins none", async () => {
    const allowed = await call("GET", "/healthz", { headers: { origin: ORIGIN } });
    assert.equal(allowed.headers.get("access-control-allow-origin"), ORIGIN);
    assert.match(allowed.headers.get("access-control-expose-headers") ?? "", /Location/);
    const other = await call("GET", "/healthz", { headers: { origin: "https://evil.example" } });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    const unauthorized = await call("GET", "/v1/actions/lookup-customer", { key: null, headers: { origin: ORIGIN } });
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers.get("access-control-allow-origin"), ORIGIN, "errors carry CORS headers too");
  });

  test("a preflight from an allowed origin is answered; from another origin it is refused", async () => {
    const preflight = {
      origin: ORIGIN,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type, idempotency-key",
    };
    const ok = await call("OPTIONS", "/v1/actions/lookup-customer/invoke", { key: null, headers: preflight });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
    assert.match(ok.headers.get("access-control-allow-methods") ?? "", /POST/);
    const allowHeaders = (ok.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    for (const h of ["authorization", "content-type", "idempotency-key"]) assert.ok(allowHeaders.includes(h), h);
    assert.match(ok.headers.get("access-control-expose-headers") ?? "", /Location/);

    const refused = await call("OPTIONS", "/v1/actions/lookup-customer/invoke", {
      key: null,
      headers: { ...preflight, origin: "http://localhost:9999" },
    });
    assert.notEqual(refused.status, 204);
    for (const name of ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers"]) {
      assert.equal(refused.headers.get(name), null, name);
    }
  });
});

describe("definitions and validation", () => {
  test("GET /v1/actions/{id} is the definition, cached in the isolate", async () => {
    const first = await call("GET", "/v1/actions/create-ticket");
    assert.equal(first.status, 200);
    assert.equal(first.body.id, "create-ticket");
    assert.equal(first.body.inputs.length, 10);
    const before = await control.stats();
    const second = await call("GET", "/v1/actions/create-ticket");
    assert.deepEqual(second.body, first.body);
    const afterStats = await control.stats();
    assert.equal(afterStats.byAction["create-ticket"].definition, before.byAction["create-ticket"].definition);
    const unknown = await call("GET", "/v1/actions/no-such-action");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, "not_found");
  });

  test("validate answers the coerced inputs, or 422 listing every issue", async () => {
    const ok = await call("POST", "/v1/actions/lookup-customer/validate", { body: { inputs: { customerId: 42, maxResults: "5" } } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { valid: true, inputs: { customerId: "42", maxResults: 5 } });

    const bad = await call("POST", "/v1/actions/lookup-customer/validate", {
      body: { inputs: { maxResults: 1.5, includeHistory: "maybe", colour: "red" } },
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.code, "validation");
    const issues = bad.body.error.issues.map((i) => `${i.parameter}:${i.kind}`).sort();
    assert.deepEqual(issues, ["colour:unknown_parameter", "customerId:missing_required", "includeHistory:wrong_type", "maxResults:wrong_type"]);

    const viaInvoke = await call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: { colour: "red" } } });
    assert.equal(viaInvoke.status, 422);
    assert.equal(viaInvoke.body.error.issues.length, 2);
  });
});

describe("sync invokes", () => {
  test("a sync invoke is 200 with the result, and GET /v1/invocations/{id} answers it afterwards", async () => {
    const res = await call("POST", "/v1/actions/lookup-customer/invoke", { body: lookup("c-42") });
    assert.equal(res.status, 200, res.text);
    const r = res.body;
    assert.match(r.invocationId, /^dai_[0-9a-f]{32}$/);
    assert.equal(r.actionId, "lookup-customer");
    assert.match(r.invokeId, /^inv_/);
    assert.equal(r.status, "completed");
    assert.equal(r.outputs.customerId, "c-42");
    assert.equal(typeof r.latencyMs, "number");
    assert.equal(r.audit.event, "DATA_ACTION_INVOCATION");
    assert.equal(r.audit.invokeId, r.invokeId);

    const got = await call("GET", `/v1/invocations/${r.invocationId}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.status, "completed");
    assert.equal(got.body.completedBy, "invoke");
    assert.deepEqual(got.body.outputs, r.outputs);
    assert.deepEqual(got.body.audit, r.audit);
    assert.equal(got.body.pollCount, 0);
    assert.ok(got.body.createdAt && got.body.completedAt);
  });

  test("a warm sync invoke costs exactly one upstream request", async () => {
    await call("POST", "/v1/actions/lookup-customer/invoke", { body: lookup() });
    const before = await control.stats();
    const n = 10;
    for (let i = 0; i < n; i++) {
      const res = await call("POST", "/v1/actions/lookup-customer/invoke", { body: lookup(`c-${i}`) });
      assert.equal(res.status, 200);
    }
    const afterStats = await control.stats();
    assert.equal(upstreamRequests(afterStats) - upstreamRequests(before), n, JSON.stringify(afterStats.requests));
    assert.equal(afterStats.requests.invoke - before.requests.invoke, n);
  });

  test("a sync action that fails is 200 with status failed and the error", async () => {
    const res = await call("POST", "/v1/actions/sync-fails/invoke", { body: { inputs: { customerId: "c-1" } } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, "failed");
    assert.equal(res.body.error.code, "execution_failed");
    assert.equal(res.body.error.upstreamCode, "DOWNSTREAM_ERROR");
    assert.equal(res.body.outputs, undefined);
    const got = await call("GET", `/v1/invocations/${res.body.invocationId}`);
    assert.equal(got.body.status, "failed");
  });

  test("an action the upstream refuses is an error answer with the core's code", async () => {
    const res = await call("POST", "/v1/actions/restricted/invoke", { body: { inputs: {} } });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, "forbidden");
  });
});

describe("idempotency keys", () => {
  test("the same key and body answer the first invocation without a second upstream invoke", async () => {
    const key = `order-${Date.now()}`;
    const first = await call("POST", "/v1/actions/lookup-customer/invoke", { body: lookup("idem-1"), headers: { "idempotency-key": key } });
    assert.equal(first.status, 200);
    const before = await control.stats();
    // Key order and an integer given as text do not make it another request.
    const again = await call("POST", "/v1/actions/lookup-customer/invoke", {
      raw: JSON.stringify({ inputs: { customerId: "idem-1" } }),
      headers: { "idempotency-key": key, "content-type": "application/json" },
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.invocationId, first.body.invocationId);
    assert.deepEqual(again.body.outputs, first.body.outputs);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    const afterStats = await control.stats();
    assert.equal(afterStats.byAction["lookup-customer"].invoke, before.byAction["lookup-customer"].invoke);

    const other = await call("POST", "/v1/actions/lookup-customer/invoke", { body: lookup("idem-2"), headers: { "idempotency-key": key } });
    assert.equal(other.status, 422);
    assert.match(other.body.error.message, /Idempotency-Key/);
    const otherCaller = await call("POST", "/v1/actions/lookup-customer/invoke", { body: lookup("idem-1"), headers: { "idempotency-key": "bad key" } });
    assert.equal(otherCaller.status, 400);
  });

  test("an async invocation replayed by its key answers 202 with the same Location", async () => {
    await control.config({ callbackDrop: false });
    const key = `export-${Date.now()}`;
    const first = await call("POST", "/v1/actions/never-finishes/invoke", { body: { inputs: {} }, headers: { "idempotency-key": key } });
    assert.equal(first.status, 202);
    const again = await call("POST", "/v1/actions/never-finishes/invoke", { body: { inputs: {} }, headers: { "idempotency-key": key } });
    assert.equal(again.status, 202);
    assert.equal(again.body.invocationId, first.body.invocationId);
    assert.equal(again.headers.get("location"), first.headers.get("location"));
  });
});

describe("async invokes and callbacks", () => {
  test("202 with Location, then completion by the callback with no polls", async () => {
    await control.config({ callbackDrop: false, callbackDuplicate: false });
    const before = await control.stats();
    const res = await call("POST", "/v1/actions/export-report/invoke", { body: report(200) });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.status, "pending");
    assert.match(res.body.invocationId, /^dai_/);
    assert.equal(res.headers.get("location"), `/v1/invocations/${res.body.invocationId}`);

    const view = await deliveredAttempts(res.body.invokeId, 1);
    capabilityUrls.push(view.callbackUrl);
    assert.ok(view.callbackUrl.startsWith(`${worker.url}/v1/callbacks/${res.body.invocationId}/`), view.callbackUrl);
    const got = await call("GET", res.headers.get("location"));
    assert.equal(got.status, 200);
    assert.equal(got.body.status, "completed");
    assert.equal(got.body.completedBy, "callback");
    assert.equal(got.body.outputs.url.length > 0, true);
    assert.equal(got.body.audit.event, "DATA_ACTION_CALLBACK");
    const afterStats = await control.stats();
    assert.equal(afterStats.byAction["export-report"].poll - before.byAction["export-report"].poll, 0, "no polls");
    assert.equal(afterStats.byAction["export-report"].invoke - before.byAction["export-report"].invoke, 1);
  });

  test("?wait=N answers 200 when a short async job ends within N seconds", async () => {
    const started = Date.now();
    const res = await call("POST", "/v1/actions/export-report/invoke?wait=10", { body: report(300) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, "completed");
    // The callback (at about 300 ms, long before the first poll) found the invocation the
    // request was still waiting on, and woke it.
    assert.equal(res.body.completedBy, "callback");
    assert.ok(Date.now() - started < 1_900, `answered after ${Date.now() - started} ms`);
    // The waiter is woken before the callback's own answer reaches the emulator.
    const view = await deliveredAttempts(res.body.invokeId, 1);
    assert.deepEqual(view.callback.attempts.map((a) => a.httpStatus), [200]);
    const got = await call("GET", `/v1/invocations/${res.body.invocationId}`);
    assert.equal(got.body.status, "completed");

    // Not done within ?wait=1: 202; then GET ?wait=N is woken by the callback at about 4 s (the
    // polls are at 2 s and 6 s).
    const pending = await call("POST", "/v1/actions/export-report/invoke?wait=1", { body: report(4_000) });
    assert.equal(pending.status, 202);
    assert.equal(pending.headers.get("location"), `/v1/invocations/${pending.body.invocationId}`);
    const waited = await call("GET", `/v1/invocations/${pending.body.invocationId}?wait=10`);
    assert.equal(waited.status, 200);
    assert.equal(waited.body.status, "completed");
    assert.equal(waited.body.completedBy, "callback");
  });

  test("duplicate callbacks change nothing and get the first answer", async () => {
    await control.config({ callbackDuplicate: true });
    try {
      const res = await call("POST", "/v1/actions/export-report/invoke", { body: report(100) });
      assert.equal(res.status, 202);
      const view = await deliveredAttempts(res.body.invokeId, 2);
      capabilityUrls.push(view.callbackUrl);
      assert.ok(view.callback.attempts.some((a) => a.duplicate && a.httpStatus === 200), JSON.stringify(view.callback));
      const first = await call("GET", `/v1/invocations/${res.body.invocationId}`);
      assert.equal(first.body.status, "completed");
      assert.equal(first.body.completedBy, "callback");

      // Replay it once more, signed: the answer is derived from the stored record.
      const body = JSON.stringify({ invokeId: res.body.invokeId, status: "completed", outputs: { rowCount: 1, url: "x" } });
      const replay = await call("POST", new URL(view.callbackUrl).pathname, { key: null, raw: body, headers: webhookHeaders(SIGNING_SECRET, body) });
      assert.equal(replay.status, 200, replay.text);
      assert.equal(replay.body.callbackStatus, "SYNCED");
      assert.equal(replay.body.processedAt, first.body.completedAt);
      assert.deepEqual(JSON.parse(replay.body.auditLog), first.body.audit);
      assert.equal(replay.body.duplicate, true);
      const later = await call("GET", `/v1/invocations/${res.body.invocationId}`);
      assert.deepEqual(later.body, first.body);
    } finally {
      await control.config({ callbackDuplicate: false });
    }
  });

  test("forged callbacks are 401 and change nothing; a correctly signed one is 200", async () => {
    const res = await call("POST", "/v1/actions/never-finishes/invoke", { body: { inputs: {} } });
    assert.equal(res.status, 202);
    const { callbackUrl } = await control.invocation(res.body.invokeId);
    capabilityUrls.push(callbackUrl);
    const path = new URL(callbackUrl).pathname;
    const token = path.split("/").pop();
    const body = JSON.stringify({ invokeId: res.body.invokeId, status: "completed", outputs: { rowCount: 7, url: "u" } });
    const signed = webhookHeaders(SIGNING_SECRET, body);
    const otherToken = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");

    const attempts = {
      "wrong token": [path.replace(token, otherToken), signed],
      "token of the wrong shape": [path.replace(token, "short"), signed],
      "no signature": [path, { "content-type": "application/json" }],
      "bad signature": [path, { ...signed, "webhook-signature": webhookHeaders("whsec_b3RoZXIta2V5LW90aGVyLWtleQ==", body)["webhook-signature"] }],
      "stale timestamp": [path, webhookHeaders(SIGNING_SECRET, body, { ageS: 600 })],
    };
    for (const [what, [p, headers]] of Object.entries(attempts)) {
      const forged = await call("POST", p, { key: null, raw: body, headers });
      assert.equal(forged.status, 401, `${what}: ${forged.text}`);
      assert.equal(forged.body.error.code, "unauthorized", what);
    }
    const tampered = await call("POST", path, { key: null, raw: body.replace("7", "8"), headers: signed });
    assert.equal(tampered.status, 401, "a body that is not the signed one");
    const unchanged = await call("GET", `/v1/invocations/${res.body.invocationId}`);
    assert.equal(unchanged.body.status, "pending");
    assert.equal(unchanged.body.completedAt, undefined);
    assert.equal(unchanged.body.outputs, undefined);

    const otherInvoke = JSON.stringify({ invokeId: "inv_someone_else", status: "completed" });
    const mismatched = await call("POST", path, { key: null, raw: otherInvoke, headers: webhookHeaders(SIGNING_SECRET, otherInvoke) });
    assert.equal(mismatched.status, 400);
    assert.equal((await call("GET", `/v1/invocations/${res.body.invocationId}`)).body.status, "pending");

    const ok = await call("POST", path, { key: null, raw: body, headers: signed });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.callbackStatus, "SYNCED");
    const done = await call("GET", `/v1/invocations/${res.body.invocationId}`);
    assert.equal(done.body.status, "completed");
    assert.equal(done.body.completedBy, "callback");
    assert.deepEqual(done.body.outputs, { rowCount: 7, url: "u" });
  });

  test("without a callback, the Worker follows an accepted invocation to its end in the background", async () => {
    await control.config({ callbackDrop: true });
    try {
      const before = await control.stats();
      const res = await call("POST", "/v1/actions/export-report/invoke", { body: report(100) });
      assert.equal(res.status, 202);
      // Nobody asks: the invocation's object polls on its alarm, about 2 s after the 202.
      await eventually(async () => (await control.stats()).byAction["export-report"].poll > before.byAction["export-report"].poll, {
        timeoutMs: 8_000,
        what: "a background poll",
      });
      const got = await eventually(async () => {
        const r = await call("GET", `/v1/invocations/${res.body.invocationId}`);
        return r.body.status === "completed" ? r : null;
      });
      assert.equal(got.body.completedBy, "poll");
    } finally {
      await control.config({ callbackDrop: false });
    }
  });
});

describe("logs", () => {
  test("logs are JSON lines with request ids and never contain a secret, an API key or a capability token", async () => {
    await sleep(200);
    // The Worker's own lines (wrangler's access log, which shows raw URLs, is not the Worker's).
    const lines = worker
      .output()
      .split("\n")
      .filter((l) => l.includes('"requestId":'))
      .map((l) => l.slice(l.indexOf("{"), l.lastIndexOf("}") + 1));
    const output = lines.join("\n");
    assert.ok(lines.length > 20, "the Worker logged JSON lines");
    for (const line of lines) {
      const entry = JSON.parse(line);
      assert.equal(typeof entry.requestId, "string");
      assert.equal(typeof entry.msg, "string");
    }
    assert.ok(lines.some((l) => l.includes("/v1/callbacks/") && l.includes("/***")), "callback paths are logged redacted");
    assert.ok(capabilityUrls.length >= 3);
    for (const url of capabilityUrls) {
      const token = url.split("/").pop();
      assert.ok(!output.includes(token), "a callback capability token reached the logs");
    }
    for (const secret of [API_KEY, "demo-secret", SIGNING_SECRET, SIGNING_SECRET.slice(6)]) {
      assert.ok(!lines.some((l) => l.includes(secret)), `a secret reached the logs: ${secret.slice(0, 4)}...`);
    }
    assert.ok(!/access_token|Bearer [A-Za-z0-9]/.test(lines.join("\n")), "a token reached the logs");
  });
});
