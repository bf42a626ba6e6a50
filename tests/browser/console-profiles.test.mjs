// The admin console per upstream profile (issue 13: "the e2e suites run per profile: … the
// console's action list"): headless Chromium (Debian's, driven by playwright-core) on the page the
// Worker serves at /admin/ (workerd via `wrangler dev`), the Worker configured for the profile and
// the emulator playing it over real HTTP, as tests/e2e/worker-profiles.test.mjs configures them.
// For genesys-cloud and cxone: sign in with the API key; the action list shows the actions the
// emulator serves (read from the emulator itself: Genesys Cloud's own list route, the cxone
// catalogue), with their modes; opening one shows the inputs of its contract, a form field for
// each; a sync invoke from the console runs once upstream and its outputs are shown.
//   node --test tests/browser/console-profiles.test.mjs   (scripts/test-browser.sh builds what it needs)
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";

import { ROOT, startEmulator, startWorker } from "../e2e/harness.mjs";

const API_KEY = "console-profile-key-0123456789";
const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "target/console-artifacts");

let browser;

before(async () => {
  assert.ok(existsSync(join(ROOT, "console/dist/admin/index.html")), "build the console first (scripts/build-console.sh)");
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  await browser?.close();
});

const heading = (page) => page.locator("h1.view-title");

/** The emulator's invoke count (Genesys Cloud's execute counts as an invoke). */
async function invokeCount(emu) {
  return (await (await fetch(`${emu.url}/_emulator/stats`)).json()).requests.invoke;
}

/**
 * Genesys Cloud's actions as the emulator lists them on the platform's own route
 * (`GET /api/v2/integrations/actions`, every page, `expand=contract`), signed in with the
 * client-credentials grant the Worker uses: `[{ id, name, inputs: [{ name, type, required }] }]`.
 */
async function genesysActions(emu) {
  const login = await fetch(`${emu.url}/oauth/token`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from("demo-client:demo-secret").toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
  assert.equal(login.status, 200, await login.clone().text());
  const { access_token: token } = await login.json();
  const actions = [];
  for (let pageNumber = 1; pageNumber <= 20; pageNumber += 1) {
    const res = await fetch(`${emu.url}/api/v2/integrations/actions?pageSize=4&pageNumber=${pageNumber}&expand=contract`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200, await res.clone().text());
    const listing = await res.json();
    for (const entity of listing.entities) {
      const schema = entity.contract.input.inputSchema;
      const inputs = Object.entries(schema.properties).map(([name, property]) => ({
        name, type: property.type, required: (schema.required ?? []).includes(name),
      }));
      actions.push({ id: entity.id, name: entity.name, mode: "sync", inputs });
    }
    if (!listing.nextUri) break;
  }
  return actions;
}

/** The seed actions the cxone profile's data-action paths serve, from the emulator's catalogue. */
async function catalogueActions(emu) {
  const { actions } = await (await fetch(`${emu.url}/_emulator/catalogue`)).json();
  return actions.map(({ definition }) => ({ id: definition.id, name: definition.name, mode: definition.mode, inputs: definition.inputs }));
}

/** The rows of the console's "All actions" table, once it says how many it has. */
async function listedActions(page) {
  const section = page.locator("section", { has: page.locator("#all-title") });
  await section.locator("p[role=status]", { hasText: /^\d+ actions?\.$/ }).waitFor({ timeout: 20_000 });
  const rows = await section.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
  return rows.map(([name, id, mode]) => ({ id, name, mode }));
}

/** The rows of the definition's "Inputs" table: `[{ name, type, required }]`. */
async function shownInputs(page) {
  const table = page.locator("table", { has: page.locator("caption", { hasText: "Inputs" }) });
  const rows = await table.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
  return rows.map(([name, type, required]) => ({ name, type, required: required === "required" }));
}

const byName = (a, b) => a.name.localeCompare(b.name);

/**
 * The console against a Worker for `profile`: the list, a definition's inputs, a sync invoke.
 * @param {string} profile
 * @param {{ vars: Record<string, string>, secrets: Record<string, string> }} settings  (`url`: the emulator's)
 * @param {(emu: { url: string }) => Promise<Array<{ id: string, name: string, mode: string, inputs: Array<{ name: string, type: string, required: boolean }> }>>} upstreamActions
 */
function consoleAgainst(profile, settings, upstreamActions) {
  describe(profile, () => {
    let emu;
    let worker;
    const pageErrors = [];

    before(async () => {
      emu = await startEmulator({ profile });
      const { vars, secrets } = settings(emu.url);
      worker = await startWorker({ vars: { UPSTREAM_PROFILE: profile, ...vars }, secrets: { ...secrets, PROXY_API_KEYS: API_KEY } });
    });

    after(async () => {
      await worker?.stop();
      await emu?.stop();
    });

    test("the action list is the upstream's; a definition shows its contract's inputs; a sync invoke shows its outputs", async () => {
      const expected = await upstreamActions(emu);
      assert.ok(expected.length >= 5, JSON.stringify(expected));
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      try {
        const page = await context.newPage();
        page.on("pageerror", (error) => pageErrors.push(String(error)));
        await page.goto(`${worker.url}/admin/`);
        await heading(page).filter({ hasText: "Sign in" }).waitFor();
        await page.getByLabel("API key").fill(API_KEY);
        await page.getByRole("button", { name: "Sign in" }).click();
        await heading(page).filter({ hasText: "Actions" }).waitFor();

        // The list: every action the upstream serves, in its order, named, with its mode.
        const listed = await listedActions(page);
        assert.deepEqual(listed, expected.map(({ id, name, mode }) => ({ id, name, mode })));
        await page.screenshot({ path: join(ARTIFACTS, `console-${profile}-actions.png`), fullPage: true });

        // A definition picked from the list: the inputs of the upstream's contract, a field each.
        const lookup = expected.find((a) => a.id === "lookup-customer");
        assert.ok(lookup, "the upstream serves lookup-customer");
        await page.getByRole("link", { name: lookup.name, exact: true }).click();
        await heading(page).filter({ hasText: lookup.name }).waitFor();
        assert.match(await page.locator("main p.muted code").first().textContent(), /^lookup-customer$/);
        assert.deepEqual((await shownInputs(page)).sort(byName), [...lookup.inputs].sort(byName));
        for (const input of lookup.inputs) {
          assert.equal(await page.locator(`form.invoke-form [name="${input.name}"]`).count(), 1, `a field for ${input.name}`);
        }

        // A sync invoke: validated by the Worker, run once upstream, the outputs shown.
        await page.getByLabel(/^customerId/).fill("42");
        await page.locator(".validity", { hasText: "Inputs are valid." }).waitFor();
        const invokedBefore = await invokeCount(emu);
        const answer = page.waitForResponse((r) => new URL(r.url()).pathname === "/v1/actions/lookup-customer/invoke" && r.request().method() === "POST");
        await page.getByRole("button", { name: "Invoke" }).click();
        const invoked = await answer;
        assert.equal(invoked.status(), 200, await invoked.text());
        const body = await invoked.json();
        assert.equal(body.status, "completed");
        assert.equal(body.outputs.customerId, "42");
        const result = page.locator("section.result");
        await result.locator(".live-status", { hasText: "completed" }).waitFor();
        const outputs = await result.locator("table.outputs").textContent();
        for (const [name, value] of Object.entries(body.outputs)) {
          assert.ok(outputs.includes(name) && outputs.includes(String(value)), `output ${name}=${value} shown in: ${outputs}`);
        }
        assert.match(await result.locator("pre.json").textContent(), /"customerId": "42"/);
        assert.equal(await invokeCount(emu) - invokedBefore, 1, "one upstream invoke");
        await page.screenshot({ path: join(ARTIFACTS, `console-${profile}-sync.png`), fullPage: true });
        assert.deepEqual(pageErrors, []);
      } finally {
        await context.close();
      }
      assert.ok(!worker.output().includes(API_KEY), "the API key in the Worker's log");
    });
  });
}

consoleAgainst(
  "genesys-cloud",
  (url) => ({
    vars: { GENESYS_API_URL: url, GENESYS_LOGIN_URL: url, GENESYS_CLIENT_ID: "demo-client" },
    secrets: { GENESYS_CLIENT_SECRET: "demo-secret" },
  }),
  genesysActions,
);

consoleAgainst(
  "cxone",
  (url) => ({
    vars: { CXONE_ISSUER: url, CXONE_CLIENT_ID: "demo-client" },
    secrets: { CXONE_CLIENT_SECRET: "demo-secret", CXONE_ACCESS_KEY_ID: "demo-access-key-id", CXONE_ACCESS_KEY_SECRET: "demo-access-key-secret" },
  }),
  catalogueActions,
);
