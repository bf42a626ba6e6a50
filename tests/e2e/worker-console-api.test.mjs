// The API pieces the admin console needs, in workerd against the emulator over real HTTP, every
// answer checked against the Worker's own /openapi.json: GET /openapi.json (a valid OpenAPI 3.1
// document, public, equal to src/worker/openapi.json), GET / (a small page), GET /v1/actions
// (the upstream's list, paged with an opaque cursor; the actions this Worker has seen when the
// upstream cannot list), the headers exposed to browsers, and validate / invoke / invocation
// answers (sync, async with Location, an Idempotency-Key replay, 422 issues).
//   node --test tests/e2e/worker-console-api.test.mjs
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { ROOT, startEmulator, startWorker } from "./harness.mjs";
import { SIGNING_SECRET, eventually } from "./helpers.mjs";
import { checkedApi, loadContract } from "./openapi.mjs";

const ORIGIN = "https://console.example";
let emu;
let worker;
let contract;
let call;

before(async () => {
  emu = await startEmulator({ args: ["--callback-signing-secret", SIGNING_SECRET] });
  worker = await startWorker({ vars: { CXONE_BASE_URL: emu.url, ALLOWED_ORIGINS: ORIGIN } });
  const res = await fetch(`${worker.url}/openapi.json`);
  assert.equal(res.status, 200);
  contract = await loadContract(await res.json());
  call = checkedApi(worker.url, contract);
});

after(async () => {
  await worker?.stop();
  await emu?.stop();
});

/** Every page of /v1/actions with `limit`, following the cursor. */
async function allPages(limit) {
  const pages = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    const res = await call("GET", `/v1/actions?${query}`);
    assert.equal(res.status, 200, res.text);
    pages.push(res.body);
    cursor = res.body.cursor;
  } while (cursor && pages.length < 20);
  return pages;
}

describe("the document and the home page", () => {
  test("GET /openapi.json is public, valid OpenAPI 3.1, the file in the repository, and documents every route", async () => {
    const res = await call("GET", "/openapi.json", { key: null, headers: { origin: ORIGIN } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, JSON.parse(readFileSync(join(ROOT, "src/worker/openapi.json"), "utf8")));
    assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN, "same CORS as the rest");
    for (const path of ["/", "/healthz", "/openapi.json", "/v1/actions", "/v1/actions/{actionId}", "/v1/actions/{actionId}/validate",
      "/v1/actions/{actionId}/invoke", "/v1/invocations", "/v1/invocations/{invocationId}", "/v1/callbacks/{invocationId}/{token}"]) {
      assert.ok(res.body.paths[path], `${path} is documented`);
    }
    // The checker itself catches a wrong answer (it is not a check that always passes).
    const wrong = contract.problems({ method: "GET", path: "/v1/actions", status: 200, headers: { "content-type": "application/json" }, body: { actions: [{}], cursor: 1 } });
    assert.ok(wrong.length > 0 && /cursor|id/.test(wrong.join(" ")), wrong.join("\n"));
    assert.ok(contract.problems({ method: "GET", path: "/v1/nothing", status: 200, headers: {}, body: {} }).length > 0);
    assert.ok(contract.problems({ method: "GET", path: "/v1/actions", status: 418, headers: {}, body: {} }).length > 0);
  });

  test("GET / is a small page linking to the console and the document, under a strict CSP", async () => {
    const res = await call("GET", "/", { key: null });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(res.text, /href="\/admin\/"/);
    assert.match(res.text, /href="\/openapi.json"/);
    assert.doesNotMatch(res.text, /<script/i);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    const post = await call("POST", "/", { key: null, body: {} });
    assert.equal(post.status, 405);
  });
});

describe("GET /v1/actions", () => {
  test("pages through the upstream's list with an opaque cursor", async () => {
    const pages = await allPages(4);
    assert.equal(pages.length, 3, "9 actions in pages of 4");
    const ids = pages.flatMap((p) => p.actions.map((a) => a.id));
    assert.equal(ids.length, 9);
    assert.equal(new Set(ids).size, 9);
    assert.deepEqual(pages[0].actions[0], { id: "lookup-customer", name: "Lookup customer", mode: "sync" });
    assert.ok(ids.includes("export-report"));
    for (const page of pages) assert.equal(page.source, "upstream");
    assert.equal(pages.at(-1).cursor, null);
    assert.doesNotMatch(pages[0].cursor, /export|lookup|create/, "the cursor is opaque, not the upstream's token as is");
    const stats = await (await fetch(`${emu.url}/_emulator/stats`)).json();
    assert.ok(stats.requests.list >= 3, JSON.stringify(stats.requests));
  });

  test("a bad limit or a foreign cursor is 400; no key or a wrong key is 401", async () => {
    for (const query of ["limit=0", "limit=101", "limit=ten", "cursor=bm90LW91cnM", "cursor=%2F%2F"]) {
      const res = await call("GET", `/v1/actions?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, "bad_input", query);
    }
    for (const key of [null, "wrong-key"]) {
      const res = await call("GET", "/v1/actions", { key });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, "unauthorized");
    }
  });

  test("when the upstream cannot list, the actions this Worker has served are listed (source: seen)", async () => {
    // An upstream without the list route: the emulator behind a forwarder that answers 404 there.
    const forwarder = createServer(async (req, res) => {
      const url = new URL(req.url, emu.url);
      if (req.method === "GET" && url.pathname === "/api/v2/data-actions") {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "NOT_FOUND", message: "no route" }] }));
        return;
      }
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const headers = { ...req.headers };
      delete headers.host;
      const upstream = await fetch(url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined, redirect: "manual" });
      res.writeHead(upstream.status, Object.fromEntries(upstream.headers)).end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise((ok) => forwarder.listen(0, "127.0.0.1", ok));
    let other;
    try {
      other = await startWorker({ vars: { CXONE_BASE_URL: `http://127.0.0.1:${forwarder.address().port}` } });
      const seen = checkedApi(other.url, contract);
      const empty = await seen("GET", "/v1/actions");
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body, { actions: [], cursor: null, source: "seen" });
      for (const id of ["lookup-customer", "export-report"]) {
        assert.equal((await seen("GET", `/v1/actions/${id}`)).status, 200, id);
      }
      // Recorded after the definition's answer: wait for both.
      const listed = await eventually(async () => {
        const res = await seen("GET", "/v1/actions");
        return res.body.actions.length === 2 ? res.body : null;
      }, { what: "two seen actions" });
      assert.equal(listed.source, "seen");
      assert.deepEqual(listed.actions, [
        { id: "export-report", name: "Export report", mode: "async" },
        { id: "lookup-customer", name: "Lookup customer", mode: "sync" },
      ]);
      const first = await seen("GET", "/v1/actions?limit=1");
      assert.equal(first.body.actions.length, 1);
      assert.equal(typeof first.body.cursor, "string");
      const second = await seen("GET", `/v1/actions?limit=1&cursor=${encodeURIComponent(first.body.cursor)}`);
      assert.equal(second.body.source, "seen");
      assert.deepEqual([...first.body.actions, ...second.body.actions].map((a) => a.id), ["export-report", "lookup-customer"]);
    } finally {
      // Also when the Worker did not start: an open forwarder would keep the test process alive.
      await other?.stop();
      forwarder.closeAllConnections();
      forwarder.close();
    }
  });
});

describe("headers a browser may read", () => {
  test("Location, Retry-After, x-request-id and idempotent-replayed are exposed, on answers and preflights", async () => {
    const expected = ["location", "retry-after", "x-request-id", "idempotent-replayed"];
    const exposed = (res) => (res.headers.get("access-control-expose-headers") ?? "").toLowerCase().split(/,\s*/);
    const answer = await call("GET", "/v1/actions", { headers: { origin: ORIGIN } });
    assert.deepEqual(expected.filter((h) => !exposed(answer).includes(h)), []);
    const preflight = await fetch(`${worker.url}/v1/actions/export-report/invoke`, {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "authorization, idempotency-key" },
    });
    assert.equal(preflight.status, 204);
    assert.deepEqual(expected.filter((h) => !exposed(preflight).includes(h)), []);
  });
});

describe("the console's calls, checked against the document", () => {
  test("validate: coerced inputs, or 422 with an issue per field", async () => {
    const ok = await call("POST", "/v1/actions/lookup-customer/validate", { body: { inputs: { customerId: 42, maxResults: "5" } } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { valid: true, inputs: { customerId: "42", maxResults: 5 } });
    const bad = await call("POST", "/v1/actions/lookup-customer/validate", { body: { inputs: { maxResults: "many", colour: 1 } } });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.error.issues.map((i) => [i.parameter, i.kind]).sort(), [
      ["colour", "unknown_parameter"], ["customerId", "missing_required"], ["maxResults", "wrong_type"],
    ]);
  });

  test("a sync invoke, an async one with Location, its record, and an Idempotency-Key replay", async () => {
    const sync = await call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: { customerId: "7" } } });
    assert.equal(sync.status, 200);
    assert.equal(sync.body.status, "completed");
    assert.equal(sync.body.completedBy, "invoke");
    assert.match(sync.body.audit.payloadHash, /^[0-9a-f]{64}$/);

    const key = `console-${Date.now()}`;
    const body = { inputs: { reportName: "daily", durationMs: 400 } };
    const accepted = await call("POST", "/v1/actions/export-report/invoke", { body, headers: { "idempotency-key": key } });
    assert.equal(accepted.status, 202);
    assert.equal(accepted.headers.get("location"), `/v1/invocations/${accepted.body.invocationId}`);
    const replay = await call("POST", "/v1/actions/export-report/invoke", { body, headers: { "idempotency-key": key } });
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
    assert.equal(replay.body.invocationId, accepted.body.invocationId);
    const done = await call("GET", `/v1/invocations/${accepted.body.invocationId}?wait=10`);
    assert.equal(done.status, 200);
    assert.equal(done.body.status, "completed");
    assert.ok(["callback", "poll"].includes(done.body.completedBy), done.body.completedBy);
    const reused = await call("POST", "/v1/actions/export-report/invoke", { body: { inputs: { reportName: "other" } }, headers: { "idempotency-key": key } });
    assert.equal(reused.status, 422);
    const failed = await call("POST", "/v1/actions/sync-fails/invoke", { body: { inputs: { customerId: "1" } } });
    assert.equal(failed.status, 200);
    assert.equal(failed.body.status, "failed");
    assert.equal(failed.body.error.upstreamCode, "DOWNSTREAM_ERROR");
  });
});
