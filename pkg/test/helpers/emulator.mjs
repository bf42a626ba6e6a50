// Starts the CXone emulator (target/debug/cxone-emulator, built if missing) on a free port and
// wraps its control API. Each test file starts its own, so knobs never leak between files.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLIENT_ID = 'demo-client';
export const CLIENT_SECRET = 'demo-secret';

function emulatorBinary() {
  if (process.env.CXONE_EMULATOR_BIN) return process.env.CXONE_EMULATOR_BIN;
  const targetDir = process.env.CARGO_TARGET_DIR || 'target';
  const binary = join(isAbsolute(targetDir) ? targetDir : join(ROOT, targetDir), 'debug', 'cxone-emulator');
  if (!existsSync(binary)) {
    const built = spawnSync('cargo', ['build', '-p', 'cxone-emulator'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('cargo build -p cxone-emulator failed');
  }
  return binary;
}

/**
 * `profile`: the upstream the emulator plays (`cxone-seed`, the default, `genesys-cloud` or
 * `cxone`); `args`: extra emulator arguments.
 */
export async function startEmulator({ profile, args = [] } = {}) {
  const binary = emulatorBinary();
  const profileArgs = profile === undefined ? [] : ['--profile', profile];
  const child = spawn(binary, ['--port', '0', ...profileArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise((resolveUrl, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`emulator did not start within 30 s: ${stderr}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /cxone-emulator listening on (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited (${code}): ${stderr}`));
    });
  });
  child.removeAllListeners('exit');

  async function control(method, path, body) {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  return {
    url,
    binary,
    configure: (knobs) => control('POST', '/_emulator/config', knobs),
    stats: () => control('GET', '/_emulator/stats'),
    reset: () => control('POST', '/_emulator/reset'),
    revokeTokens: () => control('POST', '/_emulator/revoke-tokens'),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** Direct-mode options against the emulator, with quick polling. */
export function directOptions(url, extra = {}) {
  return {
    baseUrl: url,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    poll: { initialDelayMs: 150, maxIntervalMs: 300, minIntervalMs: 50 },
    ...extra,
  };
}

/** The difference of two `/_emulator/stats` answers' request counters. */
export function requestDelta(before, after) {
  const out = {};
  for (const key of Object.keys(after.requests)) out[key] = after.requests[key] - (before.requests[key] ?? 0);
  return out;
}
