// Miniflare options for the project's Worker and for the hand-written JS peer
// (../shared/peers/js-worker), shared by the benchmarks that start the runtime without wrangler
// (bench-cold-start.mjs, profile-worker.mjs, inspector-events.mjs), and a DevTools Protocol session
// on the user Worker of such a runtime.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

import WebSocket from "ws";

import { ROOT } from "./harness.mjs";

/** The Worker's built entry (BENCH_WORKER: another build's index.js). */
export const WORKER = resolve(process.env.BENCH_WORKER ?? join(ROOT, "build/index.js"));
/** The peer's script (BENCH_PEER). */
export const PEER = resolve(process.env.BENCH_PEER ?? join(ROOT, "../shared/peers/js-worker/index.js"));
/** The API key the options configure. */
export const API_KEY = "dev-key-1";

const compatibilityDate = readFileSync(join(ROOT, "wrangler.toml"), "utf8").match(/^compatibility_date\s*=\s*"([^"]+)"/m)?.[1];

/**
 * Options for `which` ("project" or "peer") against the upstream at `upstreamUrl`, with KV and
 * Durable Object state under `dir`; `extra` is merged in (e.g. `inspectorPort`).
 */
export function workerOptions(which, upstreamUrl, dir, extra = {}) {
  const script = which === "peer" ? PEER : WORKER;
  if (!existsSync(script)) throw new Error(`${script} not found (build the Worker: scripts/build-worker.sh)`);
  const common = {
    compatibilityDate,
    modules: true,
    scriptPath: script,
    modulesRoot: dirname(script),
    kvNamespaces: ["DATA_ACTIONS_KV"],
    kvPersist: join(dir, "kv"),
    bindings: {
      CXONE_BASE_URL: upstreamUrl,
      CXONE_CLIENT_ID: "demo-client",
      PUBLIC_URL: "http://127.0.0.1:8787",
      CXONE_CLIENT_SECRET: "demo-secret",
      PROXY_API_KEYS: API_KEY,
    },
    // The Workers' log lines are written (their cost is part of the answer) but not echoed here.
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.resume();
    },
    ...extra,
  };
  if (which === "peer") return common;
  return {
    ...common,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    durableObjects: { INVOCATIONS: { className: "Invocation", useSQLite: true } },
    durableObjectsPersist: join(dir, "do"),
  };
}

/** A sync invoke of `lookup-customer` (the object-free path), as fetch arguments. */
export function syncInvoke(origin) {
  return [
    `${origin}/v1/actions/lookup-customer/invoke`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ inputs: { customerId: "42", includeHistory: "yes", maxResults: "5" } }),
    },
  ];
}

/**
 * A Chrome DevTools Protocol session on the user Worker behind `inspectorPort` (workerd's own
 * inspector). `send(method, params)` resolves to the reply; `onEvent(message, bytes)` gets every
 * event (a message without an `id`). Close it with `close()`.
 */
export async function inspectUserWorker(inspectorPort, onEvent = () => {}) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  const target = targets.find((t) => t.id.startsWith("core:user:"));
  if (!target) throw new Error(`no user worker among the inspector targets: ${targets.map((t) => t.id).join(", ")}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((res, rej) => ws.once("open", res).once("error", rej));
  let nextId = 0;
  const waiting = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    if (msg.id && waiting.has(msg.id)) {
      waiting.get(msg.id)(msg);
      waiting.delete(msg.id);
    } else if (msg.method) {
      onEvent(msg, data.length);
    }
  });
  const send = (method, params = {}) =>
    new Promise((res) => {
      const id = ++nextId;
      waiting.set(id, res);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => ws.close() };
}
