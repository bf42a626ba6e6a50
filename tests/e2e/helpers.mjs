// Small helpers shared by the Worker's end-to-end tests: an HTTP client for the Worker's API, the
// emulator's control API, Standard Webhooks signing, and polling for a condition.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";

/** The signing secret the harness gives the Worker by default (start the emulator with it). */
export const SIGNING_SECRET = "whsec_Y3hvbmUtZGF0YS1hY3Rpb25zLWRlbW8tc2lnbmluZy1rZXktMzJi";
/** The API key the harness gives the Worker by default. */
export const API_KEY = "dev-key-1";

export const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/**
 * `call(method, path, {body, headers, key, raw})` against `baseUrl`: `key` (default API_KEY, `null`
 * for none) goes in `Authorization: Bearer`; `body` is JSON-encoded unless `raw` is given.
 * Resolves to `{status, headers, body, text}` (`body` parsed when JSON).
 */
export function apiClient(baseUrl) {
  return async function call(method, path, { body, raw, headers = {}, key = API_KEY } = {}) {
    const init = { method, headers: { ...headers } };
    if (key !== null) init.headers.authorization = `Bearer ${key}`;
    if (raw !== undefined) init.body = raw;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["content-type"] ??= "application/json";
    }
    const res = await fetch(`${baseUrl}${path}`, init);
    const text = await res.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
}

/** The emulator's control API. */
export function emulatorControl(emu) {
  const json = async (method, path, body) => {
    const res = await fetch(`${emu.url}${path}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const parsed = await res.json();
    assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(parsed)}`);
    return parsed;
  };
  return {
    stats: () => json("GET", "/_emulator/stats"),
    config: (knobs) => json("POST", "/_emulator/config", knobs),
    revokeTokens: () => json("POST", "/_emulator/revoke-tokens"),
    invocation: (invokeId) => json("GET", `/_emulator/invocations/${invokeId}`),
    /** Every invocation the emulator ran: `{count, invocations: [{invokeId, actionId, status, inputs, ...}]}`. */
    invocationList: () => json("GET", "/_emulator/invocations"),
  };
}

/** Upstream requests of every kind in a stats object. */
export function upstreamRequests(stats) {
  return Object.values(stats.requests).reduce((a, b) => a + b, 0);
}

/** `v1,<base64 HMAC-SHA256>` of a Standard Webhooks message. */
export function signWebhook(secret, id, timestampS, body) {
  const key = secret.startsWith("whsec_") ? Buffer.from(secret.slice(6), "base64") : Buffer.from(secret);
  return `v1,${createHmac("sha256", key).update(`${id}.${timestampS}.${body}`).digest("base64")}`;
}

/** Standard Webhooks headers for `body`, signed now (or `ageS` seconds ago). */
export function webhookHeaders(secret, body, { id = "msg_test", ageS = 0 } = {}) {
  const ts = Math.floor(Date.now() / 1000) - ageS;
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": signWebhook(secret, id, ts, body),
  };
}

/** Calls `probe` until it returns a truthy value (resolved to it) or `timeoutMs` passes. */
export async function eventually(probe, { timeoutMs = 10_000, intervalMs = 100, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}
