// The admin console end to end: headless Chromium (Debian's, driven by playwright-core) on the
// page the Worker serves at /admin/ (workerd via `wrangler dev`, static assets) against the
// emulator. Sign in (a wrong key, then the right one), a definition, a validation error beside its
// field, a sync invocation, an async one watched from pending to completed, an error, the history,
// sign out; the invoke flow again with the keyboard only; 360 px and 1440 px layouts. Every answer
// of the Worker the page receives is checked against /openapi.json; the API key never shows in
// the browser's console, storage other than sessionStorage, or a URL. Screenshots are kept in
// target/console-artifacts/. An axe-core audit (WCAG 2.1 A/AA, best practices) runs on each view.
//   node --test tests/browser/console.test.mjs   (scripts/test-browser.sh builds what it needs)
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

import { ROOT, startEmulator, startWorker } from "../e2e/harness.mjs";
import { SIGNING_SECRET, emulatorControl } from "../e2e/helpers.mjs";
import { loadContract } from "../e2e/openapi.mjs";

const API_KEY = "console-key-0123456789";
const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "target/console-artifacts");

let emulator;
let control;
let worker;
let browser;
let profile;
let contract;
/** Every answer of the Worker a page received: checked against the document at the end. */
const answers = [];
const consoleLines = [];
const pageErrors = [];
const requestUrls = [];

before(async () => {
  assert.ok(existsSync(join(ROOT, "console/dist/admin/index.html")), "build the console first (scripts/build-console.sh)");
  mkdirSync(ARTIFACTS, { recursive: true });
  emulator = await startEmulator({ args: ["--callback-signing-secret", SIGNING_SECRET] });
  control = emulatorControl(emulator);
  worker = await startWorker({
    vars: { CXONE_BASE_URL: emulator.url, MAX_POLL_SECONDS: "60" },
    secrets: { CXONE_CLIENT_SECRET: "demo-secret", PROXY_API_KEYS: `${API_KEY},other-key`, CALLBACK_SIGNING_SECRET: SIGNING_SECRET },
  });
  contract = await loadContract(await (await fetch(`${worker.url}/openapi.json`)).json());
  profile = mkdtempSync(join(tmpdir(), "cxone-console-chromium-"));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  await browser?.close();
  await worker?.stop();
  await emulator?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** A fresh browser context (its own storage) and page at `width`, with everything recorded. */
async function openPage(width, height = 900) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.on("console", (message) => consoleLines.push(message.text()));
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("request", (request) => requestUrls.push(request.url()));
  page.on("response", async (response) => {
    const url = new URL(response.url());
    if (url.origin !== worker.url) return;
    // The console's own files are static assets, not the Worker's routes; its page is documented.
    if (url.pathname.startsWith("/admin/") && url.pathname !== "/admin/") return;
    if (url.pathname === "/admin") return;
    const request = response.request();
    const headers = await response.allHeaders();
    let body;
    try {
      const text = await response.text();
      body = (headers["content-type"] ?? "").startsWith("application/json") ? JSON.parse(text) : text;
    } catch {
      body = undefined;
    }
    answers.push({ method: request.method(), path: url.pathname + url.search, status: response.status(), headers, body });
  });
  await page.goto(`${worker.url}/admin/`);
  return { context, page };
}

async function signIn(page, key = API_KEY) {
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
}

const heading = (page) => page.locator("h1.view-title");

async function invokeCount() {
  return (await control.stats()).requests.invoke;
}

test("sign in, definition, validation beside the field, sync and async invocations, an error, history, sign out", async () => {
  const { context, page } = await openPage(1440);
  await assert.doesNotReject(heading(page).filter({ hasText: "Sign in" }).waitFor());

  // A wrong key says so, beside the field.
  await signIn(page, "not-the-key");
  const problem = page.locator("#api-key-error");
  await problem.waitFor({ state: "visible" });
  assert.match(await problem.textContent(), /not accepted/);
  assert.equal(await page.getByLabel("API key").getAttribute("aria-invalid"), "true");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, "a wrong key is not kept");

  // The right key: kept in sessionStorage only.
  await signIn(page);
  await heading(page).filter({ hasText: "Actions" }).waitFor();
  const storage = await page.evaluate(() => ({
    session: Object.values(sessionStorage),
    local: JSON.stringify(Object.entries(localStorage)),
    cookie: document.cookie,
    url: location.href,
  }));
  assert.deepEqual(storage.session, [API_KEY]);
  assert.ok(!storage.local.includes(API_KEY) && !storage.cookie.includes(API_KEY) && !storage.url.includes(API_KEY));

  // The pick list comes from GET /v1/actions.
  await page.getByRole("link", { name: "Lookup customer" }).waitFor();
  assert.ok(await page.getByRole("link", { name: "Export report" }).isVisible());
  await page.getByRole("link", { name: "Lookup customer" }).click();

  // The definition.
  await heading(page).filter({ hasText: "Lookup customer" }).waitFor();
  const inputs = page.locator("table", { has: page.locator("caption", { hasText: "Inputs" }) });
  assert.match(await inputs.textContent(), /customerId\s*string\s*required/);
  assert.match(await inputs.textContent(), /maxResults\s*integer\s*optional/);
  assert.match(await page.locator("table", { has: page.locator("caption", { hasText: "Outputs" }) }).textContent(), /openTickets\s*integer/);

  // A validation error beside its field, from POST /v1/actions/{id}/validate.
  const maxResults = page.getByLabel(/^maxResults/);
  await maxResults.fill("4.5");
  const issueId = (await maxResults.getAttribute("aria-describedby")).split(" ").find((id) => id.endsWith("-issue"));
  const issue = page.locator(`#${issueId}`);
  await issue.waitFor({ state: "visible" });
  assert.match(await issue.textContent(), /integer/);
  assert.equal(await maxResults.getAttribute("aria-invalid"), "true");
  const customerIssue = page.locator(`#${(await page.getByLabel(/^customerId/).getAttribute("aria-describedby")).split(" ")[1]}`);
  assert.match(await customerIssue.textContent(), /required/);
  assert.ok(answers.some((a) => a.method === "POST" && a.path === "/v1/actions/lookup-customer/validate" && a.status === 422));

  // Mended: the issues go, the Worker says the inputs are valid.
  await maxResults.fill("3");
  await page.getByLabel(/^customerId/).fill("42");
  await page.locator(".validity", { hasText: "Inputs are valid." }).waitFor();
  assert.equal(await issue.isHidden(), true);

  // A sync invocation, with a double click: one upstream invoke.
  const before = await invokeCount();
  await page.getByRole("button", { name: "Invoke" }).dblclick();
  const result = page.locator("section.result");
  await result.locator(".live-status", { hasText: "completed" }).waitFor();
  await result.locator("table.outputs").waitFor();
  assert.match(await result.locator("table.outputs").textContent(), /Customer 42/);
  assert.match(await result.locator("pre.json").textContent(), /"customerId": "42"/);
  assert.match(await result.textContent(), /Ended by\s*the invoke answer \(invoke\)/);
  assert.match(await result.locator(".hash").textContent(), /^[0-9a-f]{64}$/);
  assert.equal(await invokeCount() - before, 1, "a double click runs the action once");
  const usedKey = await result.locator(".key-used code").textContent();
  await page.waitForFunction((used) => document.getElementById("idempotency-key").value !== used, usedKey);
  await page.screenshot({ path: join(ARTIFACTS, "console-1440-sync.png"), fullPage: true });

  // An async one, opened by id: pending first, then completed by the callback.
  await page.getByRole("link", { name: "Actions", exact: true }).click();
  await page.getByLabel("Action id").fill("export-report");
  await page.getByLabel("Action id").press("Enter");
  await heading(page).filter({ hasText: "Export report" }).waitFor();
  await page.getByLabel(/^reportName/).fill("daily");
  await page.getByLabel(/^durationMs/).fill("2500");
  await page.locator(".validity", { hasText: "Inputs are valid." }).waitFor();
  await page.getByRole("button", { name: "Invoke" }).click();
  await result.locator(".timeline li", { hasText: "pending" }).waitFor({ timeout: 5_000 });
  assert.match(await result.locator(".live-status").textContent(), /pending/);
  await page.screenshot({ path: join(ARTIFACTS, "console-1440-pending.png"), fullPage: true });
  await result.locator(".live-status", { hasText: "completed" }).waitFor({ timeout: 20_000 });
  const statuses = await result.locator(".timeline .badge").allTextContents();
  assert.deepEqual(statuses, ["sending", "pending", "completed"]);
  assert.match(await result.textContent(), /Ended by\s*the upstream's callback \(callback\)/);
  assert.match(await result.locator("table.outputs").textContent(), /rowCount/);
  await page.screenshot({ path: join(ARTIFACTS, "console-1440-async.png"), fullPage: true });

  // An execution error: code, message, upstream code.
  await page.goto(`${worker.url}/admin/#/actions/sync-fails`);
  await heading(page).filter({ hasText: "Sync fails" }).waitFor();
  await page.getByLabel(/^customerId/).fill("9");
  await page.getByRole("button", { name: "Invoke" }).click();
  const error = result.locator(".error");
  await error.waitFor();
  assert.match(await error.textContent(), /execution_failed/);
  assert.match(await error.textContent(), /DOWNSTREAM_ERROR/);
  assert.match(await error.textContent(), /CRM returned 500/);

  // History: GET /v1/invocations, newest first.
  await page.getByRole("link", { name: "History" }).click();
  await heading(page).filter({ hasText: "History" }).waitFor();
  const rows = page.locator("table.history tbody tr");
  await rows.nth(2).waitFor();
  const text = await page.locator("table.history").textContent();
  for (const id of ["lookup-customer", "export-report", "sync-fails"]) assert.ok(text.includes(id), id);
  await page.screenshot({ path: join(ARTIFACTS, "console-1440-history.png"), fullPage: true });
  await rows.filter({ hasText: "export-report" }).getByRole("link", { name: /Open/ }).click();
  await heading(page).filter({ hasText: "export-report · completed" }).waitFor();
  assert.match(await page.locator("main").textContent(), /Payload hash/);

  // Sign out: the key is gone from the tab.
  await page.getByRole("button", { name: "Sign out" }).click();
  await heading(page).filter({ hasText: "Sign in" }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.goto(`${worker.url}/admin/#/history`);
  await heading(page).filter({ hasText: "Sign in" }).waitFor();
  await context.close();
});

test("stop watching a long run; the history shows it pending, then completed, without a reload", async () => {
  const { context, page } = await openPage(1440);
  await signIn(page);
  await heading(page).filter({ hasText: "Actions" }).waitFor();
  await page.goto(`${worker.url}/admin/#/actions/export-report`);
  await heading(page).filter({ hasText: "Export report" }).waitFor();
  await page.getByLabel(/^reportName/).fill("slow");
  await page.getByLabel(/^durationMs/).fill("5000");
  await page.getByRole("button", { name: "Invoke" }).click();
  const result = page.locator("section.result");
  await result.locator(".timeline li", { hasText: "pending" }).waitFor();
  await page.getByRole("button", { name: "Stop watching" }).click();
  await result.locator(".live-status", { hasText: "Stopped watching" }).waitFor();
  await page.getByRole("link", { name: "History" }).click();
  const row = page.locator("table.history tbody tr", { hasText: "export-report" }).first();
  await row.locator(".badge", { hasText: "pending" }).waitFor();
  const announced = page.locator("#announcer");
  await row.locator(".badge", { hasText: "completed" }).waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => /now completed/.test(document.getElementById("announcer").textContent));
  assert.match(await announced.textContent(), /export-report is now completed/);
  await context.close();
});

/** Presses Tab until the focused element matches `selector` (at most `max` times). */
async function tabTo(page, selector, max = 40) {
  for (let i = 0; i < max; i += 1) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press("Tab");
  }
  assert.fail(`${selector} is not reachable with Tab`);
}

test("the invoke flow with the keyboard only, focus always visible", async () => {
  const { context, page } = await openPage(1440);
  await heading(page).filter({ hasText: "Sign in" }).waitFor();
  // The key field has focus on load.
  assert.equal(await page.evaluate(() => document.activeElement?.id), "api-key");
  await page.keyboard.type(API_KEY);
  await page.keyboard.press("Enter");
  await heading(page).filter({ hasText: "Actions" }).waitFor();
  await tabTo(page, "#action-id");
  await page.keyboard.type("lookup-customer");
  await page.keyboard.press("Enter");
  await heading(page).filter({ hasText: "Lookup customer" }).waitFor();
  await tabTo(page, "input[name=customerId]");
  const outline = await page.evaluate(() => {
    const style = getComputedStyle(document.activeElement);
    return { width: parseFloat(style.outlineWidth), style: style.outlineStyle };
  });
  assert.ok(outline.width >= 2 && outline.style !== "none", `visible focus: ${JSON.stringify(outline)}`);
  await page.keyboard.type("kbd-7");
  await tabTo(page, "select[name=includeHistory]");
  await page.keyboard.press("ArrowDown"); // Not set -> true
  await tabTo(page, "button[type=submit]");
  await page.keyboard.press("Enter");
  const result = page.locator("section.result");
  await result.locator(".live-status", { hasText: "completed" }).waitFor();
  assert.match(await result.locator("table.outputs").textContent(), /Customer kbd-7/);
  const invoked = answers.filter((a) => a.path.startsWith("/v1/actions/lookup-customer/invoke") && a.status === 200).at(-1);
  assert.equal(invoked.body.outputs.customerId, "kbd-7");
  await context.close();
});

test("360 px and 1440 px: no sideways scrolling, screenshots kept", async () => {
  for (const width of [360, 1440]) {
    const { context, page } = await openPage(width, width === 360 ? 780 : 900);
    await signIn(page);
    await heading(page).filter({ hasText: "Actions" }).waitFor();
    await page.getByRole("link", { name: "Create ticket" }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, `console-${width}-actions.png`), fullPage: true });
    await page.getByRole("link", { name: "Create ticket" }).click();
    await heading(page).filter({ hasText: "Create ticket" }).waitFor();
    await page.getByLabel(/^priority/).fill("high");
    await page.getByLabel(/^tags/).fill("[oops");
    await page.locator(".validity", { hasText: "problem" }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${width} px: ${overflow} px of sideways scroll`);
    await page.screenshot({ path: join(ARTIFACTS, `console-${width}-form.png`), fullPage: true });
    await context.close();
  }
});

/** axe-core's violations on the page as it is now (WCAG 2.x A and AA rules). */
async function axeViolations(page) {
  await page.addScriptTag({ path: join(ROOT, "node_modules/axe-core/axe.min.js") });
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
  });
  return found;
}

test("axe-core finds no accessibility violations on the console's views", async () => {
  // axe is injected as a script: this context alone bypasses the page's CSP to let it in.
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${worker.url}/admin/`);
  const views = {};
  await heading(page).filter({ hasText: "Sign in" }).waitFor();
  await signIn(page, "wrong-key");
  await page.locator("#api-key-error").waitFor({ state: "visible" });
  views["sign in, with a wrong key"] = await axeViolations(page);
  await signIn(page);
  await page.getByRole("link", { name: "Lookup customer" }).waitFor();
  views.actions = await axeViolations(page);
  await page.getByRole("link", { name: "Lookup customer" }).click();
  await heading(page).filter({ hasText: "Lookup customer" }).waitFor();
  await page.getByLabel(/^maxResults/).fill("x");
  await page.locator(".validity", { hasText: "problem" }).waitFor();
  views["a definition with issues"] = await axeViolations(page);
  await page.getByLabel(/^maxResults/).fill("");
  await page.getByLabel(/^customerId/).fill("a11y");
  await page.locator(".validity", { hasText: "Inputs are valid." }).waitFor();
  await page.getByRole("button", { name: "Invoke" }).click();
  await page.locator("section.result .live-status", { hasText: "completed" }).waitFor();
  views["a result"] = await axeViolations(page);
  await page.getByRole("link", { name: "History" }).click();
  await page.locator("table.history tbody tr").first().waitFor();
  views.history = await axeViolations(page);
  await context.close();
  for (const [view, violations] of Object.entries(views)) assert.deepEqual(violations, [], `${view}:\n${violations.join("\n")}`);
});

test("every Worker answer the console received matches /openapi.json; the API key never leaked", () => {
  assert.ok(answers.length > 20, `${answers.length} answers`);
  assert.ok(answers.some((a) => a.path.split("?")[0] === "/v1/invocations" && a.status === 200), "the history came from GET /v1/invocations");
  const problems = answers.flatMap((answer) => contract.problems(answer));
  assert.deepEqual(problems, [], problems.join("\n"));
  assert.deepEqual(pageErrors, []);
  for (const line of consoleLines) assert.ok(!line.includes(API_KEY), `the API key in a console line: ${line}`);
  for (const url of requestUrls) assert.ok(!url.includes(API_KEY), `the API key in a URL: ${url}`);
  assert.ok(!worker.output().includes(API_KEY), "the API key in the Worker's log");
  const csp = answers.find((a) => a.path === "/admin/")?.headers["content-security-policy"] ?? "";
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
});
