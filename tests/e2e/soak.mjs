// The fault soak: SOAK_N logical invocations of every kind (sync, async, idempotent with
// duplicates sent at once and retried, with and without ?wait=, callers hanging up mid-?wait)
// through two instances of the Worker (two workerd processes sharing KV and the INVOCATIONS
// Durable Object namespace) against the emulator with its faults on: 20 % 429, 5 % 503, random
// latency, every token revoked every 100 upstream requests, 30 % of callbacks dropped, 10 %
// duplicated, 10 % delayed past the first poll. Then every logical invocation (each carries a
// unique input value) is followed to its terminal state and checked against the emulator's own
// list of what ran. Prints the figures; exits 1 when one was lost, ran twice or ended in a wrong
// state.
//
//   node tests/e2e/soak.mjs                     SOAK_N=1000
//   SOAK_N=120 node tests/e2e/soak.mjs          the CI version (scripts/test-worker.sh)
//
// Environment: SOAK_N (1000), SOAK_CONCURRENCY (logical invocations in flight, 12), SOAK_SEED (the
// mix and the emulator's fault RNG, 1), SOAK_MAX_POLL_SECONDS (the Worker's MAX_POLL_SECONDS, 30),
// SOAK_JSON=path (also write the figures as JSON there).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";

import { freePort, startEmulator, startWorker } from "./harness.mjs";
import { API_KEY, SIGNING_SECRET, emulatorControl, eventually, sleep } from "./helpers.mjs";

const N = Number(process.env.SOAK_N ?? 1000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 12);
const SEED = Number(process.env.SOAK_SEED ?? 1);
const MAX_POLL_SECONDS = Number(process.env.SOAK_MAX_POLL_SECONDS ?? 30);
const RUN = `${Date.now().toString(36)}`;
const TERMINAL = new Set(["completed", "failed", "cancelled", "timed_out"]);

/** The emulator's faults during the run. */
const FAULTS = {
  rate429: 0.2,
  rate503: 0.05,
  retryAfterSecs: 1,
  latencyJitterMs: 40,
  revokeTokensEvery: 100,
  callbackDropRate: 0.3,
  callbackDuplicateRate: 0.1,
  callbackDelayRate: 0.1,
  // Past the first poll, which is 2 s after the 202.
  callbackDelayMs: 2_500,
  seed: SEED,
};

// ---------------------------------------------------------------------------------------------
// The mix (seeded, so a run can be repeated)

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(SEED * 7919 + 17);
const between = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const pick = (weights) => {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  let u = random() * total;
  for (const [name, w] of Object.entries(weights)) if ((u -= w) < 0) return name;
  return Object.keys(weights)[0];
};

const KINDS = { sync: 28, async: 24, "idempotent-sync": 14, "idempotent-async": 16, disconnect: 12, never: 3, fails: 3 };

/** One logical invocation: what to send and how. */
function plan(i) {
  const kind = pick(KINDS);
  const tag = `soak-${RUN}-${i}`;
  const wait = () => (random() < 0.5 ? 0 : between(1, 6));
  const base = { i, tag, kind, wait: 0, key: null, copies: 1, abortAfterMs: 0 };
  switch (kind) {
    case "sync":
      return { ...base, action: "lookup-customer", inputs: { customerId: tag }, wait: wait() };
    case "async":
      return { ...base, action: "export-report", inputs: { reportName: tag, durationMs: between(0, 4_000) }, wait: wait() };
    case "idempotent-sync":
      return { ...base, action: "lookup-customer", inputs: { customerId: tag }, key: `key-${tag}`, copies: between(2, 3), wait: wait() };
    case "idempotent-async":
      return {
        ...base,
        action: "export-report",
        inputs: { reportName: tag, durationMs: between(0, 4_000) },
        key: `key-${tag}`,
        copies: between(2, 3),
        wait: wait(),
      };
    case "disconnect":
      return {
        ...base,
        action: "export-report",
        inputs: { reportName: tag, durationMs: between(1_000, 6_000) },
        key: random() < 0.5 ? `key-${tag}` : null,
        wait: 10,
        abortAfterMs: between(50, 1_500),
      };
    case "never":
      return { ...base, action: "never-finishes", inputs: { reportName: tag }, wait: random() < 0.3 ? 1 : 0 };
    default:
      return { ...base, action: "async-fails", inputs: { reportName: tag }, wait: wait() };
  }
}

// ---------------------------------------------------------------------------------------------
// Talking to the Worker

let instances = [];
const anyInstance = () => instances[Math.floor(random() * instances.length)];

/** POST an invoke; resolves to {status, body, headers} or {status: 0, error}. */
async function invoke(instance, c, { wait = 0, signal } = {}) {
  const headers = { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" };
  if (c.key) headers["idempotency-key"] = c.key;
  const query = wait ? `?wait=${wait}` : "";
  try {
    const res = await fetch(`${instance}/v1/actions/${c.action}/invoke${query}`, {
      method: "POST",
      headers,
      body: JSON.stringify({ inputs: c.inputs, context: { soak: c.tag } }),
      signal: signal ?? AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body, headers: res.headers, text };
  } catch (error) {
    return { status: 0, error: error.name === "AbortError" || error.name === "TimeoutError" ? "aborted" : String(error) };
  }
}

const RETRYABLE = new Set([0, 409, 429, 502, 503, 504]);

/** Sends one copy of an idempotent request until it is accepted (200/202), as a careful caller would. */
async function sendUntilAccepted(c, wait, answers) {
  for (let attempt = 1; attempt <= 12; attempt++) {
    const res = await invoke(anyInstance(), c, { wait });
    answers.push(res.status);
    if (res.status === 200 || res.status === 202) return res;
    if (!RETRYABLE.has(res.status)) return res;
    const retryAfter = Number(res.headers?.get("retry-after") ?? 1);
    await sleep(Math.min(2_000, Math.max(200, retryAfter * 1000)) + between(0, 200));
  }
  return null;
}

/** Runs one logical invocation; resolves to what the caller saw. */
async function run(c) {
  const seen = { ...c, t0: Date.now(), answers: [], invocationIds: new Set(), accepted: false, errorCodes: [] };
  const note = (res) => {
    if (!res) return;
    const id = res.body?.invocationId ?? res.body?.error?.invocationId;
    if (id) seen.invocationIds.add(id);
    if (res.status === 200 || res.status === 202) seen.accepted = true;
    else if (res.body?.error?.code) seen.errorCodes.push(`${res.status} ${res.body.error.code}`);
    else if (res.status === 0) seen.errorCodes.push(`0 ${res.error}`);
  };
  if (c.kind === "disconnect") {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), c.abortAfterMs);
    const res = await invoke(anyInstance(), c, { wait: c.wait, signal: abort.signal });
    clearTimeout(timer);
    seen.answers.push(res.status);
    seen.hungUp = res.status === 0;
    if (res.status !== 0) note(res);
    if (c.key) {
      // A caller that hung up and comes back asks again with the same key (no second run).
      await sleep(between(0, 500));
      note(await sendUntilAccepted(c, 0, seen.answers));
    }
  } else if (c.key) {
    // Duplicates sent at once to both instances, then one late retry.
    const copies = await Promise.all(Array.from({ length: c.copies }, () => sendUntilAccepted(c, c.wait, seen.answers)));
    copies.forEach(note);
    const late = await sendUntilAccepted(c, 0, seen.answers);
    note(late);
    if (late && (late.status === 200 || late.status === 202) && late.headers.get("idempotent-replayed") !== "true") {
      seen.lateNotReplayed = true;
    }
  } else {
    const res = await invoke(anyInstance(), c, { wait: c.wait });
    seen.answers.push(res.status);
    note(res);
  }
  return seen;
}

async function getRecord(id) {
  try {
    const res = await fetch(`${anyInstance()}/v1/invocations/${id}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  } catch (error) {
    return { status: 0, error: String(error) };
  }
}

async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await fn(items[index], index);
      }
    }),
  );
  return results;
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** The Worker's terminal status for what the emulator says ran (nothing ran: the proxy's timed_out). */
function expectedStatus(entries) {
  if (entries.length === 0) return "timed_out";
  const status = entries[0].status;
  return status === "queued" || status === "running" ? "timed_out" : status;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const load0 = loadavg();
  const emu = await startEmulator({ args: ["--callback-signing-secret", SIGNING_SECRET] });
  const control = emulatorControl(emu);
  const state = mkdtempSync(join(tmpdir(), "cxone-soak-"));
  const portB = await freePort();
  // Both instances hand out callback URLs of B; callers reach both.
  const vars = { CXONE_BASE_URL: emu.url, PUBLIC_URL: `http://127.0.0.1:${portB}`, MAX_POLL_SECONDS: String(MAX_POLL_SECONDS) };
  /** invokeId -> invocationId, from the objects' "invocation accepted" lines. */
  const acceptedLines = new Map();
  const logLines = { count: 0, warnings: 0, errors: 0, messages: {} };
  const reader = () => {
    let partial = "";
    return (text) => {
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.includes('"requestId":')) continue;
        logLines.count++;
        const level = line.includes('"level":"warn"') ? "warn" : line.includes('"level":"error"') ? "error" : null;
        if (level) {
          logLines[level === "warn" ? "warnings" : "errors"]++;
          try {
            const entry = JSON.parse(line.slice(line.indexOf("{"), line.lastIndexOf("}") + 1));
            const detail = typeof entry.error === "string" ? `: ${entry.error.slice(0, 90)}` : "";
            const what = `${level}: ${entry.msg}${entry.errorCode ? ` (${entry.errorCode})` : ""}${entry.code ? ` (${entry.code})` : ""}${detail}`;
            logLines.messages[what] = (logLines.messages[what] ?? 0) + 1;
          } catch {
            // not one of the Worker's JSON lines
          }
        }
        if (!line.includes('"invocation accepted"')) continue;
        try {
          const entry = JSON.parse(line.slice(line.indexOf("{"), line.lastIndexOf("}") + 1));
          if (entry.invokeId) acceptedLines.set(entry.invokeId, entry.invocationId);
        } catch {
          // not one of the Worker's JSON lines
        }
      }
    };
  };
  const workers = [];
  try {
    workers.push(await startWorker({ vars, persistTo: state, onOutput: reader() }));
    workers.push(await startWorker({ vars, persistTo: state, port: portB, instanceOf: workers[0].name, onOutput: reader() }));
    instances = workers.map((w) => w.url);
    // The second instance reaches the first one's Durable Object class through the local dev
    // registry, which takes a moment to learn it: until an object answers (404 for an unknown
    // invocation, not 503), the run has not started.
    for (const url of instances) {
      await eventually(
        async () => {
          const res = await fetch(`${url}/v1/invocations/dai_${"0".repeat(32)}`, { headers: { authorization: `Bearer ${API_KEY}` } });
          await res.arrayBuffer();
          return res.status === 404;
        },
        { timeoutMs: 60_000, intervalMs: 250, what: `the invocation objects behind ${url}` },
      );
    }
    await control.config(FAULTS);
    const cases = Array.from({ length: N }, (_, i) => plan(i));
    const sendStarted = Date.now();
    console.error(`[soak] ${N} logical invocations, ${CONCURRENCY} at a time, through ${instances.length} Worker instances`);
    let done = 0;
    const seen = await pool(cases, CONCURRENCY, async (c) => {
      const result = await run(c);
      if (++done % 100 === 0) console.error(`[soak] sent ${done}/${N} (${seconds(Date.now() - sendStarted)})`);
      return result;
    });
    const sendEnded = Date.now();

    // Callers that hung up without a key learn nothing: find their invocation through the
    // emulator's invokeId and the Worker's log line that accepted it.
    const emulatorNow = (await control.invocationList()).invocations;
    const byTag = new Map();
    for (const entry of emulatorNow) {
      const tag = entry.inputs?.customerId ?? entry.inputs?.reportName;
      if (typeof tag === "string" && tag.startsWith(`soak-${RUN}-`)) byTag.set(tag, [...(byTag.get(tag) ?? []), entry]);
    }
    for (const s of seen) {
      if (s.invocationIds.size === 0) {
        for (const entry of byTag.get(s.tag) ?? []) {
          const id = acceptedLines.get(entry.invokeId);
          if (id) {
            s.invocationIds.add(id);
            s.foundInLog = true;
          }
        }
      }
    }

    // Follow every known invocation to its end.
    const records = new Map();
    const tracked = [...new Set(seen.flatMap((s) => [...s.invocationIds]))];
    // A reservation whose invoke answer was lost is looked at 60 s after it was made.
    const followUntil = sendEnded + (Math.max(MAX_POLL_SECONDS, 60) + 45) * 1000;
    for (;;) {
      const open = tracked.filter((id) => !TERMINAL.has(records.get(id)?.status));
      if (open.length === 0 || Date.now() > followUntil) break;
      await pool(open, 8, async (id) => {
        const got = await getRecord(id);
        if (got.status === 200 && got.body) records.set(id, got.body);
      });
      if (tracked.some((id) => !TERMINAL.has(records.get(id)?.status))) await sleep(1_000);
    }
    const followEnded = Date.now();
    // Let late callbacks (delayed, duplicated) land before the emulator's final word is read.
    await sleep(3_000);
    const stats = await control.stats();
    const finalList = (await control.invocationList()).invocations;
    byTag.clear();
    for (const entry of finalList) {
      const tag = entry.inputs?.customerId ?? entry.inputs?.reportName;
      if (typeof tag === "string" && tag.startsWith(`soak-${RUN}-`)) byTag.set(tag, [...(byTag.get(tag) ?? []), entry]);
    }

    // Check every logical invocation against the emulator's record.
    const problems = { lost: [], twice: [], wrong: [] };
    const figures = { accepted: 0, refusedNothingRan: 0, outcomeUnknown: 0, terminal: 0, audit: 0, untracked: 0, hungUp: 0, foundInLog: 0 };
    const byStatus = {};
    const byCompletion = {};
    const timeToTerminal = [];
    const timeToTerminalRan = [];
    const perCase = [];
    for (const s of seen) {
      const entries = byTag.get(s.tag) ?? [];
      const rec = records.get([...s.invocationIds][0] ?? "");
      perCase.push({ tag: s.tag, kind: s.kind, answers: s.answers, errors: s.errorCodes, runs: entries.length, emulator: entries[0]?.status, status: rec?.status, completedBy: rec?.completedBy, error: rec?.error?.code });
      if (s.accepted) figures.accepted++;
      if (s.hungUp) figures.hungUp++;
      if (s.foundInLog) figures.foundInLog++;
      if (entries.length > 1) problems.twice.push({ tag: s.tag, kind: s.kind, runs: entries.map((e) => e.invokeId) });
      if (s.invocationIds.size > 1) problems.twice.push({ tag: s.tag, kind: s.kind, invocationIds: [...s.invocationIds] });
      if (s.lateNotReplayed) problems.wrong.push({ tag: s.tag, kind: s.kind, what: "a late duplicate was not answered as a replay" });
      const [id] = [...s.invocationIds];
      const record = id ? records.get(id) : undefined;
      if (!id) {
        if (entries.length > 0) problems.lost.push({ tag: s.tag, kind: s.kind, what: "ran upstream, but the caller was given no invocation", answers: s.answers, errors: s.errorCodes });
        else if (s.accepted) problems.lost.push({ tag: s.tag, kind: s.kind, what: "accepted without an invocationId" });
        else if (s.hungUp) figures.untracked++;
        else figures.refusedNothingRan++;
        continue;
      }
      if (!s.accepted && !s.hungUp) figures.outcomeUnknown++;
      if (!record || !TERMINAL.has(record.status)) {
        problems.lost.push({ tag: s.tag, kind: s.kind, id, what: record ? `still ${record.status}` : "no record", answers: s.answers });
        continue;
      }
      figures.terminal++;
      byStatus[record.status] = (byStatus[record.status] ?? 0) + 1;
      byCompletion[record.completedBy] = (byCompletion[record.completedBy] ?? 0) + 1;
      const elapsed = Date.parse(record.completedAt) - s.t0;
      timeToTerminal.push(elapsed);
      if (entries.length > 0 && record.status !== "timed_out") timeToTerminalRan.push(elapsed);
      const expected = expectedStatus(entries);
      const entry = entries[0];
      const wrong = [];
      if (record.status !== expected) wrong.push(`status ${record.status}, the emulator says ${entry?.status ?? "it never ran"}`);
      if (entry && record.invokeId && record.invokeId !== entry.invokeId) wrong.push(`invokeId ${record.invokeId} is not the emulator's ${entry.invokeId}`);
      if (record.status === "completed" && JSON.stringify(record.outputs) !== JSON.stringify(entry?.outputs)) wrong.push("outputs differ from the emulator's");
      if (record.actionId !== s.action) wrong.push(`actionId ${record.actionId}`);
      if (wrong.length) problems.wrong.push({ tag: s.tag, kind: s.kind, id, what: wrong.join("; "), completedBy: record.completedBy });
      const audit = record.audit;
      if (audit && audit.status === record.status && audit.actionId === record.actionId && (audit.invokeId ?? null) === (record.invokeId ?? null)) figures.audit++;
    }
    timeToTerminal.sort((a, b) => a - b);
    timeToTerminalRan.sort((a, b) => a - b);
    const upstream = Object.values(stats.requests).reduce((a, b) => a + b, 0);
    const kinds = {};
    for (const c of cases) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    const copies = cases.filter((c) => c.key).reduce((a, c) => a + c.copies + 1, 0);

    const result = {
      logical: N,
      kinds,
      idempotentRequests: copies,
      instances: instances.length,
      accepted: figures.accepted,
      outcomeUnknownToCaller: figures.outcomeUnknown,
      refusedNothingRan: figures.refusedNothingRan,
      hungUp: figures.hungUp,
      foundThroughLog: figures.foundInLog,
      untrackedNothingRan: figures.untracked,
      terminal: figures.terminal,
      byStatus,
      byCompletion,
      lost: problems.lost.length,
      runTwice: problems.twice.length,
      wrongState: problems.wrong.length,
      auditLines: figures.audit,
      upstreamRequests: stats.requests,
      upstreamPerInvocation: Number((upstream / Math.max(1, N)).toFixed(2)),
      faults: stats.faults,
      callbacks: stats.callbacks,
      emulatorInvocations: [...byTag.values()].reduce((a, e) => a + e.length, 0),
      timeToTerminalMs: { p50: percentile(timeToTerminal, 50), p99: percentile(timeToTerminal, 99) },
      timeToTerminalRanMs: { p50: percentile(timeToTerminalRan, 50), p99: percentile(timeToTerminalRan, 99) },
      sendSeconds: Number(((sendEnded - sendStarted) / 1000).toFixed(1)),
      followSeconds: Number(((followEnded - sendEnded) / 1000).toFixed(1)),
      totalSeconds: Number(((Date.now() - started) / 1000).toFixed(1)),
      workerLogLines: logLines,
      loadBefore: load0.map((x) => x.toFixed(2)).join(" "),
      loadAfter: loadavg().map((x) => x.toFixed(2)).join(" "),
      cores: cpus().length,
      config: { FAULTS, MAX_POLL_SECONDS, CONCURRENCY, SEED },
    };
    const p = (label, value) => console.log(`${label.padEnd(44)} ${value}`);
    console.log(`\nfault soak: ${N} logical invocations through ${instances.length} Worker instances (seed ${SEED}, MAX_POLL_SECONDS ${MAX_POLL_SECONDS})`);
    p("mix", Object.entries(kinds).map(([k, v]) => `${k} ${v}`).join(", "));
    p("faults", `429 ${(FAULTS.rate429 * 100).toFixed(0)} %, 503 ${(FAULTS.rate503 * 100).toFixed(0)} %, latency +0..${FAULTS.latencyJitterMs} ms, tokens revoked every ${FAULTS.revokeTokensEvery} requests, callbacks dropped ${FAULTS.callbackDropRate * 100} % / duplicated ${FAULTS.callbackDuplicateRate * 100} % / delayed ${FAULTS.callbackDelayMs} ms ${FAULTS.callbackDelayRate * 100} %`);
    p("injected", `429 x${stats.faults["429"]}, 503 x${stats.faults["503"]}; callbacks sent ${stats.callbacks.sent}, dropped ${stats.callbacks.dropped}, duplicated ${stats.callbacks.duplicated}`);
    p("invocations accepted (200/202)", figures.accepted);
    p("  refused before anything ran", figures.refusedNothingRan);
    p("  outcome unknown to the caller, recorded", figures.outcomeUnknown);
    p("  callers that hung up (found via log)", `${figures.hungUp} (${figures.foundInLog}; ${figures.untracked} where nothing ran)`);
    p("terminal", `${figures.terminal} (${Object.entries(byStatus).map(([k, v]) => `${k} ${v}`).join(", ")})`);
    p("  completed by", Object.entries(byCompletion).map(([k, v]) => `${k} ${v}`).join(", "));
    p("lost", problems.lost.length);
    p("run twice", problems.twice.length);
    p("in a wrong terminal state", problems.wrong.length);
    p("audit lines / terminal records", `${figures.audit} / ${figures.terminal} (${figures.audit === figures.terminal ? "equal" : "NOT equal"})`);
    p("emulator invocations (runs)", result.emulatorInvocations);
    p("upstream requests", `${upstream} (${Object.entries(stats.requests).map(([k, v]) => `${k} ${v}`).join(", ")})`);
    p("upstream requests per logical invocation", result.upstreamPerInvocation);
    p("time to terminal state, all", `p50 ${seconds(result.timeToTerminalMs.p50)}, p99 ${seconds(result.timeToTerminalMs.p99)}`);
    p("time to terminal state, runs that ended", `p50 ${seconds(result.timeToTerminalRanMs.p50)}, p99 ${seconds(result.timeToTerminalRanMs.p99)}`);
    p("wall time", `${result.totalSeconds} s (sending ${result.sendSeconds} s, following ${result.followSeconds} s)`);
    p("Worker log lines (warn, error)", `${logLines.count} (${logLines.warnings}, ${logLines.errors})`);
    for (const [what, count] of Object.entries(logLines.messages).sort((a, b) => b[1] - a[1])) p(`  ${what}`, count);
    p("load average before / after", `${result.loadBefore} / ${result.loadAfter} (${result.cores} cores)`);
    for (const [what, list] of Object.entries(problems)) {
      for (const problem of list.slice(0, 10)) console.log(`  ${what}: ${JSON.stringify(problem)}`);
    }
    if (process.env.SOAK_JSON) writeFileSync(process.env.SOAK_JSON, JSON.stringify({ ...result, problems, perCase }, null, 2));
    const failed = problems.lost.length + problems.twice.length + problems.wrong.length > 0 || figures.audit !== figures.terminal;
    process.exitCode = failed ? 1 : 0;
  } finally {
    for (const w of workers.reverse()) await w.stop();
    await emu.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 2;
});
