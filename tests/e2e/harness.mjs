// Helpers for the end-to-end tests: start the local CXone emulator and the Worker (in workerd via
// `wrangler dev`) on free ports, and stop them (whole process groups) afterwards.
//
//   import { startEmulator, startWorker } from "./harness.mjs";
//   const emu = await startEmulator();
//   const worker = await startWorker({ vars: { CXONE_BASE_URL: emu.url }, secrets: { ... } });
//   ... fetch(`${worker.url}/healthz`) ...
//   await worker.stop(); await emu.stop();
//
// Environment:
//   CXONE_EMULATOR_BIN   emulator binary to run (default: `cargo build -p cxone-emulator` once,
//                        then target/debug/cxone-emulator)
//   E2E_VERBOSE=1        echo the children's output to stderr as it arrives
//   E2E_WRANGLER_LOG_LEVEL  wrangler dev's --log-level (default `log`, which shows the Worker's
//                        console.log lines; the tests read them)
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const VERBOSE = process.env.E2E_VERBOSE === "1";
const CARGO_BIN = join(process.env.HOME ?? "/root", ".cargo/bin");
/** @type {NodeJS.ProcessEnv} */
const BASE_ENV = {
  ...process.env,
  PATH: `${CARGO_BIN}:${join(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
  CI: "1",
};

// ---------------------------------------------------------------------------------------------
// Processes

const live = new Set();

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

process.on("exit", () => {
  for (const child of live) killGroup(child.pid, "SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => {
    for (const child of live) killGroup(child.pid, "SIGKILL");
    process.exit(128 + (sig === "SIGINT" ? 2 : 15));
  });
}

/**
 * Spawns `cmd` as the leader of a new process group; keeps the last MiB of its output.
 * @param {string} name
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string, onOutput?: (text: string) => void }} [options]
 */
function spawnGroup(name, cmd, args, { env = BASE_ENV, cwd = ROOT, onOutput } = {}) {
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let output = "";
  const onData = (chunk) => {
    const text = chunk.toString();
    output = (output + text).slice(-(1 << 20));
    onOutput?.(text);
    if (VERBOSE) process.stderr.write(text.replace(/^/gm, `[${name}] `));
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise((res) =>
    child.once("exit", (code, signal) => {
      live.delete(child);
      res({ code, signal });
    }),
  );
  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) killGroup(child.pid, "SIGTERM");
      let timer;
      const timeout = new Promise((res) => (timer = setTimeout(res, 5000, "timeout")));
      if ((await Promise.race([exited, timeout])) === "timeout") killGroup(child.pid, "SIGKILL");
      clearTimeout(timer);
      await exited;
      // Children that outlived the leader (workerd under wrangler) share its group.
      killGroup(child.pid, "SIGKILL");
    })());
  return { child, exited, stop, output: () => output };
}

function run(name, cmd, args, opts) {
  const proc = spawnGroup(name, cmd, args, opts);
  return proc.exited.then(({ code, signal }) => {
    if (code !== 0) {
      throw new Error(`${cmd} ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${proc.output()}`);
    }
    return proc.output();
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (srv.address());
      srv.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// ---------------------------------------------------------------------------------------------
// Emulator

let emulatorBuild;
function emulatorBinary() {
  if (process.env.CXONE_EMULATOR_BIN) return Promise.resolve(process.env.CXONE_EMULATOR_BIN);
  // One `cargo build` per test process, then the binary itself: starting it through `cargo run`
  // every time would wait on the target/ lock whenever something else compiles.
  emulatorBuild ??= run("cargo", "cargo", ["build", "-p", "cxone-emulator", "--quiet"]).then(() =>
    join(ROOT, "target/debug/cxone-emulator"),
  );
  return emulatorBuild;
}

/**
 * @typedef {object} Started
 * @property {string} url     e.g. http://127.0.0.1:40125 (no trailing slash)
 * @property {number} port
 * @property {() => Promise<void>} stop   kills the process group; idempotent
 * @property {() => string} output        the last MiB of stdout and stderr
 */

/**
 * Starts the CXone emulator. `port` defaults to 0 (the emulator picks one); `profile` is the
 * upstream it plays (`cxone-seed`, the default, `genesys-cloud` or `cxone`); `args` are extra
 * emulator arguments. Resolves to `{ url, port, stop(), output() }` once it prints
 * `cxone-emulator listening on http://127.0.0.1:PORT`.
 * @param {{ port?: number, profile?: string, args?: string[], timeoutMs?: number }} [options]
 * @returns {Promise<Started>}
 */
export async function startEmulator({ port = 0, profile, args = [], timeoutMs = 120_000 } = {}) {
  const bin = await emulatorBinary();
  if (!existsSync(bin)) throw new Error(`emulator binary ${bin} not found`);
  const profileArgs = profile === undefined ? [] : ["--profile", profile];
  const proc = spawnGroup("emulator", bin, ["--port", String(port), ...profileArgs, ...args]);
  const url = await new Promise((res, rej) => {
    let buffered = "";
    const onData = (chunk) => {
      buffered += chunk.toString();
      const m = buffered.match(/cxone-emulator listening on (http:\/\/\S+)/);
      if (m) {
        cleanup();
        // `--host 0.0.0.0` (or `::`) listens everywhere; connect over loopback.
        const u = new URL(m[1]);
        if (u.hostname === "0.0.0.0" || u.hostname === "[::]") u.hostname = "127.0.0.1";
        res(u.origin);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      rej(new Error(`emulator did not report its address within ${timeoutMs} ms:\n${proc.output()}`));
    }, timeoutMs);
    proc.exited.then(({ code, signal }) => {
      cleanup();
      rej(new Error(`emulator exited (${signal ?? `exit ${code}`}) before listening:\n${proc.output()}`));
    });
    function cleanup() {
      clearTimeout(timer);
      proc.child.stdout.off("data", onData);
    }
    proc.child.stdout.on("data", onData);
  }).catch(async (err) => {
    await proc.stop();
    throw err;
  });
  return { url, port: Number(new URL(url).port), stop: proc.stop, output: proc.output };
}

// ---------------------------------------------------------------------------------------------
// Worker

let workerBuild;
/**
 * Builds the Worker once per test process (scripts/build-worker.sh returns at once when build/
 * is fresh), so that each `wrangler dev` finds a fresh build and its [build] command is a no-op.
 */
export function buildWorker() {
  workerBuild ??= run("build-worker", "bash", ["scripts/build-worker.sh"]);
  return workerBuild;
}

let workerCount = 0;

/**
 * wrangler.toml without its [build] section and with an absolute `main` (and [assets] directory), written to `dir`: the
 * harness builds once per test process, and wrangler must not rebuild (its watch_dir is src/,
 * which other work may touch while the tests run) nor restart the Worker mid-test.
 *
 * Each Worker gets a name of its own (`name`): `wrangler dev` instances find each other's Durable
 * Object classes by Worker name through a registry shared by every `wrangler dev` on the machine,
 * so a second instance bound to "cxone-data-actions" would reach whichever Worker of that name
 * another checkout or test happens to be running (with its own storage and upstream).
 */
function testConfig(dir, main, instanceOf, root = ROOT, entry) {
  const path = join(dir, "wrangler.toml");
  const name = `${main ? "e2e-baseline" : "cxone-data-actions-e2e"}-${process.pid}-${++workerCount}`;
  if (main) {
    // Another script (a benchmark's baseline): only what wrangler needs to serve it.
    const date = readFileSync(join(ROOT, "wrangler.toml"), "utf8").match(/^compatibility_date\s*=\s*"([^"]+)"/m)?.[1];
    writeFileSync(path, `name = "${name}"\nmain = ${JSON.stringify(main)}\ncompatibility_date = "${date}"\n`);
    return { path, name };
  }
  const lines = readFileSync(join(root, "wrangler.toml"), "utf8").split("\n");
  const out = [];
  let current = "";
  let named = false;
  for (const line of lines) {
    const section = line.match(/^\s*\[\[?([^\]]+)\]\]?\s*$/);
    if (section) current = section[1].trim();
    // A second instance binds the first one's Durable Object class and defines none itself.
    if (current === "build" || (instanceOf && current === "migrations")) continue;
    // Paths in the copy are absolute: it lives in a temporary directory.
    if (current === "assets" && /^\s*directory\s*=/.test(line)) {
      const dir = resolve(root, line.split("=")[1].trim().replace(/^"|"$/g, ""));
      out.push(`directory = ${JSON.stringify(dir)}`);
      continue;
    }
    let outLine = line.replace(/^main\s*=.*$/, `main = ${JSON.stringify(entry ?? join(root, "build/index.js"))}`);
    if (!named && /^name\s*=/.test(outLine)) {
      // The Worker's own name (the first `name`; later ones name bindings).
      named = true;
      outLine = `name = ${JSON.stringify(name)}`;
    }
    if (instanceOf) {
      outLine = outLine.replace(/^class_name\s*=\s*"Invocation"\s*$/, `class_name = "Invocation"\nscript_name = ${JSON.stringify(instanceOf)}`);
    }
    out.push(outLine);
  }
  writeFileSync(path, out.join("\n"));
  return { path, name };
}

function dotenvLine(key, value) {
  value = String(value);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`bad secret name ${key}`);
  if (/^[\w.:/+=,@%-]*$/.test(value)) return `${key}=${value}`;
  if (value.includes("\n")) throw new Error(`secret ${key}: newlines are not supported`);
  const quote = ["'", '"', "`"].find((q) => !value.includes(q));
  if (!quote) throw new Error(`secret ${key}: contains every quote character`);
  return `${key}=${quote}${value}${quote}`;
}

/**
 * Starts the Worker with `wrangler dev` (workerd, local KV) on 127.0.0.1.
 *
 * - `vars`: overrides of wrangler.toml's [vars], passed as `--var KEY:VALUE`. PUBLIC_URL defaults
 *   to this Worker's own URL.
 * - `secrets`: written to a temporary env file passed with `--env-file`, so the developer's
 *   .dev.vars is NOT read (wrangler reads .dev.vars only when no --env-file is given). Omit to
 *   use .dev.vars.example's demo values.
 * - `port`: default a free port. `persistTo`: KV/cache state directory, default a fresh temporary
 *   one (removed on stop), so tests never see each other's KV.
 *
 * - `healthy`: wait for GET /healthz to answer 200 (default); `false` waits for any answer (for
 *   Workers started misconfigured on purpose).
 * - `main`: serve this script (absolute path) instead of the built Worker, with a minimal config
 *   (benchmark baselines); it must answer GET /healthz.
 * - `root`: serve the Worker built in another checkout of this project (its wrangler.toml and
 *   build/, built beforehand), e.g. an earlier commit for a before/after benchmark.
 * - `instanceOf`: the `name` of a Worker this harness started (`(await startWorker()).name`;
 *   every Worker it starts has a name of its own): this one is a second instance of it, in its own workerd
 *   process, binding the first one's Durable Object class through the local dev registry
 *   (`script_name`); give it the first one's `persistTo` to share its KV too.
 * - `entry`: the module wrangler serves instead of build/index.js, with the Worker's own config (KV,
 *   Durable Objects, assets): a test fixture that wraps the built Worker (it imports build/index.js
 *   and re-exports its Durable Object class), e.g. to put a fault between the Worker and a binding.
 * - `onOutput`: called with every chunk of wrangler's output as it arrives (all of it, where
 *   `output()` keeps the last MiB), e.g. to read every log line of a long run.
 *
 * Resolves to `{ url, port, name, stop(), output(), kvGet(key), kvPut(key, value) }` once GET /healthz answers.
 * The Worker is built once per test process (buildWorker) and served from a copy of
 * wrangler.toml without its [build] section, so wrangler never rebuilds it mid-test.
 * @param {{ vars?: Record<string, string>, secrets?: Record<string, string>, port?: number,
 *           persistTo?: string, timeoutMs?: number, healthy?: boolean, main?: string,
 *           instanceOf?: string, root?: string, entry?: string, onOutput?: (text: string) => void }} [options]
 * @returns {Promise<Started & { name: string, kvGet: (key: string) => Promise<string>, kvPut: (key: string, value: string) => Promise<void> }>}
 */
export async function startWorker(options = {}) {
  // A port found free can be taken by another process before workerd binds it (ports are chosen
  // by binding 0 and closing): start again, with new ports where the caller chose none.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startWorkerOnce(options);
    } catch (error) {
      if (attempt >= 3 || !/Address already in use/.test(String(error?.message))) throw error;
    }
  }
}

async function startWorkerOnce({
  vars = {},
  secrets,
  port,
  persistTo,
  timeoutMs = 90_000,
  healthy = true,
  main,
  instanceOf,
  root,
  entry,
  onOutput,
} = {}) {
  if (!main && !root) await buildWorker();
  port ??= await freePort();
  const inspectorPort = await freePort();
  const tmp = mkdtempSync(join(tmpdir(), "cxone-e2e-worker-"));
  const envFile = join(tmp, "secrets.env");
  secrets ??= {
    CXONE_CLIENT_SECRET: "demo-secret",
    PROXY_API_KEYS: "dev-key-1",
    CALLBACK_SIGNING_SECRET: "whsec_Y3hvbmUtZGF0YS1hY3Rpb25zLWRlbW8tc2lnbmluZy1rZXktMzJi",
  };
  writeFileSync(envFile, Object.entries(secrets).map(([k, v]) => dotenvLine(k, v)).join("\n") + "\n");

  const { path: config, name } = testConfig(tmp, main, instanceOf, root, entry);
  const state = persistTo ?? join(tmp, "state");
  const args = [
    join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
    "dev",
    "--config", config,
    "--local",
    "--ip", "127.0.0.1",
    "--port", String(port),
    "--inspector-port", String(inspectorPort),
    "--persist-to", state,
    "--env-file", envFile,
    "--show-interactive-dev-session=false",
    "--log-level", process.env.E2E_WRANGLER_LOG_LEVEL ?? "log",
  ];
  const url = `http://127.0.0.1:${port}`;
  for (const [k, v] of Object.entries({ PUBLIC_URL: url, ...vars })) args.push("--var", `${k}:${v}`);

  const proc = spawnGroup("wrangler", process.execPath, args, {
    env: { ...BASE_ENV, WRANGLER_LOG_PATH: join(tmp, "logs") },
    onOutput,
  });
  const stop = async () => {
    await proc.stop();
    rmSync(tmp, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  let exited = false;
  proc.exited.then(() => (exited = true));
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`wrangler dev exited before /healthz answered:\n${proc.output()}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200 || !healthy) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const out = proc.output();
      await stop();
      throw new Error(`wrangler dev: /healthz did not answer 200 within ${timeoutMs} ms:\n${out}`);
    }
    await sleep(250);
  }

  return {
    url,
    port,
    /** This Worker's name (unique per start): pass it as `instanceOf` to start a second instance. */
    name,
    stop,
    output: proc.output,
    /** The value under `key` in this Worker's local KV namespace (wrangler kv key get). */
    async kvGet(key) {
      return run("wrangler-kv", process.execPath, [
        join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
        "kv", "key", "get", key,
        "--binding", "DATA_ACTIONS_KV", "--local", "--persist-to", state, "--config", config, "--text",
      ], { env: { ...BASE_ENV, WRANGLER_LOG_PATH: join(tmp, "logs") } });
    },
    /** Writes `value` under `key` in this Worker's local KV namespace (wrangler kv key put). */
    async kvPut(key, value) {
      await run("wrangler-kv", process.execPath, [
        join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
        "kv", "key", "put", key, value,
        "--binding", "DATA_ACTIONS_KV", "--local", "--persist-to", state, "--config", config,
      ], { env: { ...BASE_ENV, WRANGLER_LOG_PATH: join(tmp, "logs") } });
    },
  };
}
