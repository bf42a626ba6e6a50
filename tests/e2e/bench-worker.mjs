// Benchmark of the Worker (workerd via `wrangler dev --local`) against the emulator on loopback:
// sync invokes of `lookup-customer` through the Worker versus the same requests sent straight to
// the emulator (with a token obtained by hand), at a fixed concurrency and count after a warm-up;
// then upstream requests per warm sync invoke and per async invoke completed by callback
// (`export-report`, durationMs 200).
//   node tests/e2e/bench-worker.mjs            (BENCH_COUNT, BENCH_CONCURRENCY, BENCH_ASYNC override)
import { join } from "node:path";

import { ROOT, startEmulator, startWorker } from "./harness.mjs";
import { API_KEY, SIGNING_SECRET, emulatorControl, eventually, upstreamRequests } from "./helpers.mjs";

const COUNT = Number(process.env.BENCH_COUNT ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const WARMUP = Math.max(50, Math.floor(COUNT / 10));
const ASYNC_COUNT = Number(process.env.BENCH_ASYNC ?? 100);

/** Runs `count` calls of `send(i)` with `concurrency` in flight; latencies in ms, wall time. */
async function run(count, concurrency, send) {
  const latencies = new Array(count);
  let next = 0;
  const started = performance.now();
  async function lane() {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const t = performance.now();
      await send(i);
      latencies[i] = performance.now() - t;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { latencies, wallMs: performance.now() - started };
}

function summary({ latencies, wallMs }) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), throughput: (latencies.length / wallMs) * 1000 };
}

async function expectOk(res, what) {
  const text = await res.text();
  if (res.status !== 200 && res.status !== 202) throw new Error(`${what}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text);
}

const emu = await startEmulator({ args: ["--callback-signing-secret", SIGNING_SECRET] });
const worker = await startWorker({ vars: { CXONE_BASE_URL: emu.url } });
// Baseline: a plain JS Worker that only forwards the invoke (fixtures/forwarder.js).
const forwarder = await startWorker({ main: join(ROOT, "tests/e2e/fixtures/forwarder.js"), vars: { UPSTREAM: emu.url } });
const control = emulatorControl(emu);
try {
  const tokenRes = await fetch(`${emu.url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret&scope=data-actions%3Aread+data-actions%3Aexecute",
  });
  const { access_token: token } = await expectOk(tokenRes, "token");

  const body = (i) => JSON.stringify({ inputs: { customerId: `c-${i}` } });
  const direct = (i) =>
    fetch(`${emu.url}/api/v2/data-actions/lookup-customer/invoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body(i),
    }).then((res) => expectOk(res, "direct invoke"));
  const proxied = (i) =>
    fetch(`${worker.url}/v1/actions/lookup-customer/invoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: body(i),
    }).then((res) => expectOk(res, "worker invoke"));

  // The floor of the local stack: GET /healthz through wrangler dev and workerd (no upstream,
  // no KV).
  const health = () => fetch(`${worker.url}/healthz`).then((res) => expectOk(res, "healthz"));
  await run(WARMUP, CONCURRENCY, health);
  const healthStats = summary(await run(COUNT, CONCURRENCY, health));

  const forwarded = (i) =>
    fetch(`${forwarder.url}/v1/actions/lookup-customer/invoke`, {
      method: "POST",
      headers: { "x-upstream-authorization": `Bearer ${token}`, "content-type": "application/json" },
      body: body(i),
    }).then((res) => expectOk(res, "forwarder invoke"));

  await run(WARMUP, CONCURRENCY, direct);
  await run(WARMUP, CONCURRENCY, forwarded);
  await run(WARMUP, CONCURRENCY, proxied);
  const directStats = summary(await run(COUNT, CONCURRENCY, direct));
  const forwarderStats = summary(await run(COUNT, CONCURRENCY, forwarded));
  const before = await control.stats();
  const workerStats = summary(await run(COUNT, CONCURRENCY, proxied));
  const afterSync = await control.stats();
  const perSync = (upstreamRequests(afterSync) - upstreamRequests(before)) / COUNT;

  // Async invokes completed by callback: every upstream request counted (invoke, polls, token,
  // definition), divided by the invocations.
  await fetch(`${worker.url}/v1/actions/export-report`, { headers: { authorization: `Bearer ${API_KEY}` } }).then((res) => expectOk(res, "definition"));
  const asyncBefore = await control.stats();
  const ids = [];
  await run(ASYNC_COUNT, CONCURRENCY, async (i) => {
    const res = await fetch(`${worker.url}/v1/actions/export-report/invoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ inputs: { reportName: `r-${i}`, durationMs: 200 } }),
    });
    ids.push((await expectOk(res, "async invoke")).invocationId);
  });
  await eventually(async () => (await control.stats()).callbacks.delivered - asyncBefore.callbacks.delivered >= ASYNC_COUNT, {
    timeoutMs: 60_000,
    what: "every callback delivered",
  });
  let byCallback = 0;
  for (const id of ids) {
    const record = await fetch(`${worker.url}/v1/invocations/${id}`, { headers: { authorization: `Bearer ${API_KEY}` } }).then((r) => r.json());
    if (record.status === "completed" && record.completedBy === "callback") byCallback++;
  }
  // Give the objects (woken by the callbacks) time to finish their writes before counting.
  await new Promise((res) => setTimeout(res, 3_000));
  const asyncAfter = await control.stats();
  const perAsync = (upstreamRequests(asyncAfter) - upstreamRequests(asyncBefore)) / ASYNC_COUNT;

  const fmt = (x) => x.toFixed(2);
  console.log(`sync invokes of lookup-customer: ${COUNT} per side after ${WARMUP} warm-up, concurrency ${CONCURRENCY}, loopback`);
  console.log(`                 p50 ms   p99 ms   req/s`);
  console.log(`  direct        ${fmt(directStats.p50).padStart(7)}  ${fmt(directStats.p99).padStart(7)}  ${directStats.throughput.toFixed(0).padStart(6)}`);
  console.log(`  via Worker    ${fmt(workerStats.p50).padStart(7)}  ${fmt(workerStats.p99).padStart(7)}  ${workerStats.throughput.toFixed(0).padStart(6)}`);
  console.log(`  plain JS fwd  ${fmt(forwarderStats.p50).padStart(7)}  ${fmt(forwarderStats.p99).padStart(7)}  ${forwarderStats.throughput.toFixed(0).padStart(6)}   (baseline: a JS Worker that only forwards)`);
  console.log(`  /healthz      ${fmt(healthStats.p50).padStart(7)}  ${fmt(healthStats.p99).padStart(7)}  ${healthStats.throughput.toFixed(0).padStart(6)}   (the Worker without upstream or KV)`);
  console.log(
    `  ratio (Worker / direct): p50 x${fmt(workerStats.p50 / directStats.p50)}, p99 x${fmt(workerStats.p99 / directStats.p99)}, throughput x${fmt(workerStats.throughput / directStats.throughput)}`,
  );
  console.log(
    `  ratio (Worker / plain JS forwarder): p50 x${fmt(workerStats.p50 / forwarderStats.p50)}, p99 x${fmt(workerStats.p99 / forwarderStats.p99)}, throughput x${fmt(workerStats.throughput / forwarderStats.throughput)}`,
  );
  console.log(`upstream requests per warm sync invoke: ${perSync.toFixed(3)} (target 1)`);
  console.log(
    `upstream requests per async invoke completed by callback (export-report, durationMs 200, ${ASYNC_COUNT} invocations, ${byCallback} completed by callback): ${perAsync.toFixed(3)} (target 1)`,
  );
  console.log(`  upstream requests during the async run: ${JSON.stringify(Object.fromEntries(Object.entries(asyncAfter.requests).map(([k, v]) => [k, v - asyncBefore.requests[k]])))}`);
} finally {
  await forwarder.stop();
  await worker.stop();
  await emu.stop();
}
