// CPU profile of the Worker's isolate (or the JS peer's) under sync-invoke load: one Miniflare
// runtime with an inspector port, the V8 profiler started over the Chrome DevTools Protocol
// (`Profiler.start`/`stop` on workerd's own inspector, which leaves the Debugger domain off so wasm
// runs at full speed), PROFILE_SECONDS of sync invokes against the release emulator with
// PROFILE_CONCURRENCY in flight, then the profile written to PROFILE_OUT (open it in Chrome
// DevTools' Performance panel) and the top functions by self time and by inclusive time printed.
// Build with `scripts/build-worker.sh --names` first to see Rust function names.
//   node tests/e2e/profile-worker.mjs [project|peer]    (BENCH_WORKER: another build's index.js)
// Under `wrangler dev` every console.log also goes to wrangler's inspector session and its node
// process; that cost is outside this isolate and does not show here (see BENCHMARKS.md).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Miniflare } from "miniflare";

import { freePort, startEmulator } from "./harness.mjs";
import { inspectUserWorker, syncInvoke, workerOptions } from "./miniflare-workers.mjs";

const which = process.argv[2] ?? "project";
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.PROFILE_CONCURRENCY ?? 1);
const OUT = process.env.PROFILE_OUT ?? join(tmpdir(), `worker-${which}.cpuprofile`);

const emu = await startEmulator();
const dir = mkdtempSync(join(tmpdir(), "cxone-profile-"));
const inspectorPort = await freePort();
const mf = new Miniflare(workerOptions(which, emu.url, dir, { inspectorPort }));
try {
  const origin = (await mf.ready).origin;
  const invoke = async () => {
    const res = await fetch(...syncInvoke(origin));
    const text = await res.text();
    if (res.status !== 200) throw new Error(`invoke: HTTP ${res.status}: ${text.slice(0, 300)}`);
  };
  for (let i = 0; i < 50; i++) await invoke();

  const { send, close } = await inspectUserWorker(inspectorPort);
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  let count = 0;
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        await invoke();
        count++;
      }
    }),
  );
  const { result } = await send("Profiler.stop");
  close();
  writeFileSync(OUT, JSON.stringify(result.profile));

  const profile = result.profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const label = (n) => `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.replace(/^.*\//, "")}`.slice(0, 150);
  const selfByName = new Map();
  const inclusiveByName = new Map();
  const walk = (node, onStack) => {
    let total = self.get(node.id) ?? 0;
    const name = label(node);
    selfByName.set(name, (selfByName.get(name) ?? 0) + (self.get(node.id) ?? 0));
    const nested = onStack.has(name);
    onStack.add(name);
    for (const child of node.children ?? []) total += walk(byId.get(child), onStack);
    if (!nested) {
      onStack.delete(name);
      inclusiveByName.set(name, (inclusiveByName.get(name) ?? 0) + total);
    }
    return total;
  };
  const total = walk(profile.nodes[0], new Set());
  const perRequest = (us) => `${(us / 1000 / count).toFixed(3)} ms/req`;
  console.log(`${which}: ${count} sync invokes in ${SECONDS} s at concurrency ${CONCURRENCY}; profile ${OUT}`);
  for (const [title, map] of [["self time", selfByName], ["inclusive time", inclusiveByName]]) {
    console.log(`-- top by ${title}`);
    for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
      console.log(`${(100 * us / total).toFixed(1).padStart(5)}%  ${perRequest(us)}  ${name}`);
    }
  }
} finally {
  await mf.dispose();
  rmSync(dir, { recursive: true, force: true });
  await emu.stop();
}
