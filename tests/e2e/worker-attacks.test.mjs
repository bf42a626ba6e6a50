// The attack suite: someone probing the Worker in workerd (`wrangler dev`) against the emulator.
// Forged, truncated and replayed callback capability tokens and Standard Webhooks signatures,
// oversized, chunked and deeply nested bodies; callers without a key, with a wrong one or one in
// the query string, ids with dot segments, encoded slashes, NUL and non-ASCII, header injection
// through context values, a callbackUrl of their own, CORS preflights from other origins and
// every method a route does not allow. Each attempt must be refused (or, where the request itself
// is legitimate, must not achieve what it tried), change nothing (the record, the upstream's
// counters) and be logged under its request id; finally every log line the Worker wrote is
// scanned for every secret, token, API key and capability token. Prints the attempts tried and
// accepted (ATTACKS_JSON=path also writes them as JSON).
//   node --test tests/e2e/worker-attacks.test.mjs
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { isDeepStrictEqual } from "node:util";

import { startEmulator, startWorker } from "./harness.mjs";
import { API_KEY, SIGNING_SECRET, apiClient, emulatorControl, eventually, sleep, webhookHeaders } from "./helpers.mjs";

const ORIGIN = "https://app.example";
const SECOND_KEY = "second-key-0f9e8d7c6b5a4";
const CLIENT_SECRET = "attack-suite-client-secret-5c1d";
const TOKEN_SHAPED = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/;

let emu;
let worker;
let call;
let control;
/** Every chunk the Worker's wrangler wrote. */
let workerOutput = "";
/** Requests made to the attacker's own server (a callbackUrl of its own). */
const stolen = [];
let attacker;
let attackerUrl;
/** Capability tokens handed to the upstream during the suite: none may reach a log. */
const capabilityTokens = new Set();
/** Token-shaped values the suite made up (wrong tokens): the only 43-character runs a log may show. */
const madeUp = new Set(["A".repeat(43), "0".repeat(43)]);
/** Request ids of the attempts: each must have its log line. */
const requestIds = new Set();
const tally = { tried: 0, accepted: 0, byCategory: {} };

/**
 * Counts one attempt: `accepted` says whether it got what it tried. The assertion comes from the
 * caller; this only keeps the figures.
 */
function count(category, what, accepted, res) {
  tally.tried++;
  const c = (tally.byCategory[category] ??= { tried: 0, accepted: 0 });
  c.tried++;
  if (accepted) {
    tally.accepted++;
    c.accepted++;
  }
  const id = res?.headers?.get?.("x-request-id") ?? res?.requestId;
  if (id) requestIds.add(id);
  assert.equal(accepted, false, `${category}: ${what} was accepted (${res?.status}: ${res?.text?.slice(0, 200)})`);
}

/** An HTTP request with the path sent exactly as given (fetch would normalise dot segments). */
function raw(method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(worker.url);
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers, agent: false, timeout: 30_000 }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        let parsed;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode, headers: new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)])), text, body: parsed });
      });
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timed out")));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * A chunked upload of `total` bytes (`prefix`, then `fill`) in 64 KB chunks, 2 ms apart (as a slow
 * client would send them). Resolves to `{status, headers, text, chunks}` (`chunks` the server
 * pulled) or `status: 0` when the server closed the connection before answering.
 */
async function chunkedUpload(path, { headers = {}, total, prefix = "", fill = 0x20 }) {
  const size = 64 * 1024;
  let chunks = 0;
  const body = new ReadableStream({
    async pull(controller) {
      if (chunks * size >= total) return controller.close();
      const piece = new Uint8Array(size).fill(fill);
      if (chunks === 0 && prefix) piece.set(new TextEncoder().encode(prefix));
      chunks++;
      controller.enqueue(piece);
      await sleep(2);
    },
  });
  try {
    const res = await fetch(`${worker.url}${path}`, { method: "POST", body, duplex: "half", headers, signal: AbortSignal.timeout(30_000) });
    return { status: res.status, headers: res.headers, text: await res.text(), chunks };
  } catch (error) {
    return { status: 0, text: String(error.cause ?? error), chunks };
  }
}

/** Bytes written on a bare socket (request lines no HTTP client would send); resolves to the status. */
function socketRequest(bytes) {
  return new Promise((resolve) => {
    const url = new URL(worker.url);
    const socket = connect(Number(url.port), url.hostname);
    let answer = "";
    const done = () => {
      const status = Number(answer.match(/^HTTP\/1\.[01] (\d{3})/)?.[1] ?? 0);
      const requestId = answer.match(/\r\nx-request-id: ([0-9a-f]+)/i)?.[1];
      resolve({ status, requestId, text: answer.split("\r\n\r\n")[1] ?? "" });
    };
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on("data", (d) => {
      answer += d.toString("latin1");
      if (/\r\n\r\n/.test(answer)) socket.end();
    });
    socket.on("close", done);
    socket.on("error", () => {});
    socket.write(bytes);
  });
}

before(async () => {
  attacker = createServer((req, res) => {
    stolen.push(`${req.method} ${req.url}`);
    res.end("thanks");
  });
  await new Promise((res) => attacker.listen(0, "127.0.0.1", res));
  attackerUrl = `http://127.0.0.1:${attacker.address().port}`;
  emu = await startEmulator({ args: ["--callback-signing-secret", SIGNING_SECRET, "--client-secret", CLIENT_SECRET] });
  worker = await startWorker({
    vars: { CXONE_BASE_URL: emu.url, ALLOWED_ORIGINS: ORIGIN },
    secrets: { CXONE_CLIENT_SECRET: CLIENT_SECRET, PROXY_API_KEYS: `${API_KEY},${SECOND_KEY}`, CALLBACK_SIGNING_SECRET: SIGNING_SECRET },
    onOutput: (text) => (workerOutput += text),
  });
  call = apiClient(worker.url);
  control = emulatorControl(emu);
});

after(async () => {
  console.log(`attack suite: ${tally.tried} attempts tried, ${tally.accepted} accepted`);
  for (const [category, c] of Object.entries(tally.byCategory)) console.log(`  ${category.padEnd(28)} ${c.tried} tried, ${c.accepted} accepted`);
  if (process.env.ATTACKS_JSON) writeFileSync(process.env.ATTACKS_JSON, JSON.stringify(tally, null, 2));
  await worker?.stop();
  await emu?.stop();
  attacker?.close();
});

/** A pending invocation (never-finishes) with its callback path and token. */
async function pendingInvocation() {
  const res = await call("POST", "/v1/actions/never-finishes/invoke", { body: { inputs: { reportName: "target" } } });
  assert.equal(res.status, 202, res.text);
  const view = await control.invocation(res.body.invokeId);
  const path = new URL(view.callbackUrl).pathname;
  const token = path.split("/").pop();
  capabilityTokens.add(token);
  return { id: res.body.invocationId, invokeId: res.body.invokeId, path, token };
}

/**
 * After a chunked upload the Worker refused at 256 KB (it stops reading there), wrangler dev's
 * local proxy answers the next request on its connection to workerd 503 "Your worker restarted
 * mid-request" (a GET it retries by itself; a body that is never read does not do it). A GET
 * here takes that broken connection, so the next attempt is judged on its own.
 */
/**
 * Whether a chunked upload over the limit was refused: 413, the connection closed while the client
 * was still sending, or wrangler dev's proxy reporting the Worker's early answer as 503 "Your worker
 * restarted mid-request" (it does so when the answer comes while the body is still arriving).
 */
const refusedChunked = (res) => res.status === 413 || res.status === 0 || (res.status === 503 && /restarted mid-request/.test(res.text));

async function afterChunked() {
  await eventually(async () => (await raw("GET", "/healthz").catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 15_000, what: "the Worker after a chunked upload" });
}

/**
 * The upstream requests a caller's request can cause (definitions and invokes): the pending
 * targets' objects poll on their own alarms meanwhile, so polls are not counted.
 */
const upstreamRequests = (stats) => stats.requests.definition + stats.requests.invoke;

const record = async (id) => (await call("GET", `/v1/invocations/${id}`)).body;
const completedBody = (invokeId, outputs = { rowCount: 1, url: "u" }) => JSON.stringify({ invokeId, status: "completed", outputs });

describe("callbacks", () => {
  let target;
  let other;
  before(async () => {
    target = await pendingInvocation();
    other = await pendingInvocation();
  });

  test("wrong, truncated, extended and borrowed capability tokens are 401 and change nothing", async () => {
    const before = await record(target.id);
    const body = completedBody(target.invokeId);
    const signed = webhookHeaders(SIGNING_SECRET, body);
    const flip = (t, i) => t.slice(0, i) + (t[i] === "A" ? "B" : "A") + t.slice(i + 1);
    const tokens = {
      "one character changed (last)": flip(target.token, 42),
      "one character changed (first)": flip(target.token, 0),
      "truncated to 42": target.token.slice(0, 42),
      "truncated to 20": target.token.slice(0, 20),
      "one character added": `${target.token}A`,
      "empty": "",
      "percent-encoded": target.token.replace(/^./, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`),
      "upper-cased": target.token.toUpperCase() === target.token ? target.token.toLowerCase() : target.token.toUpperCase(),
      "another invocation's valid token": other.token,
      "all zeros": "0".repeat(43),
    };
    for (const [what, token] of Object.entries(tokens)) {
      if (token !== other.token) madeUp.add(token);
      const res = await call("POST", `/v1/callbacks/${target.id}/${token}`, { key: null, raw: body, headers: signed });
      assert.ok([401, 404].includes(res.status), `${what}: ${res.status} ${res.text}`);
      assert.doesNotMatch(res.text, new RegExp(target.token.slice(0, 10)), "the answer does not show the real token");
      count("callback token", what, res.status < 400, res);
    }
    // A valid token of its own, for another invocation's id, with a body naming either.
    for (const invokeId of [target.invokeId, other.invokeId]) {
      const b = completedBody(invokeId);
      const res = await call("POST", `/v1/callbacks/${target.id}/${other.token}`, { key: null, raw: b, headers: webhookHeaders(SIGNING_SECRET, b) });
      assert.equal(res.status, 401, res.text);
      count("callback token", `another invocation's token, body for ${invokeId === target.invokeId ? "the target" : "its own"}`, res.status < 400, res);
    }
    // Its own URL, but a body for the target's upstream invocation.
    const crossed = completedBody(target.invokeId);
    const res = await call("POST", other.path, { key: null, raw: crossed, headers: webhookHeaders(SIGNING_SECRET, crossed) });
    assert.equal(res.status, 400, res.text);
    count("callback token", "a valid URL with another invocation's invokeId", res.status < 400, res);
    // A real token in paths of other shapes: refused, and (see the log test) never logged.
    const signedOther = webhookHeaders(SIGNING_SECRET, completedBody(other.invokeId));
    for (const path of [
      `/v1//callbacks/${other.id}/${other.token}`,
      `/x/v1/callbacks/${other.id}/${other.token}`,
      `/V1/callbacks/${other.id}/${other.token}`,
      `/v1/Callbacks/${other.id}/${other.token}`,
      `/v1/callbacks/${other.id}/${other.token}/`,
      `/v1/callbacks/${other.id}%2F${other.token}`,
      `/v1/callbacks/${other.id}/${other.token}x`,
      `/v1/callbacks/${other.id}/${other.token}/x/../`,
    ]) {
      const res = await raw("POST", path, { headers: signedOther, body: completedBody(other.invokeId) });
      assert.ok([401, 404, 405].includes(res.status), `${path.replace(other.token, "<token>")}: ${res.status} ${res.text}`);
      count("callback token", `a real token in ${path.replace(other.token, "<token>")}`, res.status < 400, res);
    }
    assert.deepEqual(await record(target.id), before);
    assert.equal((await record(other.id)).status, "pending");
  });

  test("signatures that are empty, truncated, for another body, stale, from the future or malformed are 401", async () => {
    const before = await record(target.id);
    const body = completedBody(target.invokeId);
    const good = webhookHeaders(SIGNING_SECRET, body, { id: "msg_attack" });
    const sig = good["webhook-signature"];
    const cases = {
      "no signature headers": { "content-type": "application/json" },
      "empty v1,": { ...good, "webhook-signature": "v1," },
      "empty header": { ...good, "webhook-signature": "" },
      "truncated by 4": { ...good, "webhook-signature": sig.slice(0, -4) },
      "truncated to half": { ...good, "webhook-signature": sig.slice(0, 25) },
      "for another body": { ...good, "webhook-signature": webhookHeaders(SIGNING_SECRET, completedBody(target.invokeId, { rowCount: 2, url: "u" }), { id: "msg_attack" })["webhook-signature"] },
      "for another webhook-id": { ...good, "webhook-id": "msg_other" },
      "another secret": webhookHeaders("whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==", body, { id: "msg_attack" }),
      "stale (10 minutes)": webhookHeaders(SIGNING_SECRET, body, { id: "msg_attack", ageS: 600 }),
      "stale (just past 5 minutes)": webhookHeaders(SIGNING_SECRET, body, { id: "msg_attack", ageS: 330 }),
      "from the future (10 minutes)": webhookHeaders(SIGNING_SECRET, body, { id: "msg_attack", ageS: -600 }),
      "timestamp not a number": { ...good, "webhook-timestamp": "soon" },
      "timestamp in milliseconds": { ...good, "webhook-timestamp": `${Date.now()}` },
      "negative timestamp": { ...good, "webhook-timestamp": "-1" },
      "v2 scheme": { ...good, "webhook-signature": sig.replace(/^v1,/, "v2,") },
      "no scheme": { ...good, "webhook-signature": sig.slice(3) },
      "not base64": { ...good, "webhook-signature": "v1,!!!notbase64!!!" },
      "several, none valid": { ...good, "webhook-signature": `v1,${"A".repeat(43)}= v1,${sig.slice(3, -4)}AAA= v1a,${sig.slice(3)}` },
      "missing webhook-id": { "content-type": "application/json", "webhook-timestamp": good["webhook-timestamp"], "webhook-signature": sig },
    };
    for (const [what, headers] of Object.entries(cases)) {
      const res = await call("POST", target.path, { key: null, raw: body, headers });
      assert.equal(res.status, 401, `${what}: ${res.text}`);
      assert.equal(res.body.error.message, "invalid signature", what);
      assert.doesNotMatch(res.text, /stale|mismatch|timestamp|base64|header/i, `${what}: the answer names no reason`);
      count("callback signature", what, res.status < 400, res);
    }
    // The signed bytes, but a body changed after signing (one byte, whitespace, a trailing newline).
    for (const [what, changed] of Object.entries({ "one byte": body.replace('"u"', '"v"'), whitespace: body.replace(":", ": "), "a trailing newline": `${body}\n` })) {
      const res = await call("POST", target.path, { key: null, raw: changed, headers: good });
      assert.equal(res.status, 401, `${what}: ${res.text}`);
      count("callback signature", `body changed after signing: ${what}`, res.status < 400, res);
    }
    assert.deepEqual(await record(target.id), before);
  });

  test("oversized, chunked and deeply nested callback bodies are refused without reaching the record", async () => {
    const before = await record(target.id);
    const big = JSON.stringify({ invokeId: target.invokeId, status: "completed", outputs: { rowCount: 1, url: "x".repeat(300 * 1024) } });
    const oversized = await call("POST", target.path, { key: null, raw: big, headers: webhookHeaders(SIGNING_SECRET, big) });
    assert.equal(oversized.status, 413, oversized.text);
    count("callback body", "300 KB with Content-Length", oversized.status < 400, oversized);

    const chunked = await chunkedUpload(target.path, { headers: { "content-type": "application/json" }, total: 30 * 1024 * 1024 });
    assert.ok(refusedChunked(chunked), `${chunked.status} ${chunked.text}`);
    assert.ok(chunked.chunks < 120, `stopped reading early: ${chunked.chunks} of 480 chunks were pulled`);
    count("callback body", "30 MB chunked", chunked.status > 0 && chunked.status < 400, chunked);
    await afterChunked();

    for (const depth of [200, 20_000]) {
      const nested = `{"invokeId":"${target.invokeId}","status":"completed","outputs":{"rowCount":1,"url":"u","deep":${"[".repeat(depth)}${"]".repeat(depth)}}}`;
      const res = await call("POST", target.path, { key: null, raw: nested, headers: webhookHeaders(SIGNING_SECRET, nested) });
      assert.equal(res.status, 400, `depth ${depth}: ${res.text}`);
      count("callback body", `signed, nested ${depth} deep`, res.status < 400, res);
    }
    const notUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const res = await fetch(`${worker.url}${target.path}`, { method: "POST", body: notUtf8, headers: webhookHeaders(SIGNING_SECRET, notUtf8.toString("latin1")) });
    const text = await res.text();
    assert.ok([400, 401].includes(res.status), `${res.status} ${text}`);
    count("callback body", "signed, not UTF-8", res.status < 400, { status: res.status, headers: res.headers, text });
    for (const [what, b] of Object.entries({ "not JSON": "{oops", "an array": "[]", "no invokeId": '{"status":"completed"}', "unknown status": `{"invokeId":"${target.invokeId}","status":"exploded"}` })) {
      const r = await call("POST", target.path, { key: null, raw: b, headers: webhookHeaders(SIGNING_SECRET, b) });
      assert.ok(r.status === 400 || (r.status === 200 && r.body.duplicate === false && (await record(target.id)).status === "pending"), `${what}: ${r.status} ${r.text}`);
      count("callback body", `signed, ${what}`, r.status === 200 && (await record(target.id)).status !== "pending", r);
    }
    const afterAll = await record(target.id);
    assert.equal(afterAll.status, "pending");
    assert.equal(afterAll.completedAt, undefined);
    assert.deepEqual({ ...afterAll, updatedAt: undefined, upstreamStatus: undefined }, { ...before, updatedAt: undefined, upstreamStatus: undefined });
    assert.equal((await call("GET", "/healthz", { key: null })).status, 200, "the Worker still answers");
  });

  test("several signatures of which one is valid are accepted; replays afterwards change nothing", async () => {
    const body = completedBody(target.invokeId, { rowCount: 3, url: "done" });
    const good = webhookHeaders(SIGNING_SECRET, body, { id: `msg_${target.invokeId}` });
    const several = { ...good, "webhook-signature": `v1,${"B".repeat(43)}= ${good["webhook-signature"]} v1,${"C".repeat(43)}=` };
    const ok = await call("POST", target.path, { key: null, raw: body, headers: several });
    assert.equal(ok.status, 200, ok.text);
    const done = await record(target.id);
    assert.equal(done.status, "completed");
    assert.deepEqual(done.outputs, { rowCount: 3, url: "done" });

    // The same request again, the same token with a body saying otherwise (signed), and an old
    // capture whose timestamp is now stale.
    const replays = {
      "the same request": [body, good],
      "a failed outcome": [JSON.stringify({ invokeId: target.invokeId, status: "failed", errors: [{ code: "X", message: "x" }] })],
      "other outputs": [completedBody(target.invokeId, { rowCount: 999, url: "evil" })],
      "cancelled": [JSON.stringify({ invokeId: target.invokeId, status: "cancelled" })],
    };
    for (const [what, [b, h]] of Object.entries(replays)) {
      const res = await call("POST", target.path, { key: null, raw: b, headers: h ?? webhookHeaders(SIGNING_SECRET, b) });
      assert.equal(res.status, 200, `${what}: ${res.text}`);
      assert.equal(res.body.duplicate, true, what);
      assert.equal(res.body.callbackStatus, "SYNCED", what);
      const after = await record(target.id);
      count("callback replay", what, JSON.stringify(after) !== JSON.stringify(done), res);
    }
    const stale = webhookHeaders(SIGNING_SECRET, body, { id: `msg_${target.invokeId}`, ageS: 400 });
    const res = await call("POST", target.path, { key: null, raw: body, headers: stale });
    assert.equal(res.status, 401);
    count("callback replay", "a capture replayed after 5 minutes", res.status < 400, res);
    assert.deepEqual(await record(target.id), done);
  });
});

describe("callers", () => {
  const routes = [
    ["GET", "/v1/actions"],
    ["GET", "/v1/invocations"],
    ["GET", "/v1/actions/lookup-customer"],
    ["POST", "/v1/actions/lookup-customer/validate"],
    ["POST", "/v1/actions/lookup-customer/invoke"],
    ["GET", `/v1/invocations/dai_${"0".repeat(32)}`],
  ];
  const body = JSON.stringify({ inputs: { customerId: "attacker" } });

  test("no key, wrong keys, keys of other lengths and keys in the query string are 401 on every route, with no upstream request", async () => {
    const before = await control.stats();
    const keys = {
      "no Authorization": null,
      "empty Bearer": "Bearer ",
      "wrong key": "Bearer wrong-key",
      "a prefix of the key": `Bearer ${API_KEY.slice(0, -1)}`,
      "the key and one more character": `Bearer ${API_KEY}x`,
      "the key twice": `Bearer ${API_KEY}${API_KEY}`,
      "one character": "Bearer d",
      "4 KB": `Bearer ${"k".repeat(4096)}`,
      "the second key's length, wrong": `Bearer ${"z".repeat(SECOND_KEY.length)}`,
      "both keys joined": `Bearer ${API_KEY},${SECOND_KEY}`,
      "Basic with the key": `Basic ${Buffer.from(`${API_KEY}:`).toString("base64")}`,
      "the key without a scheme": API_KEY,
      "Token scheme": `Token ${API_KEY}`,
    };
    for (const [method, path] of routes) {
      for (const [what, authorization] of Object.entries(keys)) {
        const headers = { "content-type": "application/json" };
        if (authorization !== null) headers.authorization = authorization;
        const res = await raw(method, path, { headers, body: method === "POST" ? body : undefined });
        assert.equal(res.status, 401, `${method} ${path} ${what}: ${res.text}`);
        assert.equal(res.body.error.code, "unauthorized");
        count("caller key", `${method} ${path}: ${what}`, res.status < 400, res);
      }
      for (const query of [`api_key=${API_KEY}`, `key=${API_KEY}`, `access_token=${API_KEY}`, `authorization=Bearer%20${API_KEY}`, `token=${SECOND_KEY}`]) {
        const sep = path.includes("?") ? "&" : "?";
        const res = await raw(method, `${path}${sep}${query}`, { headers: { "content-type": "application/json" }, body: method === "POST" ? body : undefined });
        assert.equal(res.status, 401, `${method} ${path}?${query}: ${res.text}`);
        count("caller key", `${method} ${path}: key in the query (${query.split("=")[0]})`, res.status < 400, res);
      }
      const cookie = await raw(method, path, { headers: { cookie: `key=${API_KEY}; authorization=Bearer ${API_KEY}`, "content-type": "application/json" }, body: method === "POST" ? body : undefined });
      assert.equal(cookie.status, 401);
      count("caller key", `${method} ${path}: key in a cookie`, cookie.status < 400, cookie);
    }
    const after = await control.stats();
    assert.equal(upstreamRequests(after) - upstreamRequests(before), 0, "no attempt reached the upstream");
  });

  test("ids with dot segments, encoded slashes, NUL and non-ASCII are refused before the upstream", async () => {
    const before = await control.stats();
    const actionIds = [
      "..", ".", "%2e%2e", "%2E%2E", ".%2e", "%2e", "a%2fb", "a%2Fb", "%2f", "%2F..%2F..%2Fv1", "lookup-customer%2f..",
      "lookup-customer%2F%2E%2E%2Foauth2", "a%5cb", "%5c..%5c", "a%00b", "%00", "lookup-customer%00", "caf%C3%A9", "%E2%80%AE",
      "%F0%9F%98%80", "lookup%20customer", "lookup-customer%0d%0aX-Injected:%201", "%25", "lookup-customer;x=1", "~root",
    ];
    for (const id of actionIds) {
      for (const [method, path] of [["GET", `/v1/actions/${id}`], ["POST", `/v1/actions/${id}/validate`], ["POST", `/v1/actions/${id}/invoke`]]) {
        const res = await raw(method, path, { headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: method === "POST" ? body : undefined });
        assert.ok([400, 404, 405].includes(res.status), `${method} ${path}: ${res.status} ${res.text}`);
        count("ids", `${method} ${path}`, res.status < 400, res);
      }
    }
    const invocationIds = [
      "..", "%2e%2e", `dai_${"0".repeat(31)}%2f`, `dai_${"0".repeat(32)}%00`, `dai_${"0".repeat(32)}%2f..`, `dai_${"0".repeat(32)}/..`, `dai_${"A".repeat(32)}`,
      `dai_${"0".repeat(30)}%C3%A9`, `%2e%2e%2fdai_${"0".repeat(32)}`, "dai_", `inv_${"0".repeat(32)}`,
    ];
    for (const id of invocationIds) {
      const res = await raw("GET", `/v1/invocations/${id}`, { headers: { authorization: `Bearer ${API_KEY}` } });
      assert.ok([400, 404].includes(res.status), `${id}: ${res.status} ${res.text}`);
      count("ids", `GET /v1/invocations/${id}`, res.status < 400, res);
      const cb = await raw("POST", `/v1/callbacks/${id}/${"A".repeat(43)}`, { headers: { "content-type": "application/json" }, body: "{}" });
      assert.ok([400, 401, 404].includes(cb.status), `callback ${id}: ${cb.status} ${cb.text}`);
      count("ids", `POST /v1/callbacks/${id}/...`, cb.status < 400, cb);
    }
    // Raw bytes no client would send: NUL, non-ASCII and a bare LF in the request line.
    for (const [what, line] of Object.entries({
      "a NUL byte": "GET /v1/actions/a\x00b HTTP/1.1",
      "UTF-8 bytes": `GET /v1/actions/${Buffer.from("café").toString("latin1")} HTTP/1.1`,
      "latin-1 bytes": "GET /v1/actions/caf\xe9 HTTP/1.1",
      "a raw dot segment": "GET /v1/actions/../../oauth2/token HTTP/1.1",
    })) {
      const res = await socketRequest(Buffer.from(`${line}\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${API_KEY}\r\nConnection: close\r\n\r\n`, "latin1"));
      assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status}`);
      count("ids", `request line with ${what}`, res.status < 400 || res.status === 0, res);
    }
    const after = await control.stats();
    assert.equal(upstreamRequests(after) - upstreamRequests(before), 0, `no id reached the upstream: ${JSON.stringify(after.requests)}`);
  });

  test("context values with CR LF reach the upstream as data, never as headers; malformed Idempotency-Keys are refused", async () => {
    const context = { note: "x\r\nX-Injected: yes", lf: "a\nb", nul: "a\u0000b", header: "Authorization: Bearer stolen", unicode: "\u2028\u2029" };
    const res = await call("POST", "/v1/actions/lookup-customer/invoke", { body: { inputs: { customerId: "ctx-1" }, context } });
    assert.equal(res.status, 200, res.text);
    const list = (await control.invocationList()).invocations;
    const ran = list.find((e) => e.invokeId === res.body.invokeId);
    assert.deepEqual(ran.context, context, "the context arrived as the same JSON data");
    count("header injection", "CR LF in context values", !isDeepStrictEqual(ran.context, context), res);
    // A caller writes its own request headers, so CR/LF there injects nothing; what matters is
    // that no value it sends is copied into a header: the context is data, and an
    // Idempotency-Key (the one header value the Worker keeps) must be visible ASCII.
    for (const [what, header] of Object.entries({
      "NUL in Idempotency-Key": "Idempotency-Key: a\x00b",
      "a tab in Idempotency-Key": "Idempotency-Key: a\tb",
      "latin-1 in Idempotency-Key": "Idempotency-Key: caf\xe9",
      "a space in Idempotency-Key": "Idempotency-Key: a b",
      "DEL in Idempotency-Key": "Idempotency-Key: a\x7fb",
      "a 256-character Idempotency-Key": `Idempotency-Key: ${"k".repeat(256)}`,
    })) {
      const payload = JSON.stringify({ inputs: { customerId: `inj-${what.length}` } });
      const before = await control.stats();
      const r = await socketRequest(
        Buffer.from(
          `POST /v1/actions/lookup-customer/invoke HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${API_KEY}\r\nContent-Type: application/json\r\n${header}\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n${payload}`,
          "latin1",
        ),
      );
      const after = await control.stats();
      assert.ok(r.status >= 400 && r.status < 500, `${what}: ${r.status} ${r.text}`);
      assert.equal(after.requests.invoke - before.requests.invoke, 0, what);
      count("header injection", what, r.status < 400 || r.status === 0, r);
    }
  });

  test("1 MB and deeply nested JSON bodies are refused with 400/413, not 500", async () => {
    const before = await control.stats();
    const oneMb = JSON.stringify({ inputs: { customerId: "x".repeat(1024 * 1024) } });
    for (const path of ["/v1/actions/lookup-customer/invoke", "/v1/actions/lookup-customer/validate"]) {
      const res = await call("POST", path, { raw: oneMb, headers: { "content-type": "application/json" } });
      assert.equal(res.status, 413, res.text);
      count("bodies", `1 MB to ${path}`, res.status < 400, res);
      // The Worker answers 413 at 256 KB and stops reading: the client sees the answer, or
      // (still sending) the connection closed.
      const chunked = await chunkedUpload(path, { headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, total: oneMb.length, prefix: '{"inputs":{"customerId":"', fill: 0x78 });
      assert.ok(refusedChunked(chunked), `${chunked.status} ${chunked.text}`);
      count("bodies", `1 MB chunked to ${path}`, chunked.status > 0 && chunked.status < 400, chunked);
      await afterChunked();
      for (const depth of [129, 1_000, 100_000]) {
        const nested = `{"inputs":{"customerId":"n","deep":${"[".repeat(depth)}${"]".repeat(depth)}}}`;
        const r = await call("POST", path, { raw: nested, headers: { "content-type": "application/json" } });
        assert.ok([400, 413].includes(r.status), `depth ${depth}: ${r.status} ${r.text}`);
        count("bodies", `nested ${depth} deep to ${path}`, r.status < 400, r);
        const objects = `{"inputs":${'{"a":'.repeat(Math.min(depth, 40_000))}1${"}".repeat(Math.min(depth, 40_000))}}`;
        const o = await call("POST", path, { raw: objects, headers: { "content-type": "application/json" } });
        assert.ok([400, 413, 422].includes(o.status), `objects ${depth}: ${o.status} ${o.text}`);
        count("bodies", `objects nested ${Math.min(depth, 40_000)} deep to ${path}`, o.status < 400, o);
      }
    }
    const after = await control.stats();
    assert.equal(after.requests.invoke - before.requests.invoke, 0);
    assert.equal((await call("GET", "/healthz", { key: null })).status, 200);
  });

  test("a callbackUrl in the body is ignored: the Worker's own is handed to the upstream", async () => {
    for (const callbackUrl of [`${attackerUrl}/steal`, `${worker.url}/v1/callbacks/dai_${"1".repeat(32)}/${"A".repeat(43)}`]) {
      const res = await call("POST", "/v1/actions/export-report/invoke", { body: { inputs: { reportName: "mine", durationMs: 50 }, callbackUrl } });
      assert.equal(res.status, 202, res.text);
      const view = await eventually(async () => {
        const v = await control.invocation(res.body.invokeId);
        return v.callback?.attempts?.length ? v : null;
      }, { what: "the callback" });
      capabilityTokens.add(new URL(view.callbackUrl).pathname.split("/").pop());
      assert.ok(view.callbackUrl.startsWith(`${worker.url}/v1/callbacks/${res.body.invocationId}/`), view.callbackUrl);
      count("callbackUrl", `callbackUrl ${callbackUrl.slice(0, 40)}...`, view.callbackUrl === callbackUrl || stolen.length > 0, res);
    }
    const wrongType = await call("POST", "/v1/actions/export-report/invoke", { body: { inputs: { reportName: "mine" }, callbackUrl: 42 } });
    assert.equal(wrongType.status, 400);
    count("callbackUrl", "a callbackUrl that is not a string", wrongType.status < 400, wrongType);
    assert.deepEqual(stolen, [], "nothing reached the attacker's server");
  });

  test("CORS preflights from origins that are not allowed get no CORS headers", async () => {
    const origins = ["https://evil.example", "null", "https://app.example.evil.example", "https://evil.app.example", "http://app.example", "https://app.example:8443", "https://APP.EXAMPLE", `${ORIGIN}/`, `${ORIGIN}, https://evil.example`, "file://", "https://app.exampl"];
    for (const origin of origins) {
      for (const [, path] of routes) {
        const res = await raw("OPTIONS", path, { headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } });
        for (const name of ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers", "access-control-allow-credentials"]) {
          assert.equal(res.headers.get(name), null, `${origin} ${path}: ${name}`);
        }
        assert.notEqual(res.status, 204, `${origin} ${path}`);
        count("CORS", `preflight from ${JSON.stringify(origin)} to ${path}`, res.status < 300 || res.headers.get("access-control-allow-origin") !== null, res);
      }
      const get = await raw("GET", "/v1/actions/lookup-customer", { headers: { origin, authorization: `Bearer ${API_KEY}` } });
      assert.equal(get.headers.get("access-control-allow-origin"), null, origin);
      count("CORS", `GET with Origin ${JSON.stringify(origin)}`, get.headers.get("access-control-allow-origin") !== null, get);
    }
  });

  test("every method a route does not allow is 405 (or refused by workerd), and changes nothing", async () => {
    const before = await control.stats();
    const table = [
      ["/", ["GET", "HEAD"]],
      ["/openapi.json", ["GET", "HEAD"]],
      ["/v1/actions", ["GET", "HEAD"]],
      ["/v1/invocations", ["GET", "HEAD"]],
      ["/healthz", ["GET", "HEAD"]],
      ["/v1/actions/lookup-customer", ["GET", "HEAD"]],
      ["/v1/actions/lookup-customer/validate", ["POST"]],
      ["/v1/actions/lookup-customer/invoke", ["POST"]],
      [`/v1/invocations/dai_${"0".repeat(32)}`, ["GET", "HEAD"]],
      [`/v1/callbacks/dai_${"0".repeat(32)}/${"A".repeat(43)}`, ["POST"]],
    ];
    for (const [path, allowed] of table) {
      for (const method of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "FOO"]) {
        if (allowed.includes(method)) continue;
        const res = await raw(method, path, { headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: ["POST", "PUT", "PATCH"].includes(method) ? body : undefined }).catch((e) => ({ status: 0, text: String(e), headers: new Headers() }));
        // workerd itself refuses some (TRACE; FOO is 501 "Unrecognized request method").
        const byWorkerd = ["TRACE", "PROPFIND", "FOO"].includes(method) && res.status >= 400 && res.status <= 501 && res.status !== 500;
        assert.ok(res.status === 405 || byWorkerd, `${method} ${path}: ${res.status} ${res.text}`);
        if (res.status === 405 && res.headers.get("x-request-id")) assert.ok(res.headers.get("allow"), `${method} ${path} names what is allowed`);
        count("methods", `${method} ${path}`, res.status > 0 && res.status < 400, res);
      }
    }
    const after = await control.stats();
    assert.equal(upstreamRequests(after) - upstreamRequests(before), 0);
  });
});

describe("logs", () => {
  test("every attempt was logged under its request id, and no log line holds a secret, token, API key or capability token", async () => {
    await sleep(300);
    const lines = workerOutput
      .split("\n")
      .filter((l) => l.includes('"requestId":'))
      .map((l) => l.slice(l.indexOf("{"), l.lastIndexOf("}") + 1));
    assert.ok(lines.length > tally.tried, `${lines.length} lines for ${tally.tried} attempts`);
    const logged = new Set(lines.map((l) => JSON.parse(l).requestId));
    const missing = [...requestIds].filter((id) => !logged.has(id));
    assert.deepEqual(missing, [], "every attempt that reached the Worker has its log line");
    assert.ok(requestIds.size > tally.tried * 0.9, `${requestIds.size} request ids for ${tally.tried} attempts`);

    // The upstream access token the Worker holds (from its KV) and the capability tokens.
    const stored = await worker.kvGet("token:v1");
    const upstreamTokens = [...stored.matchAll(/"([A-Za-z0-9_\-.~+/=]{20,})"/g)].map((m) => m[1]);
    assert.ok(upstreamTokens.length > 0, `the token is in KV: ${stored.slice(0, 40).replace(/[A-Za-z0-9_-]{20,}/g, "…")}`);
    const secrets = {
      "API key": API_KEY,
      "second API key": SECOND_KEY,
      "client secret": CLIENT_SECRET,
      "signing secret": SIGNING_SECRET,
      "signing key": SIGNING_SECRET.slice(6),
      ...Object.fromEntries(upstreamTokens.map((t, i) => [`upstream token ${i}`, t])),
      ...Object.fromEntries([...capabilityTokens].map((t, i) => [`capability token ${i}`, t])),
    };
    assert.ok(capabilityTokens.size >= 4);
    const text = lines.join("\n");
    for (const [what, secret] of Object.entries(secrets)) {
      assert.ok(!text.includes(secret), `the ${what} reached the logs`);
    }
    const shaped = lines.find((l) => [...l.matchAll(new RegExp(TOKEN_SHAPED, "g"))].some((m) => !madeUp.has(m[0])));
    assert.equal(shaped, undefined, `a token-shaped value reached the logs: ${shaped?.replace(TOKEN_SHAPED, "<43 chars>")}`);
    assert.ok(!/access_token|Bearer [A-Za-z0-9]/i.test(text), "no bearer token in the logs");
    console.log(`attack suite logs: ${lines.length} lines scanned for ${Object.keys(secrets).length} secrets, tokens and keys: none found`);
  });
});
