// The package's own CPU per warm sync invoke, with nothing else: the global `fetch` is replaced by
// a stub that answers at once from memory (token, definition, invoke), so what is timed is the
// package (arguments, validation, the core, the transport's JS, the wasm boundary, the result).
// For A/B comparisons of builds: node bench/overhead.mjs [iterations] [rounds]
import { performance } from 'node:perf_hooks';

const encoder = new TextEncoder();
const answers = {
  '/oauth2/token': JSON.stringify({ access_token: 'tok', token_type: 'Bearer', expires_in: 3600, scope: 'data-actions:read data-actions:execute' }),
  '/api/v2/data-actions/lookup-customer': JSON.stringify({
    id: 'lookup-customer',
    name: 'Lookup customer',
    inputs: [
      { name: 'customerId', type: 'string', required: true },
      { name: 'includeHistory', type: 'boolean' },
      { name: 'maxResults', type: 'integer' },
    ],
    outputs: [
      { name: 'customerId', type: 'string' },
      { name: 'name', type: 'string' },
      { name: 'tier', type: 'string' },
      { name: 'balance', type: 'number' },
      { name: 'openTickets', type: 'integer' },
      { name: 'vip', type: 'boolean' },
    ],
  }),
  '/api/v2/data-actions/lookup-customer/invoke': JSON.stringify({
    invokeId: 'inv_0123456789abcdef',
    status: 'completed',
    outputs: { customerId: 'C-1', name: 'Customer C-1', tier: 'gold', balance: 1234.5, openTickets: 3, vip: true },
  }),
};
const headers = [['content-type', 'application/json'], ['etag', '"v1-lookup-customer"'], ['date', 'Tue, 01 Dec 2026 09:00:00 GMT']];
globalThis.fetch = async (url, init) => {
  const body = encoder.encode(answers[new URL(url).pathname] ?? '{}');
  if (init?.signal?.aborted) throw new Error('aborted');
  return {
    status: 200,
    headers: { forEach: (callback) => headers.forEach(([name, value]) => callback(value, name)) },
    arrayBuffer: async () => body.buffer,
  };
};

const { DataActionsClient } = await import('cxone-data-actions');
const iterations = Number(process.argv[2] ?? 20000);
const rounds = Number(process.argv[3] ?? 5);
const client = new DataActionsClient({ baseUrl: 'http://upstream.test', clientId: 'id', clientSecret: 'secret' });
for (let i = 0; i < 2000; i += 1) await client.invoke('lookup-customer', { customerId: `W-${i}` });
const perCall = [];
for (let r = 0; r < rounds; r += 1) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) {
    const result = await client.invoke('lookup-customer', { customerId: `C-${i}` });
    if (result.status !== 'completed') throw new Error('not completed');
  }
  const used = process.cpuUsage(cpu);
  perCall.push({ cpu: (used.user + used.system) / iterations, wall: ((performance.now() - started) * 1000) / iterations });
}
perCall.sort((a, b) => a.wall - b.wall);
const median = perCall[Math.floor(perCall.length / 2)];
console.log(`package overhead with a stub fetch (Node ${process.version}): wall ${median.wall.toFixed(1)} µs, CPU ${median.cpu.toFixed(1)} µs per call (median of ${rounds} rounds of ${iterations})`);
