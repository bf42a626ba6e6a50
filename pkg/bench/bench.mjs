// Figures of the package: sizes (wasm, glue, tarball, unpacked; raw and gzipped) and the time of
// a warm sync invocation (`lookup-customer`) through the package, compared in the same run with
// a plain fetch doing the same request by hand. Usage: npm run bench [-- iterations]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';

import { DataActionsClient } from 'cxone-data-actions';
import { CLIENT_ID, CLIENT_SECRET, startEmulator } from '../test/helpers/emulator.mjs';

const iterations = Number(process.argv[2] ?? process.env.BENCH_N ?? 500);
const warmup = 50;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

function sizes() {
  const file = (path) => readFileSync(new URL(`../${path}`, import.meta.url));
  const wasm = file('dist/cxone_data_actions_bg.wasm');
  const glue = file('dist/cxone_data_actions.js');
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--silent'], { cwd: new URL('..', import.meta.url), encoding: 'utf8' }),
  );
  const wasmGz = gzipSync(wasm, { level: 9 }).length;
  console.log('sizes');
  console.log(`  wasm              ${kb(wasm.length).padStart(10)} raw  ${kb(wasmGz).padStart(10)} gzipped (target <= 150 KB gzipped: ${wasmGz <= 150 * 1024 ? 'met' : 'MISSED'})`);
  console.log(`  JS glue           ${kb(glue.length).padStart(10)} raw  ${kb(gzipSync(glue, { level: 9 }).length).padStart(10)} gzipped`);
  console.log(`  package (${packed.entryCount} files) ${kb(packed.unpackedSize).padStart(10)} unpacked  ${kb(packed.size).padStart(10)} npm pack tarball (gzipped)`);
  return { wasmGz };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p99: percentile(sorted, 99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

async function compare(emulator, title, throughPackage, byHand, expected) {
  for (let i = 0; i < warmup; i += 1) {
    await throughPackage(`W-${i}`);
    await byHand(`W-${i}`);
  }
  const before = await emulator.stats();
  const pkgSamples = [];
  const handSamples = [];
  for (let i = 0; i < iterations; i += 1) {
    // Alternate which goes first so drift and connection reuse favour neither.
    const order = i % 2 === 0 ? [throughPackage, byHand] : [byHand, throughPackage];
    for (const run of order) {
      const started = performance.now();
      await run(`C-${i}`);
      (run === throughPackage ? pkgSamples : handSamples).push(performance.now() - started);
    }
  }
  const after = await emulator.stats();
  const upstream = Object.fromEntries(Object.keys(after.requests).map((k) => [k, after.requests[k] - before.requests[k]]));
  const pkg = summary(pkgSamples);
  const hand = summary(handSamples);
  const ms = (v) => `${v.toFixed(3)} ms`.padStart(10);
  console.log(`\n${title} (${iterations} iterations each, interleaved, against the emulator)`);
  console.log(`  package          median ${ms(pkg.median)}  p99 ${ms(pkg.p99)}  mean ${ms(pkg.mean)}`);
  console.log(`  fetch by hand    median ${ms(hand.median)}  p99 ${ms(hand.p99)}  mean ${ms(hand.mean)}`);
  const ratio = pkg.median / hand.median;
  console.log(`  ratio            median ${ratio.toFixed(3)}x  p99 ${(pkg.p99 / hand.p99).toFixed(3)}x  (target: median within 1.2x: ${ratio <= 1.2 ? 'met' : 'MISSED'})`);
  console.log(`  upstream requests during the run: ${JSON.stringify(upstream)} (expected ${JSON.stringify(expected)}, nothing else)`);
}

async function timing() {
  const emulator = await startEmulator();
  try {
    const client = new DataActionsClient({ baseUrl: emulator.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });

    // The same warm request by hand: token obtained once, one POST per invocation.
    const tokenResponse = await fetch(`${emulator.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, scope: 'data-actions:read data-actions:execute' }),
    });
    const { access_token: token } = await tokenResponse.json();
    const invokeUrl = `${emulator.url}/api/v2/data-actions/lookup-customer/invoke`;
    async function byHand(customerId) {
      const response = await fetch(invokeUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ inputs: { customerId }, context: {} }),
      });
      const body = await response.json();
      if (response.status !== 200 || body.status !== 'completed') throw new Error(`by hand: ${response.status}`);
      return body;
    }
    async function throughPackage(customerId) {
      const result = await client.invoke('lookup-customer', { customerId });
      if (result.status !== 'completed') throw new Error('package: not completed');
      return result;
    }

    await compare(
      emulator,
      `warm sync invocation of lookup-customer: one request each (definition cached by the package)`,
      throughPackage,
      byHand,
      { invoke: 2 * iterations },
    );

    // The comparison: "the same two requests". The package re-validates the definition on
    // every invoke (definitionTtlMs 0: a conditional GET, then the POST); by hand the same GET with
    // If-None-Match, then the same POST.
    const revalidating = new DataActionsClient({ baseUrl: emulator.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, definitionTtlMs: 0 });
    const definitionUrl = `${emulator.url}/api/v2/data-actions/lookup-customer`;
    const first = await fetch(definitionUrl, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    const etag = first.headers.get('etag');
    await first.arrayBuffer();
    async function twoByHand(customerId) {
      const definition = await fetch(definitionUrl, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(etag ? { 'if-none-match': etag } : {}) },
      });
      await definition.arrayBuffer();
      if (definition.status !== 304 && definition.status !== 200) throw new Error(`by hand: definition ${definition.status}`);
      return byHand(customerId);
    }
    async function twoThroughPackage(customerId) {
      const result = await revalidating.invoke('lookup-customer', { customerId });
      if (result.status !== 'completed') throw new Error('package: not completed');
      return result;
    }
    await compare(
      emulator,
      'sync invocation of lookup-customer: the same two requests each (conditional definition GET, then the invoke POST)',
      twoThroughPackage,
      twoByHand,
      { definition: 2 * iterations, invoke: 2 * iterations },
    );
  } finally {
    await emulator.stop();
  }
}

sizes();
await timing();
