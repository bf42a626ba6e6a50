// A CPU profile of warm sync invocations through the package (for `node --cpu-prof`), and the same
// loop by hand, so the two profiles can be compared: node --cpu-prof --cpu-prof-dir=DIR
// bench/profile-invoke.mjs [package|hand] [iterations]. Prints the client CPU per call.
import { DataActionsClient } from 'cxone-data-actions';
import { CLIENT_ID, CLIENT_SECRET, startEmulator } from '../test/helpers/emulator.mjs';

const which = process.argv[2] ?? 'package';
const iterations = Number(process.argv[3] ?? 5000);
const emulator = await startEmulator();
try {
  const client = new DataActionsClient({ baseUrl: emulator.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  await client.invoke('lookup-customer', { customerId: 'warm' });
  const tokenResponse = await fetch(`${emulator.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
  });
  const { access_token: token } = await tokenResponse.json();
  const url = `${emulator.url}/api/v2/data-actions/lookup-customer/invoke`;
  const run =
    which === 'hand'
      ? async (customerId) => {
          const response = await fetch(url, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({ inputs: { customerId }, context: {} }),
          });
          const body = await response.json();
          if (body.status !== 'completed') throw new Error('by hand');
        }
      : async (customerId) => {
          const result = await client.invoke('lookup-customer', { customerId });
          if (result.status !== 'completed') throw new Error('package');
        };
  for (let i = 0; i < 200; i += 1) await run(`W-${i}`);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) await run(`C-${i}`);
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  console.log(`${which}: ${((used.user + used.system) / iterations).toFixed(1)} µs CPU and ${((wall * 1000) / iterations).toFixed(1)} µs wall per call (${iterations} calls)`);
} finally {
  await emulator.stop();
}
