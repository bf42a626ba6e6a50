// What the Worker's isolate (or the JS peer's) sends an inspector session per sync invoke: the
// events wrangler's inspector proxy receives under `wrangler dev` (it keeps Runtime and Network
// enabled on the Worker and relays every message to its node process), counted by method with
// their bytes, over INSPECT_COUNT sync invokes in one Miniflare against the release emulator.
//   node tests/e2e/inspector-events.mjs [project|peer]    (BENCH_WORKER: another build's index.js)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Miniflare } from "miniflare";

import { freePort, startEmulator } from "./harness.mjs";
import { inspectUserWorker, syncInvoke, workerOptions } from "./miniflare-workers.mjs";

const which = process.argv[2] ?? "project";
const COUNT = Number(process.env.INSPECT_COUNT ?? 100);

const emu = await startEmulator();
const dir = mkdtempSync(join(tmpdir(), "cxone-inspect-"));
const inspectorPort = await freePort();
const mf = new Miniflare(workerOptions(which, emu.url, dir, { inspectorPort }));
try {
  const origin = (await mf.ready).origin;
  let answerBytes = 0;
  let headerBytes = 0;
  const invoke = async () => {
    const res = await fetch(...syncInvoke(origin));
    const text = await res.text();
    if (res.status !== 200) throw new Error(`invoke: HTTP ${res.status}: ${text.slice(0, 300)}`);
    answerBytes += Buffer.byteLength(text);
    for (const [name, value] of res.headers) headerBytes += name.length + value.length + 4;
  };
  for (let i = 0; i < 20; i++) await invoke();

  let counting = false;
  const events = new Map();
  const session = await inspectUserWorker(inspectorPort, (msg, bytes) => {
    if (!counting) return;
    const seen = events.get(msg.method) ?? { count: 0, bytes: 0 };
    seen.count++;
    seen.bytes += bytes;
    events.set(msg.method, seen);
  });
  await session.send("Runtime.enable");
  await session.send("Network.enable");
  await new Promise((res) => setTimeout(res, 500));
  answerBytes = 0;
  headerBytes = 0;
  counting = true;
  for (let i = 0; i < COUNT; i++) await invoke();
  await new Promise((res) => setTimeout(res, 500));
  counting = false;
  session.close();
  let count = 0;
  let bytes = 0;
  for (const [method, seen] of [...events].sort()) {
    console.log(`${which}: ${method.padEnd(36)} ${(seen.count / COUNT).toFixed(2)} per request, ${Math.round(seen.bytes / COUNT)} bytes per request`);
    count += seen.count;
    bytes += seen.bytes;
  }
  console.log(`${which}: ${(count / COUNT).toFixed(2)} inspector events and ${Math.round(bytes / COUNT)} bytes per sync invoke; the answer ${Math.round(answerBytes / COUNT)} bytes of body, ${Math.round(headerBytes / COUNT)} of headers`);
} finally {
  await mf.dispose();
  rmSync(dir, { recursive: true, force: true });
  await emu.stop();
}
