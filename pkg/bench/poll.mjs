// Polling figures of direct mode against the emulator: how long after an async job ended the
// package sees it (the lag), at p50/p95 over `runs` invocations of a 0.5 s and of a 2 s job, and how
// many status requests a 60 s job costs (one run, in parallel with the others).
// Usage: npm run bench:poll [-- runs]   (POLL_BENCH_LONG=0 skips the 60 s job)
// The lag is the instant the invoke promise settled minus the job's end as the emulator states it
// (`updatedAt` = `createdAt + durationMs` in `/_emulator/invocations/{id}`), on the same clock.
import { DataActionsClient } from 'cxone-data-actions';
import { CLIENT_ID, CLIENT_SECRET, startEmulator } from '../test/helpers/emulator.mjs';

const runs = Number(process.argv[2] ?? process.env.POLL_BENCH_RUNS ?? 20);
const withLong = process.env.POLL_BENCH_LONG !== '0';

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const emulator = await startEmulator();
console.log(`emulator: ${emulator.binary}; Node ${process.version}`);
try {
  const client = new DataActionsClient({ baseUrl: emulator.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  await client.getAction('export-report');

  // One invocation of a `durationMs` job: its lag after the end and its status requests.
  async function job(durationMs) {
    const result = await client.invoke('export-report', { reportName: 'poll-bench', durationMs });
    const seenAt = Date.now();
    if (result.status !== 'completed') throw new Error(`job ended ${result.status}`);
    const view = await (await fetch(`${emulator.url}/_emulator/invocations/${result.invokeId}`)).json();
    if (view.durationMs !== durationMs) throw new Error(`the emulator ran it for ${view.durationMs} ms`);
    return { lag: seenAt - Date.parse(view.updatedAt), polls: result.polls };
  }

  const before = await emulator.stats();
  const long = withLong ? job(60_000) : null;
  const targets = { 500: 150, 2000: 500 };
  let polls = 0;
  console.log(`\npolling lag after the job's end (direct mode, ${runs} runs each, one after another)`);
  for (const durationMs of [500, 2000]) {
    const samples = [];
    for (let i = 0; i < runs; i += 1) samples.push(await job(durationMs));
    polls += samples.reduce((sum, s) => sum + s.polls, 0);
    const lags = samples.map((s) => s.lag).sort((a, b) => a - b);
    const counts = samples.map((s) => s.polls).sort((a, b) => a - b);
    const p95 = percentile(lags, 95);
    const target = targets[durationMs];
    console.log(
      `  ${(durationMs / 1000).toFixed(1)} s job: lag p50 ${percentile(lags, 50)} ms  p95 ${p95} ms  min ${lags[0]} ms  max ${lags.at(-1)} ms;` +
        ` status requests per job ${counts[0]}-${counts.at(-1)} (target p95 <= ${target} ms: ${p95 <= target ? 'met' : 'MISSED'})`,
    );
  }
  if (long) {
    const { lag, polls: longPolls } = await long;
    polls += longPolls;
    console.log(`  60 s job: ${longPolls} status requests, lag ${lag} ms (target <= 30 requests: ${longPolls <= 30 ? 'met' : 'MISSED'})`);
  }
  const after = await emulator.stats();
  const seen = after.requests.poll - before.requests.poll;
  console.log(`  status requests the emulator counted: ${seen} (the package reported ${polls}${seen === polls ? '' : ': MISMATCH'})`);
} finally {
  await emulator.stop();
}
