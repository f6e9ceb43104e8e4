// Browser tests of the clinician web app, in Debian's chromium driven by playwright-core.
// Started by crates/npo/tests/web.rs, which runs the federation and sets up each scenario:
//   node web.mjs <login|launch|flow|twotabs|rights|blocked|down|bench>
// Environment: NPO_WEB_URL, NPO_ARTIFACTS (screenshots), NPO_CERT_<NAME>/NPO_KEY_<NAME> for
// the personal certificates used (ANNA, ERIK, JOHAN, UNKNOWN), NPO_PATIENT, NPO_EMERGENCY_PATIENT,
// NPO_BLOCKED_GIVER, NPO_DOWN_SOURCE, NPO_SHOWN_GIVER, NPO_ONGOING (titles of a chronic
// diagnosis and a current medication registered long ago), NPO_SYNC (a directory for steps
// the Rust side takes between a scenario's phases).
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

/// The page's patient handle (every page about a patient carries one, never a personnummer).
function handleOf(page) {
  const p = new URL(page.url()).searchParams.get("p");
  check(p && /^[0-9a-f]{32}$/.test(p), `a patient handle in ${page.url()}`);
  return p;
}

/// Opens the page's overview for `period` (all time unless said) and waits until every
/// information type has answered.
async function fullOverview(page, period = "all") {
  await page.goto(`${WEB}/oversikt?p=${handleOf(page)}&period=${period}`);
  await page.waitForSelector("body[data-overview-complete=true]", { timeout: 60000 });
}

/// Every part of the overview shows the page's patient, and only that one.
async function partsShow(page, shown) {
  check((await page.getByTestId("patient").innerText()) === shown, `the header shows ${shown}`);
  const ids = await page.locator("[data-testid=part-patient]").allInnerTexts();
  check(ids.length > 0, "the parts say whose they are");
  check(ids.every((t) => t.trim() === `Patient ${shown}`), `every part is for ${shown}: ${JSON.stringify(ids)}`);
}

/// The times of each part's records are newest first.
async function newestFirst(page) {
  for (const part of await page.locator(".grid section.part").all()) {
    const times = (await part.locator("ul.items li span.meta").allInnerTexts()).map((t) => t.split(" · ")[0]);
    const sorted = [...times].sort().reverse();
    check(JSON.stringify(times) === JSON.stringify(sorted), `newest first: ${JSON.stringify(times)}`);
  }
}

/// Waits until the Rust side has taken step `name` (it writes NPO_SYNC/<name>.done), after
/// saying this side is ready for it (NPO_SYNC/<name>.ready).
async function step(name) {
  const { writeFileSync, existsSync } = await import("node:fs");
  writeFileSync(`${env.NPO_SYNC}/${name}.ready`, "");
  const until = Date.now() + 60000;
  while (!existsSync(`${env.NPO_SYNC}/${name}.done`)) {
    check(Date.now() < until, `step ${name} was taken`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const PNR = (id) => `${id.slice(0, 8)}-${id.slice(8)}`;

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
    // Opened by the wrong logged-in user, it is refused and stays usable for the right one.
    let resp = await page.goto(env.NPO_LAUNCH_URL_OTHER);
    check(resp.status() === 403 && (await page.content()).includes("annan användare"), "the wrong user is refused");
    await ctx.close();
    ctx = await context("ERIK");
    page = await ctx.newPage();
    await page.goto(env.NPO_LAUNCH_URL_OTHER);
    await page.waitForURL(/\/logga-in$/);
    await page.getByRole("button", { name: "Logga in med e-tjänstekort" }).click();
    await page.getByRole("button", { name: "Välj uppdrag" }).click();
    await page.waitForURL(/\/oversikt\?p=[0-9a-f]{32}$/);
    check((await page.getByTestId("patient").innerText()) === "19121212-1212", "the right user lands on the launched patient");
    await ctx.close();
    // Anna's own link: login, assignment, and she lands on the patient.
    ctx = await context("ANNA");
    page = await ctx.newPage();
    await page.goto(env.NPO_LAUNCH_URL);
    await page.waitForURL(/\/logga-in$/);
    await page.getByRole("button", { name: "Logga in med e-tjänstekort" }).click();
    await page.getByRole("button", { name: "Välj uppdrag" }).click();
    await page.waitForURL(/\/oversikt\?p=[0-9a-f]{32}$/);
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
    check(!page.url().includes("1212"), "no personnummer in the overview URL");
    // The default period (3 months) still shows the chronic diagnosis and the current
    // medication registered long ago.
    await page.waitForSelector("body[data-overview-complete=true]", { timeout: 60000 });
    await partsShow(page, "19121212-1212");
    const [chronic, current] = (env.NPO_ONGOING || "").split("|");
    const dia = await page.getByTestId("part-diagnoser").innerText();
    const lak = await page.getByTestId("part-lakemedel").innerText();
    check(!dia.includes("Diagnoser (0)") && !lak.includes("Läkemedel (0)"), `ongoing items in the last 3 months: ${dia} ${lak}`);
    // Each type's list (the default period too) has them.
    const h0 = handleOf(page);
    for (const [key, title] of [["diagnoser", chronic], ["lakemedel", current]]) {
      await page.goto(`${WEB}/typ/${key}?p=${h0}`);
      const list = await page.locator("main").innerText();
      check(list.includes(title), `${title} in the last 3 months: ${list}`);
    }
    // A visit cancelled in 2011 is in no recent period (it is in all time).
    await page.goto(`${WEB}/typ/vardkontakter?p=${h0}`);
    check(!(await page.locator("main").innerText()).includes("2011-04-05"), "no cancelled contact from 2011 in the last 3 months");
    await page.goto(`${WEB}/typ/vardkontakter?p=${h0}&period=all`);
    check((await page.locator("main").innerText()).includes("2011-04-05"), "the cancelled contact from 2011 in all time");
    await page.goto(`${WEB}/oversikt?p=${h0}`);
    await page.waitForSelector("body[data-overview-complete=true]", { timeout: 60000 });
    await page.screenshot({ path: `${ART}/overview-3-months.png`, fullPage: true });
    await fullOverview(page);
    await newestFirst(page);
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
    let resp = await page.reload();
    check(resp.headers()["cache-control"] === "no-store", "detail is no-store");
    await page.screenshot({ path: `${ART}/detail.png`, fullPage: true });
    await axe(page, "detail");
    // A lab result's times are shown as times, never as raw timestamps.
    await fullOverview(page);
    const lab = page.locator("[data-testid=part-lab] ul.items a").first();
    if ((await lab.count()) > 0) {
      await lab.click();
      await page.locator("dl.fields").waitFor();
      const fields = await page.locator("dl.fields").innerText();
      check(!/\d{14}/.test(fields), `no raw timestamp in the lab detail: ${fields}`);
      await page.screenshot({ path: `${ART}/lab-detail.png`, fullPage: true });
    }
    // A bad filter on a type's page: a whole page that says what is wrong, with the layout.
    const h = handleOf(page);
    resp = await page.goto(`${WEB}/typ/diagnoser?p=${h}&period=custom&from=2026-13-01&to=x`);
    check(resp.status() === 400, "a bad filter is refused");
    check((await page.locator("header.top").count()) === 1 && (await page.locator("main h1").count()) === 1, "the refusal has the layout");
    check((await page.content()).includes("Ange både från- och tilldatum"), "the filter error is explained");
    check((await page.getByTestId("patient").innerText()) === "19121212-1212", "the refusal names the patient");
    await page.screenshot({ path: `${ART}/bad-filter.png`, fullPage: true });

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
    // Continuing without consent is not a dead end: the way back to consent or emergency
    // access is on the overview.
    await page.getByRole("button", { name: /Fortsätt utan samtycke/ }).click();
    await page.getByRole("heading", { name: "Översikt" }).waitFor();
    check(await page.getByTestId("own-only").isVisible(), "own care giver only");
    await page.screenshot({ path: `${ART}/own-care-giver-only.png`, fullPage: true });
    await page.getByRole("link", { name: "Registrera samtycke eller gör nödöppning" }).first().click();
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

  async twotabs() {
    // Two tabs of one session on two patients: each page shows its own patient, in its
    // header and in every part, whatever the other tab did since.
    const ctx = await context("ANNA");
    const one = await ctx.newPage();
    await login(one);
    await choosePatient(one, "191212121212");
    await one.getByRole("heading", { name: "Översikt" }).waitFor();
    const h1 = handleOf(one);
    await fullOverview(one);
    await partsShow(one, "19121212-1212");
    const two = await ctx.newPage();
    await two.goto(`${WEB}/patient`);
    await choosePatient(two, env.NPO_EMERGENCY_PATIENT);
    await two.waitForURL(/\/oversikt\?p=/);
    check(handleOf(two) !== h1, "the second tab has its own handle");
    check((await two.getByTestId("patient").innerText()) === PNR(env.NPO_EMERGENCY_PATIENT), "tab two shows its patient");
    // Tab one again: its overview, its type list and its record detail are still Tolvan's.
    await one.reload();
    await one.waitForSelector("body[data-overview-complete=true]", { timeout: 60000 });
    await partsShow(one, "19121212-1212");
    check(!(await one.locator("main").innerText()).includes(PNR(env.NPO_EMERGENCY_PATIENT)), "nothing of the other patient");
    await one.screenshot({ path: `${ART}/two-tabs.png`, fullPage: true });
    await one.goto(`${WEB}/typ/diagnoser?p=${h1}&period=all`);
    check((await one.getByTestId("patient").innerText()) === "19121212-1212", "the type list is the page's patient");
    // A part asked with a handle that is not one of the session's pages shows nothing.
    const forged = await one.request.get(`${WEB}/oversikt/del/diagnoser?p=${"0".repeat(32)}&period=all`);
    const body = await forged.text();
    check(forged.status() === 404 && !/\d{8}-?\d{4}/.test(body) && !body.includes("<li"), `a part with a foreign handle is refused (${forged.status()})`);
    const bare = await one.request.get(`${WEB}/oversikt/del/diagnoser?period=all`);
    check(bare.status() === 404, "a part without a handle is refused");
    await ctx.close();
  },

  async rights() {
    // Rights removed in the directory reach an open session at its next request.
    const ctx = await context("ANNA");
    const page = await ctx.newPage();
    await login(page);
    await choosePatient(page, "191212121212");
    await page.getByRole("heading", { name: "Översikt" }).waitFor();
    await fullOverview(page);
    check((await page.locator("[data-testid=part-diagnoser] ul.items li").count()) > 0, "diagnoses shown");
    await step("remove-diagnosis-right");
    await fullOverview(page);
    const part = await page.getByTestId("part-diagnoser").innerText();
    check(part.includes("ger inte behörighet"), `no right, a clear message: ${part}`);
    check((await page.locator("[data-testid=part-diagnoser] ul.items li").count()) === 0, "no diagnosis after the right is removed");
    check((await page.locator("[data-testid=part-lakemedel] ul.items li").count()) > 0, "other types still shown");
    await page.screenshot({ path: `${ART}/right-removed.png`, fullPage: true });
    await step("remove-assignment");
    await page.reload();
    await page.waitForURL(/\/uppdrag\?andrat=1$/);
    check((await page.content()).includes("har ändrats eller tagits bort"), "the user is told the assignment changed");
    await page.screenshot({ path: `${ART}/assignment-removed.png`, fullPage: true });
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
    // The revoke is in effect, and says until when: the end of today.
    const revoke = await page.getByTestId("revoke-in-effect").innerText();
    check(revoke.includes(`${env.NPO_TODAY} 23:59`), `the revoke's end is shown: ${revoke}`);
    await page.screenshot({ path: `${ART}/revoke-in-effect.png`, fullPage: true });
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
