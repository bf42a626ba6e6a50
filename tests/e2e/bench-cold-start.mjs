// Cold start of the Worker against the hand-written JS peer (../shared/peers/js-worker), in one
// run: each sample is a new workerd (Miniflare, the runtime under `wrangler dev`) with a new
// isolate, timed from `new Miniflare()` to the answer of its first request, alternating project
// and peer. Two kinds of first request:
//   - GET /healthz: the isolate's start (workerd compiling the script and the wasm module, running
//     the top-level code, which instantiates the wasm) and one trivial answer;
//   - a sync invoke against the emulator: the same, plus the first request's real work (a token,
//     the definition, the invoke, the KV copy).
// Printed per kind: median and min of `ready` (new Miniflare() until workerd reports the worker
// loaded), `first` (the first request after that) and `total`, for each Worker, and the ratio of
// the totals. The Worker's size is printed by scripts/build-worker.sh beside it (scripts/bench.sh
// cold).
//   node tests/e2e/bench-cold-start.mjs     (BENCH_SAMPLES, default 7; BENCH_PEER, the peer's
//                                            index.js, default ../shared/peers/js-worker;
//                                            BENCH_WORKER, another build's index.js, default build/)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Miniflare } from "miniflare";

import { startEmulator } from "./harness.mjs";
import { syncInvoke, workerOptions } from "./miniflare-workers.mjs";

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 7);
const emu = await startEmulator();
const requests = {
  healthz: ["http://127.0.0.1/healthz", {}],
  invoke: syncInvoke("http://127.0.0.1"),
};

/** One sample: a new runtime, its first answer. */
async function sample(which, kind) {
  const dir = mkdtempSync(join(tmpdir(), "cxone-cold-"));
  const t0 = performance.now();
  const mf = new Miniflare(workerOptions(which, emu.url, dir));
  try {
    await mf.ready;
    const t1 = performance.now();
    const [url, init] = requests[kind];
    const res = await mf.dispatchFetch(url, init);
    const text = await res.text();
    const t2 = performance.now();
    if (res.status !== 200) throw new Error(`${which} ${kind}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    return { ready: t1 - t0, first: t2 - t1, total: t2 - t0 };
  } finally {
    await mf.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)})`;

try {
  // One throwaway start of each, so that file caches are warm for both.
  for (const which of ["project", "peer"]) await sample(which, "healthz");
  for (const kind of Object.keys(requests)) {
    const got = { project: [], peer: [] };
    for (let i = 0; i < SAMPLES; i++) {
      for (const which of i % 2 ? ["peer", "project"] : ["project", "peer"]) got[which].push(await sample(which, kind));
    }
    for (const which of ["project", "peer"]) {
      const s = got[which];
      console.log(
        `cold start, first ${kind}, ${which}: ready ${fmt(s.map((x) => x.ready))}, first answer ${fmt(s.map((x) => x.first))}, total ${fmt(s.map((x) => x.total))}`,
      );
    }
    const ratio = median(got.project.map((x) => x.total)) / median(got.peer.map((x) => x.total));
    const firstRatio = median(got.project.map((x) => x.first)) / median(got.peer.map((x) => x.first));
    console.log(`cold start, first ${kind}: total ratio project/peer ${ratio.toFixed(2)}, first-answer ratio ${firstRatio.toFixed(2)} (${SAMPLES} samples each)`);
  }
} finally {
  await emu.stop();
}
