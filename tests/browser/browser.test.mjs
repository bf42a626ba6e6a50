// The npm package in headless Chromium, in proxy mode through the Worker (workerd) against the
// emulator: the scenarios of the Node tests, as a browser admin tool would run them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";
import { ROOT, startEmulator, startWorker, freePort } from "../e2e/harness.mjs";

const API_KEY = "browser-key-1";
const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

let emulator, worker, server, pageOrigin, browser, page, profile;

/** Serves tests/browser/ at / and pkg/ at /pkg/ (the package as built, dist/ included). */
async function startStaticServer(port) {
  const srv = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    const file = path.startsWith("/pkg/") ? join(ROOT, path) : join(ROOT, "tests/browser", path === "/" ? "page.html" : path);
    if (!file.startsWith(ROOT) || !existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(await readFile(file));
  });
  await new Promise((resolve) => srv.listen(port, "127.0.0.1", resolve));
  return srv;
}

async function emulatorControl(path, body) {
  const res = await fetch(`${emulator.url}/_emulator/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

before(async () => {
  assert.ok(existsSync(join(ROOT, "pkg/dist/cxone_data_actions_bg.wasm")), "build the package first (pkg: npm run build)");
  const pagePort = await freePort();
  pageOrigin = `http://127.0.0.1:${pagePort}`;
  emulator = await startEmulator();
  worker = await startWorker({
    vars: { CXONE_BASE_URL: emulator.url, ALLOWED_ORIGINS: pageOrigin, MAX_POLL_SECONDS: "60" },
    secrets: { CXONE_CLIENT_SECRET: "demo-secret", PROXY_API_KEYS: API_KEY },
  });
  server = await startStaticServer(pagePort);
  profile = mkdtempSync(join(tmpdir(), "cxone-chromium-"));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e));
  await page.goto(`${pageOrigin}/`);
  await page.waitForFunction(() => window.libReady === true, null, { timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  server?.close();
  await worker?.stop();
  await emulator?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Runs `fn(lib, client, args)` in the page with a proxy-mode client. */
function inPage(fn, args = {}) {
  return page.evaluate(
    async ({ source, proxyUrl, apiKey, args }) => {
      const client = new window.lib.DataActionsClient({ proxyUrl, apiKey });
      // eslint-disable-next-line no-new-func
      const run = new Function("return (" + source + ")")();
      try {
        return { ok: true, value: await run(window.lib, client, args) };
      } catch (e) {
        return {
          ok: false,
          isDataActionsError: e instanceof window.lib.DataActionsError,
          name: e?.name, code: e?.code, status: e?.status, retryable: e?.retryable,
          issues: e?.issues, invokeId: e?.invokeId, message: String(e?.message ?? e),
        };
      }
    },
    { source: fn.toString(), proxyUrl: worker.url, apiKey: API_KEY, args },
  );
}

test("sync invoke through the Worker", async () => {
  const r = await inPage(async (lib, client) => client.invoke("lookup-customer", { customerId: 42, includeHistory: "yes" }));
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.value.status, "completed");
  assert.equal(r.value.outputs.customerId, "42");
  assert.ok(r.value.invokeId);
  assert.equal(typeof r.value.latencyMs, "number");
  assert.equal(r.value.audit.event, "DATA_ACTION_INVOCATION");
});

test("getAction and local validateInputs list every issue", async () => {
  const r = await inPage(async (lib, client) => {
    const definition = await client.getAction("lookup-customer");
    const coerced = client.validateInputs(definition, { customerId: 7, maxResults: "3" });
    let error;
    try {
      client.validateInputs(definition, { maxResults: "4.5", colour: "red" });
    } catch (e) {
      error = { code: e.code, isError: e instanceof lib.DataActionsError, params: e.issues.map((i) => i.parameter) };
    }
    return { id: definition.id, coerced, error };
  });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.value.id, "lookup-customer");
  assert.deepEqual(r.value.coerced, { customerId: "7", maxResults: 3 });
  assert.deepEqual(r.value.error, { code: "validation", isError: true, params: ["customerId", "colour", "maxResults"] });
});

test("invoke with bad inputs rejects with a DataActionsError listing every issue", async () => {
  const r = await inPage(async (lib, client) => client.invoke("lookup-customer", { maxResults: "4.5", includeHistory: "perhaps" }));
  assert.equal(r.ok, false);
  assert.equal(r.isDataActionsError, true);
  assert.equal(r.code, "validation");
  assert.deepEqual(r.issues.map((i) => i.parameter).sort(), ["customerId", "includeHistory", "maxResults"]);
});

test("async invoke completes and onStatus reports progress", async () => {
  const r = await inPage(async (lib, client) => {
    const statuses = [];
    const result = await client.invoke("export-report", { reportName: "daily", durationMs: 1500 }, { onStatus: (s) => statuses.push(s.status) });
    return { result, statuses };
  });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.value.result.status, "completed");
  assert.equal(typeof r.value.result.outputs.rowCount, "number");
  assert.ok(r.value.statuses.length >= 1, JSON.stringify(r.value.statuses));
  assert.equal(r.value.statuses.at(-1), "completed");
});

test("a rate-limited action recovers", async () => {
  await emulatorControl("reset", {});
  const r = await inPage(async (lib, client) => client.invoke("rate-limited", { customerId: "1" }));
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.value.status, "completed");
  const stats = await emulatorControl("stats");
  assert.equal(stats.requests.invoke, 3, "two 429s, then success");
});

test("token revoked while an async invocation runs: the Worker refreshes and it completes", async () => {
  const started = page.evaluate(({ proxyUrl, apiKey }) => {
    const client = new window.lib.DataActionsClient({ proxyUrl, apiKey });
    window.pending = client.invoke("export-report", { reportName: "r", durationMs: 2000 });
    return true;
  }, { proxyUrl: worker.url, apiKey: API_KEY });
  await started;
  await new Promise((r) => setTimeout(r, 600));
  const before = await emulatorControl("stats");
  await emulatorControl("revoke-tokens", {});
  const r = await page.evaluate(async () => {
    try {
      const v = await window.pending;
      return { ok: true, status: v.status };
    } catch (e) {
      return { ok: false, code: e.code, message: e.message };
    }
  });
  assert.deepEqual(r, { ok: true, status: "completed" });
  // The completion arrives by callback or by poll; a further invoke must fetch a new token.
  const again = await inPage(async (lib, client) => client.invoke("lookup-customer", { customerId: "9" }));
  assert.ok(again.ok, JSON.stringify(again));
  const after = await emulatorControl("stats");
  assert.ok(after.requests.token > before.requests.token, "a new token was fetched after revocation");
});

test("an AbortSignal cancels waiting promptly", async () => {
  const r = await inPage(async (lib, client) => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 500);
    try {
      await client.invoke("never-finishes", {}, { signal: controller.signal });
      return { settled: "resolved" };
    } catch (e) {
      return { settled: "rejected", code: e.code, isError: e instanceof lib.DataActionsError, ms: Date.now() - started };
    }
  });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.value.settled, "rejected");
  assert.equal(r.value.code, "cancelled");
  assert.equal(r.value.isError, true);
  assert.ok(r.value.ms < 3_000, `settled after ${r.value.ms} ms`);
});

test("errors keep their codes across the proxy", async () => {
  const forbidden = await inPage(async (lib, client) => client.getAction("restricted"));
  assert.equal(forbidden.code, "forbidden");
  const missing = await inPage(async (lib, client) => client.getAction("no-such-action"));
  assert.equal(missing.code, "not_found");
  const wrongKey = await page.evaluate(async ({ proxyUrl }) => {
    const client = new window.lib.DataActionsClient({ proxyUrl, apiKey: "wrong-key" });
    try {
      await client.getAction("lookup-customer");
      return "resolved";
    } catch (e) {
      return { code: e.code, status: e.status };
    }
  }, { proxyUrl: worker.url });
  assert.deepEqual(wrongKey, { code: "unauthorized", status: 401 });
});

test("handleCallback answers SYNCED, then the same answer for a duplicate", async () => {
  const r = await inPage(async (lib, client) => {
    const payload = { invokeId: "inv-b1", actionId: "export-report", status: "completed", outputs: { rowCount: 1 } };
    const first = client.handleCallback(payload);
    const second = client.handleCallback({ ...payload });
    const failed = client.handleCallback({ invokeId: "inv-b2", status: "failed" });
    return { first: await first, second: await second, failed: await failed };
  });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.value.first.callbackStatus, "SYNCED");
  assert.equal(r.value.second.auditLog, r.value.first.auditLog);
  assert.equal(r.value.second.processedAt, r.value.first.processedAt);
  assert.equal(r.value.failed.callbackStatus, "PROCESSED");
  assert.equal(JSON.parse(r.value.first.auditLog).event, "DATA_ACTION_CALLBACK");
});

test("direct mode with a client secret is refused in a browser", async () => {
  const r = await page.evaluate(() => {
    try {
      new window.lib.DataActionsClient({ baseUrl: "http://127.0.0.1:1", clientId: "x", clientSecret: "must-not-be-here" });
      return "constructed";
    } catch (e) {
      return { code: e.code, isError: e instanceof window.lib.DataActionsError, leaks: String(e.message).includes("must-not-be-here") };
    }
  });
  assert.deepEqual(r, { code: "config", isError: true, leaks: false });
});

test("the Worker answers CORS for the allowed origin only", async () => {
  const allowed = await fetch(`${worker.url}/v1/actions/lookup-customer`, { method: "OPTIONS", headers: { origin: pageOrigin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" } });
  assert.equal(allowed.headers.get("access-control-allow-origin"), pageOrigin);
  const other = await fetch(`${worker.url}/v1/actions/lookup-customer`, { headers: { origin: "http://evil.example", authorization: `Bearer ${API_KEY}` } });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
});
