// Benchmark of the Worker's state: what each kind of invocation costs in upstream requests,
// Durable Object requests and KV reads and writes, counted from the Worker's own log lines (every
// access line, object line and alarm line carries the request's `usage`) and the emulator's
// stats; then sync-invoke throughput and p50 through this build against an earlier one (before
// the Durable Objects), alternating rounds in one run.
//   node tests/e2e/bench-state.mjs                       counts only
//   BENCH_BASELINE_ROOT=/path/to/old/checkout node tests/e2e/bench-state.mjs   and before/after
// (scripts/bench-state.sh REV builds REV in a scratch worktree and sets BENCH_BASELINE_ROOT.)
// BENCH_N (invocations per kind, default 20), BENCH_COUNT (requests per throughput round, 300),
// BENCH_ROUNDS (3), BENCH_CONCURRENCY (8).
import { startEmulator, startWorker } from "./harness.mjs";
import { API_KEY, SIGNING_SECRET, emulatorControl, eventually, sleep, upstreamRequests } from "./helpers.mjs";

const N = Number(process.env.BENCH_N ?? 20);
const COUNT = Number(process.env.BENCH_COUNT ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const BASELINE = process.env.BENCH_BASELINE_ROOT;

/** Every JSON log line the Worker printed, parsed. */
function logLines(worker) {
  return worker
    .output()
    .split("\n")
    .filter((l) => l.includes('"usage"'))
    .map((l) => {
      try {
        return JSON.parse(l.slice(l.indexOf("{"), l.lastIndexOf("}") + 1));
      } catch {
        return null;
      }
    })
    .filter(Boolean);
}

/** Sums usage over lines; a request's lines carry its running totals, so each one counts once. */
function usageOf(lines) {
  const last = new Map();
  for (const line of lines) {
    const source = line.msg === "object" || line.msg === "object alarm" ? "object" : "worker";
    const key = `${line.requestId}/${source}`;
    const seen = last.get(key);
    const u = line.usage;
    last.set(key, seen ? { kvReads: Math.max(seen.kvReads, u.kvReads), kvWrites: Math.max(seen.kvWrites, u.kvWrites), objectRequests: Math.max(seen.objectRequests, u.objectRequests) } : { ...u });
  }
  const total = { kvReads: 0, kvWrites: 0, objectRequests: 0 };
  for (const u of last.values()) for (const k of Object.keys(total)) total[k] += u[k];
  return total;
}

async function post(worker, path, body, headers = {}) {
  const res = await fetch(`${worker.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200 && res.status !== 202) throw new Error(`${path}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text);
}

/** Runs `count` calls with `concurrency` in flight; latencies and wall time. */
async function load(count, concurrency, send) {
  const latencies = new Array(count);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const t = performance.now();
        await send(i);
        latencies[i] = performance.now() - t;
      }
    }),
  );
  const wallMs = performance.now() - started;
  const sorted = latencies.sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length / 2)], throughput: (count / wallMs) * 1000 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const emu = await startEmulator({ args: ["--callback-signing-secret", SIGNING_SECRET] });
const control = emulatorControl(emu);
const worker = await startWorker({ vars: { CXONE_BASE_URL: emu.url } });
const kinds = [];
try {
  // Warm the isolate: token and both definitions.
  await post(worker, "/v1/actions/lookup-customer/invoke", { inputs: { customerId: "warm" } });
  await post(worker, "/v1/actions/export-report/invoke?wait=5", { inputs: { reportName: "warm", durationMs: 0 } });
  await sleep(500);

  /** Runs `n` invocations of one kind and attributes every log line and upstream request since. */
  async function measure(name, runOne, settled) {
    const since = new Date().toISOString();
    const statsBefore = await control.stats();
    for (let i = 0; i < N; i++) await runOne(i);
    await settled();
    await sleep(1_500); // waitUntil writes and the last alarm lines reach the log
    const statsAfter = await control.stats();
    const usage = usageOf(logLines(worker).filter((l) => l.ts >= since));
    kinds.push({
      name,
      upstream: (upstreamRequests(statsAfter) - upstreamRequests(statsBefore)) / N,
      objectRequests: usage.objectRequests / N,
      kvReads: usage.kvReads / N,
      kvWrites: usage.kvWrites / N,
    });
  }
  const stamp = Date.now();
  await measure("plain sync invoke", (i) => post(worker, "/v1/actions/lookup-customer/invoke", { inputs: { customerId: `p-${i}` } }), async () => {});
  await measure(
    "idempotent sync invoke",
    (i) => post(worker, "/v1/actions/lookup-customer/invoke", { inputs: { customerId: `i-${i}` } }, { "idempotency-key": `bench-${stamp}-${i}` }),
    async () => {},
  );
  const delivered = (await control.stats()).callbacks.delivered;
  await measure("async invoke completed by callback", (i) => post(worker, "/v1/actions/export-report/invoke", { inputs: { reportName: `c-${i}`, durationMs: 200 } }), async () => {
    await eventually(async () => (await control.stats()).callbacks.delivered >= delivered + N, { timeoutMs: 60_000, what: "callbacks" });
  });
  await control.config({ callbackDrop: true });
  const mark = logLines(worker).filter((l) => l.msg === "invocation ended").length;
  await measure(
    "async invoke completed by polling (callbacks dropped)",
    (i) => post(worker, "/v1/actions/export-report/invoke", { inputs: { reportName: `q-${i}`, durationMs: 200 } }),
    () =>
      eventually(() => worker.output().split("\n").filter((l) => l.includes('"msg":"invocation ended"')).length >= mark + N, {
        timeoutMs: 60_000,
        what: "every invocation ended by its alarm",
      }),
  );
  await control.config({ callbackDrop: false });

  console.log(`per invocation (${N} of each kind, warm isolate, wrangler dev --local against the emulator):`);
  console.log(`  kind                                                  upstream  objects  KV reads  KV writes`);
  for (const k of kinds) {
    console.log(`  ${k.name.padEnd(52)}  ${k.upstream.toFixed(2).padStart(8)}  ${k.objectRequests.toFixed(2).padStart(7)}  ${k.kvReads.toFixed(2).padStart(8)}  ${k.kvWrites.toFixed(2).padStart(9)}`);
  }

  if (BASELINE) {
    const before = await startWorker({ vars: { CXONE_BASE_URL: emu.url }, root: BASELINE });
    try {
      const sides = { before, after: worker };
      const send = (w) => (i) => post(w, "/v1/actions/lookup-customer/invoke", { inputs: { customerId: `t-${i}` } });
      for (const w of Object.values(sides)) await load(100, CONCURRENCY, send(w));
      const results = { before: [], after: [] };
      for (let r = 0; r < ROUNDS; r++) {
        for (const [name, w] of Object.entries(sides)) results[name].push(await load(COUNT, CONCURRENCY, send(w)));
      }
      console.log(`sync invokes (lookup-customer, no Idempotency-Key): ${ROUNDS} alternating rounds of ${COUNT}, concurrency ${CONCURRENCY}; median of rounds`);
      for (const [name, rs] of Object.entries(results)) {
        console.log(`  ${name.padEnd(7)} ${median(rs.map((r) => r.throughput)).toFixed(0).padStart(5)} req/s   p50 ${median(rs.map((r) => r.p50)).toFixed(2)} ms   (rounds: ${rs.map((r) => r.throughput.toFixed(0)).join(", ")} req/s)`);
      }
      const ratio = median(results.after.map((r) => r.throughput)) / median(results.before.map((r) => r.throughput));
      console.log(`  throughput after / before: x${ratio.toFixed(2)}; baseline: ${BASELINE}`);
    } finally {
      await before.stop();
    }
  }
} finally {
  await worker.stop();
  await emu.stop();
}
