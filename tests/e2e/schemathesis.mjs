// Schemathesis (PyPI; scripts/setup.sh --test installs it) against the Worker in workerd and the
// emulator: property-based requests generated from the Worker's OpenAPI description, every answer
// checked: no 5xx, status codes, content types, headers and bodies as described, and the
// negative checks (bad data refused, auth not ignored, unsupported methods 405, Allow headers).
// Not checked: that every schema-valid body is accepted (an action's inputs follow its definition).
//
//   node tests/e2e/schemathesis.mjs              SCHEMATHESIS_MAX_EXAMPLES=40 per operation
//
// The description is the Worker's own `GET /openapi.json`. Prints the cases run and the
// failures; exits 1 on a failure.
// Environment: SCHEMATHESIS_MAX_EXAMPLES (40), SCHEMATHESIS_SEED (1), SCHEMATHESIS_JSON=path
// (the figures as JSON).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { ROOT, startEmulator, startWorker } from "./harness.mjs";
import { API_KEY, SIGNING_SECRET } from "./helpers.mjs";

const MAX_EXAMPLES = process.env.SCHEMATHESIS_MAX_EXAMPLES ?? "40";
const SEED = process.env.SCHEMATHESIS_SEED ?? "1";

function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
      process.stdout.write(d);
    });
    child.stderr.on("data", (d) => {
      output += d;
      process.stderr.write(d);
    });
    child.on("exit", (code) => resolve({ code, output }));
    child.on("error", (error) => resolve({ code: 127, output: String(error) }));
  });
}

async function main() {
  const emu = await startEmulator({ args: ["--callback-signing-secret", SIGNING_SECRET] });
  const worker = await startWorker({ vars: { CXONE_BASE_URL: emu.url } });
  const dir = mkdtempSync(join(tmpdir(), "cxone-schemathesis-"));
  try {
    const served = await fetch(`${worker.url}/openapi.json`);
    if (served.status !== 200) throw new Error(`GET /openapi.json answered ${served.status}`);
    const schema = join(dir, "openapi.json");
    writeFileSync(schema, await served.text());
    const operations = Object.values(JSON.parse(readFileSync(schema, "utf8")).paths).reduce((n, item) => n + Object.keys(item).filter((k) => ["get", "post", "put", "patch", "delete"].includes(k)).length, 0);
    console.error(`[schemathesis] the Worker's /openapi.json: ${operations} operations, ${MAX_EXAMPLES} examples each`);
    const report = join(dir, "report.json");
    // scripts/setup.sh --test installs it into .venv when it is not on PATH.
    const bin = existsSync(join(ROOT, ".venv/bin/schemathesis")) ? join(ROOT, ".venv/bin/schemathesis") : "schemathesis";
    const { code, output } = await run(bin, [
      "--config-file", join(ROOT, "tests/e2e/schemathesis.toml"),
      "run", schema,
      "--url", worker.url,
      "--header", `Authorization: Bearer ${API_KEY}`,
      "--checks", "all",
      // A schema-valid body may still be refused 422: an action's inputs are checked against its
      // definition, fetched at run time, which no static description can state.
      "--exclude-checks", "positive_data_acceptance",
      // /admin/ is static assets, answered by the platform's asset server before the Worker runs
      // (its 405 to TRACE carries no Allow): not the Worker's answers to check.
      "--exclude-path", "/admin/",
      "--max-examples", MAX_EXAMPLES,
      "--seed", SEED,
      "--workers", "1",
      "--request-timeout", "40",
      "--report", "ndjson",
      "--report-ndjson-path", report,
    ]);
    // The summary: cases run and failures (Schemathesis prints both; the NDJSON events count them).
    let cases = 0;
    const failures = new Set();
    try {
      for (const line of readFileSync(report, "utf8").split("\n")) {
        if (!line.trim()) continue;
        const event = JSON.parse(line);
        const finished = event.ScenarioFinished ?? event.scenario_finished;
        if (finished?.recorder?.cases) cases += Object.keys(finished.recorder.cases).length;
        for (const check of Object.values(finished?.recorder?.checks ?? {}).flat()) {
          if (check.status === "FAILURE" || check.status === "failure") failures.add(`${check.name}: ${check.failure_info?.failure?.title ?? ""}`);
        }
      }
    } catch {
      // no report: the output above says why
    }
    const summary = { operations, maxExamples: Number(MAX_EXAMPLES), cases, failures: [...failures], exit: code };
    console.log(`\nschemathesis: ${operations} operations, ${cases} cases run, ${failures.size} distinct failures (exit ${code})`);
    for (const f of failures) console.log(`  ${f}`);
    if (process.env.SCHEMATHESIS_JSON) writeFileSync(process.env.SCHEMATHESIS_JSON, JSON.stringify(summary, null, 2));
    process.exitCode = code === 0 ? 0 : 1;
    if (/No such command|not found/.test(output) && code === 127) process.exitCode = 2;
  } finally {
    await worker.stop();
    await emu.stop();
    if (!process.env.SCHEMATHESIS_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 2;
});
