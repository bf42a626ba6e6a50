// A/B of package builds in one process: warm sync invokes of `lookup-customer` through each build
// given (a directory holding a copy of pkg/src, pkg/package.json and a built dist/), interleaved
// call by call with the same request by hand, against one emulator. Differences of a few µs need
// this: separate runs drift by more than that on a shared machine.
//   node bench/ab-builds.mjs DIR_A DIR_B ...   (ROUNDS=3000 by default)
// The position matters: the first build given measured 5–13 µs a call faster than the same build
// given later (BENCHMARKS.md, "npm package", 2026-12-01), so compare in both orders
// (A B, then B A) and average.
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { CLIENT_ID, CLIENT_SECRET, startEmulator } from '../test/helpers/emulator.mjs';

const dirs = process.argv.slice(2);
const rounds = Number(process.env.ROUNDS ?? 3000);
const emulator = await startEmulator();
try {
  const tokenResponse = await fetch(`${emulator.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
  });
  const { access_token: token } = await tokenResponse.json();
  const url = `${emulator.url}/api/v2/data-actions/lookup-customer/invoke`;
  const runners = [
    {
      label: 'fetch by hand',
      run: async (customerId) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ inputs: { customerId }, context: {} }),
        });
        if ((await response.json()).status !== 'completed') throw new Error('by hand: not completed');
      },
    },
  ];
  for (const dir of dirs) {
    const { DataActionsClient } = await import(pathToFileURL(resolve(dir, 'src/node.js')).href);
    const client = new DataActionsClient({ baseUrl: emulator.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    runners.push({
      label: dir,
      run: async (customerId) => {
        if ((await client.invoke('lookup-customer', { customerId })).status !== 'completed') throw new Error(`${dir}: not completed`);
      },
    });
  }
  for (let i = 0; i < 300; i += 1) for (const { run } of runners) await run(`W-${i}`);
  const times = runners.map(() => []);
  const cpu = runners.map(() => 0);
  for (let round = 0; round < rounds; round += 1) {
    for (let k = 0; k < runners.length; k += 1) {
      const index = (round + k) % runners.length;
      const usage = process.cpuUsage();
      const started = performance.now();
      await runners[index].run(`C-${round}`);
      times[index].push(performance.now() - started);
      const used = process.cpuUsage(usage);
      cpu[index] += used.user + used.system;
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const base = median(times[0]);
  console.log(`Node ${process.version}, ${rounds} calls each, emulator ${emulator.binary}`);
  runners.forEach(({ label }, index) => {
    const m = median(times[index]);
    console.log(
      `  ${label.padEnd(30)} median ${(m * 1000).toFixed(1)} µs (${(m / base).toFixed(3)}x, +${((m - base) * 1000).toFixed(1)} µs)  client CPU ${(cpu[index] / rounds).toFixed(1)} µs per call`,
    );
  });
} finally {
  await emulator.stop();
}
