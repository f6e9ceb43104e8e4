// Browser tests of the clinician web app, in Debian's chromium driven by playwright-core.
// Started by crates/npo/tests/web.rs, which runs the federation and sets up each scenario:
//   node web.mjs <login|flow|blocked|down|bench>
// Environment: NPO_WEB_URL, NPO_ARTIFACTS (screenshots), NPO_CERT_<NAME>/NPO_KEY_<NAME> for
// the personal certificates used (ANNA, JOHAN, UNKNOWN), NPO_PATIENT, NPO_EMERGENCY_PATIENT,
// NPO_BLOCKED_GIVER, NPO_DOWN_SOURCE, NPO_SHOWN_GIVER.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";

const require = createRequire(import.meta.url);
const env = process.env;
const WEB = env.NPO_WEB_URL;
const ART = env.NPO_ARTIFACTS || "test-artifacts";
mkdirSync(ART, { recursive: true });

function check(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});

async function context(who, extra = {}) {
  const clientCertificates = who
    ? [{ origin: WEB, certPath: env[`NPO_CERT_${who}`], keyPath: env[`NPO_KEY_${who}`] }]
    : [];
  // bypassCSP only lets the test inject axe-core; the app's own policy is checked below.
  return browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true, clientCertificates, locale: "sv-SE", ...extra });
}

async function axe(page, what) {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(bad.length === 0, `${what}: accessibility violations: ${JSON.stringify(bad.map((v) => [v.id, v.impact, v.nodes.length]))}`);
  console.log(`axe ${what}: ${result.violations.length} violations, none serious or critical`);
}

/// Logs in with a personal certificate and picks the care assignment (the first offered).
async function login(page, assignmentText) {
  await page.goto(`${WEB}/logga-in`);
  await page.getByRole("button", { name: "Logga in med e-tjänstekort" }).click();
  await page.waitForURL(/\/uppdrag$/);
  if (assignmentText) await page.getByLabel(assignmentText).check();
  await page.getByRole("button", { name: "Välj uppdrag" }).click();
  await page.waitForURL(/\/patient$/);
}

async function choosePatient(page, id) {
  await page.getByLabel("Personnummer eller samordningsnummer").fill(id);
  await page.getByRole("button", { name: "Sök patient" }).click();
}

/// Opens the overview for all time and waits until every information type has answered.
async function fullOverview(page) {
  await page.goto(`${WEB}/oversikt?period=all`);
  await page.waitForSelector("body[data-overview-complete=true]", { timeout: 60000 });
}

/// The record lines of the overview (title, time and care giver of each record shown).
async function partsText(page) {
  return (await page.locator(".grid ul.items").allInnerTexts()).join("\n");
}

const scenarios = {
  async login() {
    // No card: the login page says so, and offers no demo login outside demo mode.
    let ctx = await context(null);
    let page = await ctx.newPage();
    let resp = await page.goto(`${WEB}/logga-in`);
    check(resp.headers()["cache-control"] === "no-store", "no-store");
    check((resp.headers()["content-security-policy"] || "").includes("script-src 'self'"), "content security policy");
    check((await page.content()).includes("Inget e-tjänstekort"), "no-card message");
    check((await page.getByRole("link", { name: /demoanvändare/ }).count()) === 0, "no demo login");
    resp = await page.goto(`${WEB}/demo`);
    check(resp.status() === 404, "the demo picker is off");
    await ctx.close();

    // A person without an assignment for care and treatment is refused.
    ctx = await context("JOHAN");
    page = await ctx.newPage();
    await page.goto(`${WEB}/logga-in`);
    await page.getByRole("button", { name: "Logga in med e-tjänstekort" }).click();
    await page.getByRole("heading", { name: "Inloggningen nekades" }).waitFor();
    check((await page.content()).includes("inget medarbetaruppdrag med syftet Vård och behandling"), "refusal text");
    resp = await page.goto(`${WEB}/patient`);
    check(!page.url().endsWith("/patient"), "refused user does not reach patient search");
    await ctx.close();

    // A certificate of someone not in the directory is refused.
    ctx = await context("UNKNOWN");
    page = await ctx.newPage();
    await page.goto(`${WEB}/logga-in`);
    await page.getByRole("button", { name: "Logga in med e-tjänstekort" }).click();
    check((await page.content()).includes("finns inte i HSA-katalogen"), "unknown person refused");
    await ctx.close();

    // A physician: the card is recognised, only care assignments are offered.
    ctx = await context("ANNA");
    page = await ctx.newPage();
    await page.goto(`${WEB}/logga-in`);
    check((await page.content()).includes("Anna Lind"), "card holder shown");
    await page.keyboard.press("Tab");
    check(await page.evaluate(() => document.activeElement.classList.contains("skip")), "skip link is the first tab stop");
    await page.screenshot({ path: `${ART}/login.png`, fullPage: true });
    await axe(page, "login");
    await page.getByRole("button", { name: "Logga in med e-tjänstekort" }).click();
    await page.waitForURL(/\/uppdrag$/);
    const offered = await page.locator("fieldset label").allInnerTexts();
    check(offered.some((t) => t.includes("Distriktsläkare")), "care assignment offered");
    check(!offered.some((t) => t.includes("Verksamhetsutveckling")), "administration assignment not offered");
    const cookies = await ctx.cookies();
    const session = cookies.find((c) => c.name === "__Host-npo_session");
    check(session && session.secure && session.httpOnly && session.sameSite === "Strict", "session cookie flags");
    await page.getByRole("button", { name: "Välj uppdrag" }).click();
    await page.waitForURL(/\/patient$/);
    // A form without its CSRF token changes nothing.
    const forged = await page.request.post(`${WEB}/patient`, { form: { personnummer: "191212121212" } });
    check(forged.status() === 403, `form without CSRF token refused (${forged.status()})`);
    await ctx.close();
  },

  async launch() {
    // A link made for another user: after Anna's login it is dropped, she chooses a patient.
    let ctx = await context("ANNA");
    let page = await ctx.newPage();
    await page.goto(env.NPO_LAUNCH_URL_OTHER);
    await page.waitForURL(/\/logga-in$/);
    await login(page);
    check(page.url().endsWith("/patient"), "a link for someone else does not open the patient");
    await ctx.close();
    // Anna's own link: login, assignment, and she lands on the patient.
    ctx = await context("ANNA");
    page = await ctx.newPage();
    await page.goto(env.NPO_LAUNCH_URL);
    await page.waitForURL(/\/logga-in$/);
    await page.getByRole("button", { name: "Logga in med e-tjänstekort" }).click();
    await page.getByRole("button", { name: "Välj uppdrag" }).click();
    await page.waitForURL(/\/oversikt$/);
    check((await page.getByTestId("patient").innerText()) === "19121212-1212", "landed on the launched patient");
    // A link opens once.
    const again = await page.goto(env.NPO_LAUNCH_URL);
    check(again.status() === 400 && (await page.content()).includes("redan använts"), "a used link is refused");
    await ctx.close();
  },

  async flow() {
    const ctx = await context("ANNA");
    const page = await ctx.newPage();
    await login(page);
    // A wrong check digit is explained.
    await choosePatient(page, "19121212-1213");
    check((await page.content()).includes("Kontrollsiffran stämmer inte"), "check digit message");
    // The PDL flow: relation, then consent, then the overview.
    await choosePatient(page, "19121212-1212");
    await page.getByRole("heading", { name: "Patientrelation" }).waitFor();
    check(!page.url().includes("1212"), "no personnummer in the URL");
    await page.getByRole("button", { name: /intygar/ }).click();
    await page.getByRole("heading", { name: "Samtycke eller nödöppning" }).waitFor();
    await page.getByRole("button", { name: "Registrera samtycke" }).click();
    await page.getByRole("heading", { name: "Översikt" }).waitFor();
    await fullOverview(page);
    const text = await partsText(page);
    for (const giver of (env.NPO_GIVERS || "").split(",")) {
      check(text.includes(giver), `records from ${giver}`);
    }
    check(!(await page.locator(".grid").innerText()).includes("kunde inte hämtas"), "every type answered");
    await page.screenshot({ path: `${ART}/overview.png`, fullPage: true });
    await axe(page, "overview");
    // A detail view.
    const first = page.locator("[data-testid=part-diagnoser] ul.items a").first();
    const title = await first.innerText();
    await first.click();
    await page.getByRole("heading", { name: title }).waitFor();
    check(!page.url().includes("191212121212"), "no personnummer in the detail URL");
    check(!/Vårdenhet\s+SE\d/.test(await page.locator("dl.fields").innerText()), "the care unit is shown by name");
    const resp = await page.reload();
    check(resp.headers()["cache-control"] === "no-store", "detail is no-store");
    await page.screenshot({ path: `${ART}/detail.png`, fullPage: true });
    await axe(page, "detail");

    // Time from patient selection to a complete overview (PDL checks already made).
    await page.goto(`${WEB}/patient`);
    const t0 = Date.now();
    await choosePatient(page, "191212121212");
    await page.waitForSelector("body[data-overview-complete=true]", { timeout: 60000 });
    console.log(`BENCH overview_complete_ms=${Date.now() - t0}`);

    // Emergency access for a patient without consent: a reason is required.
    await page.goto(`${WEB}/patient`);
    await choosePatient(page, env.NPO_EMERGENCY_PATIENT);
    await page.getByRole("button", { name: /intygar/ }).click();
    await page.getByRole("heading", { name: "Samtycke eller nödöppning" }).waitFor();
    await page.getByLabel("Skäl (krävs)").fill("Medvetslös patient, behöver läkemedelslista");
    await page.getByRole("button", { name: "Gör nödöppning" }).click();
    await page.getByRole("heading", { name: "Översikt" }).waitFor();
    check((await page.content()).includes("Nödöppning: du ser information"), "emergency notice");
    await fullOverview(page);
    // Logging out ends the session: the overview is out of reach.
    await page.getByRole("button", { name: "Logga ut" }).click();
    await page.getByRole("heading", { name: "Du är utloggad" }).waitFor();
    await page.goto(`${WEB}/oversikt`);
    check(page.url().endsWith("/logga-in"), "after logout the overview needs a new login");
    await ctx.close();
  },

  async blocked() {
    const ctx = await context("ANNA");
    const page = await ctx.newPage();
    await login(page);
    await choosePatient(page, "191212121212");
    await page.getByRole("heading", { name: "Översikt" }).waitFor();
    await fullOverview(page);
    let text = await partsText(page);
    check(!text.includes(env.NPO_BLOCKED_GIVER), "no record of the blocked care giver on the page");
    check(await page.locator("[data-testid=blocked]").first().isVisible(), "blocked-information notice");
    const sourcesText = async () => (await page.locator("[data-testid=sources]").allInnerTexts()).join("\n");
    check(!(await sourcesText()).includes(env.NPO_BLOCKED_GIVER), "the sources line does not name the blocked source");
    await page.screenshot({ path: `${ART}/blocked.png`, fullPage: true });
    await page.locator("[data-testid=blocked] a").first().click();
    await page.getByRole("heading", { name: "Spärrad information" }).waitFor();
    await page.getByLabel("Patienten samtycker").check();
    await page.getByRole("button", { name: /Häv spärren/ }).click();
    await page.getByRole("heading", { name: "Översikt" }).waitFor();
    await fullOverview(page);
    text = await partsText(page);
    check(text.includes(env.NPO_BLOCKED_GIVER), "after the temporary revoke the records are shown");
    check((await sourcesText()).includes(env.NPO_BLOCKED_GIVER), "after the temporary revoke the source is named");
    check((await page.locator("[data-testid=blocked]").count()) === 0, "no notice after the revoke");
    await ctx.close();
  },

  async down() {
    const ctx = await context("ANNA");
    const page = await ctx.newPage();
    await login(page);
    await choosePatient(page, "191212121212");
    await page.getByRole("heading", { name: "Översikt" }).waitFor();
    await fullOverview(page);
    const down = await page.locator("[data-testid=sources-down]").allInnerTexts();
    check(down.some((t) => t.includes(env.NPO_DOWN_SOURCE)), `the down source is named: ${JSON.stringify(down)}`);
    const text = await partsText(page);
    check(text.includes(env.NPO_SHOWN_GIVER), "the other care givers' records are shown");
    await page.screenshot({ path: `${ART}/source-down.png`, fullPage: true });
    await ctx.close();
  },
};

const name = process.argv[2];
try {
  if (!scenarios[name]) throw new Error(`unknown scenario ${name}`);
  await scenarios[name]();
  console.log(`scenario ${name}: ok`);
} catch (e) {
  console.error(`scenario ${name} failed: ${e.stack || e}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
