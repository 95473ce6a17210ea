// End-to-end test of the dashboard in Debian's headless Chromium (playwright-core, no downloaded
// browser). Needs a running `linesight server` (with a demo feeding it) and a user:
//
//   LS_URL=http://127.0.0.1:8080 LS_USER=qe LS_PASSWORD=… node e2e/dashboard.e2e.mjs
//
// Optional: LS_SHOTS=<folder> (screenshots), LS_MIN_PARTS (live parts to wait for, default 3),
// LS_LIVE_TIMEOUT_MS (default 90000), LS_CHROMIUM (default /usr/bin/chromium).
// LS_USER must be a quality_engineer or admin: the last step reads /api/v1/audit.
// Exit code 0 when every step passed, 1 otherwise (the failing step and why on stderr).

import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const env = process.env;
const URL_ = (env.LS_URL ?? "").replace(/\/+$/, "");
const USER = env.LS_USER ?? "";
const PASSWORD = env.LS_PASSWORD ?? "";
const SHOTS = env.LS_SHOTS ?? "";
const MIN_PARTS = Number(env.LS_MIN_PARTS ?? 3);
const LIVE_TIMEOUT = Number(env.LS_LIVE_TIMEOUT_MS ?? 90000);
const CHROMIUM = env.LS_CHROMIUM ?? "/usr/bin/chromium";
const STEP_TIMEOUT = 20000;

if (!URL_ || !USER || !PASSWORD) {
  console.error("e2e: set LS_URL (server base URL), LS_USER and LS_PASSWORD");
  process.exit(1);
}

const profile = mkdtempSync(join(tmpdir(), "ls-e2e-chromium-"));
if (SHOTS) mkdirSync(SHOTS, { recursive: true });
const problems = []; // page errors and dialogs: a dialog means injected script ran
let context;
let page;
let current = "start";

async function step(name, fn) {
  current = name;
  const t0 = Date.now();
  await fn();
  console.log(`ok - ${name} (${Date.now() - t0} ms)`);
}

async function shot(name) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

// fetch inside the page: same origin, the browser's session cookie.
async function apiGet(path) {
  return page.evaluate(async (p) => {
    const r = await fetch(p, { credentials: "same-origin", headers: { Accept: "application/json" } });
    let body = null;
    try {
      body = await r.json();
    } catch {
      body = null;
    }
    return { status: r.status, body };
  }, path);
}

// Polls a GET route until its answer satisfies `done` or STEP_TIMEOUT passes; the last answer.
async function pollApi(path, done) {
  const until = Date.now() + STEP_TIMEOUT;
  for (;;) {
    const { body } = await apiGet(path);
    if (done(body) || Date.now() > until) return body;
    await page.waitForTimeout(500);
  }
}

// The page must not scroll sideways (docs/dashboard.md, "Screen sizes"): the document is no wider
// than the window, and the header's buttons are inside it. On failure, names what sticks out.
async function checkNoSidewaysScroll(what) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const m = await page.evaluate(() => {
    const d = document.documentElement;
    const out = [];
    for (const el of document.querySelectorAll("body *")) {
      const b = el.getBoundingClientRect();
      if (b.width > 0 && b.right > d.clientWidth + 0.5 && !el.closest(".table-wrap"))
        out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : ""}`);
    }
    const inside = ["logout", "lang-toggle"].every((id) => {
      const b = document.getElementById(id)?.getBoundingClientRect();
      return !b || (b.left >= 0 && b.right <= d.clientWidth + 0.5);
    });
    return { sw: d.scrollWidth, cw: d.clientWidth, inside, out: out.slice(0, 5) };
  });
  check(m.sw <= m.cw, `${what}: the page scrolls sideways by ${m.sw - m.cw} px (${m.out.join(", ")})`);
  check(m.inside, `${what}: the header's language or log-out button is outside the window`);
}

async function main() {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    locale: "en-US",
    viewport: { width: 1920, height: 1080 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT);
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  page.on("dialog", async (d) => {
    problems.push(`unexpected dialog (injected script?): ${d.message()}`);
    await d.dismiss();
  });

  await step("log in", async () => {
    await page.goto(`${URL_}/#/login`);
    await page.locator("#login-user").fill(USER);
    await page.locator("#login-password").fill(PASSWORD);
    await page.locator("#login-submit").click();
    const who = page.locator("#who .who-name");
    try {
      await who.waitFor();
    } catch {
      const msg = await page.locator("#login-error").textContent().catch(() => "");
      throw new Error(`not logged in as ${USER}: ${msg || "no answer"}`);
    }
    check((await who.textContent()) === USER, `header shows "${await who.textContent()}", expected ${USER}`);
    await page.locator("#view[data-view=line]").waitFor();
  });

  await step(`line view: ${MIN_PARTS} parts arrive live`, async () => {
    await page.locator("#live-badge[data-state=live]").waitFor({ timeout: STEP_TIMEOUT });
    try {
      await page.waitForFunction(
        (n) => Number(document.getElementById("live-count")?.dataset.count ?? 0) >= n,
        MIN_PARTS,
        { timeout: LIVE_TIMEOUT, polling: 250 },
      );
    } catch {
      const n = await page.locator("#live-count").getAttribute("data-count");
      throw new Error(`only ${n} parts arrived live in ${LIVE_TIMEOUT} ms (is the demo running and uplinking?)`);
    }
    const tiles = await page.locator(".tile").count();
    check(tiles > 0, "no machine tiles");
    const thumbs = page.locator(".tile .thumb");
    check((await thumbs.count()) >= MIN_PARTS, "parts arrived but no thumbnails are shown");
    // At least one thumbnail image decoded (served by /api/v1/images/{name}).
    await page.waitForFunction(
      () => [...document.querySelectorAll(".tile .thumb img")].some((i) => i.complete && i.naturalWidth > 0),
      null,
      { timeout: STEP_TIMEOUT },
    );
    await shot("1-line");
  });

  await step("switch to Chinese and back", async () => {
    const before = Number(await page.locator("#live-count").getAttribute("data-count"));
    await page.locator("#lang-toggle").click();
    await page.locator("html[lang=zh-CN]").waitFor();
    const nav = await page.locator("[data-nav=line]").textContent();
    check(nav === "产线", `nav in Chinese shows "${nav}"`);
    check(((await page.locator("#live-count").textContent()) ?? "").includes("实时"), "line view not in Chinese");
    await shot("2-line-zh");
    await page.locator("#lang-toggle").click();
    await page.locator("html[lang=en-GB]").waitFor();
    const back = await page.locator("[data-nav=line]").textContent();
    check(back === "Line", `nav back in English shows "${back}"`);
    const after = Number(await page.locator("#live-count").getAttribute("data-count"));
    check(after >= before, `the live count went from ${before} to ${after} on a language switch`);
  });

  await step("charts render", async () => {
    // The stations of a starting cell report one by one: the OEE lists a machine from its
    // first event or part on, so wait until all nine have reported.
    const oee = await pollApi("/api/v1/oee", (b) => b?.machines?.length === 9);
    await page.locator("[data-nav=charts]").click();
    try {
      await page.locator("#view[data-loaded='1']").waitFor();
    } catch {
      const err = await page.locator("#view .error").allTextContents();
      throw new Error(`charts did not load: ${err.join(" ") || "timeout"}`);
    }
    check((await page.locator("#chart-yield-machine canvas").count()) > 0, "no yield-per-machine chart drawn");
    check((await page.locator("#chart-oee canvas").count()) > 0, "no OEE chart drawn");
    // Early in the shift no machine may have stopped yet: then the panel must say so, not draw.
    // (The OEE was read before the page loaded, so any stop it shows the page shows too.)
    const stops = oee.machines.some((m) => m.downtime.length > 0);
    const drawn = (await page.locator("#chart-downtime canvas").count()) > 0;
    check(drawn || !stops, "machines have stopped but no downtime chart is drawn");
    check(drawn || (await page.locator("#chart-downtime .empty").count()) > 0, "downtime panel neither drawn nor saying there is no data");
    check(oee.machines.length === 9, `OEE for ${oee.machines.length} machines, not 9`);
    for (const m of oee.machines)
      check(m.availability >= 0 && m.availability <= 1 && m.quality >= 0 && m.quality <= 1, `OEE ratios of ${m.machine} out of range`);
    await shot("2b-charts");
  });

  await step("SPC: individuals chart of melt temperature with limits, reject-rate chart", async () => {
    // The causes the page drew from: the shift goes on while the test reads, and a condition
    // is listed only once a reject meets it, so a second request may list more.
    const drawnCauses = page.waitForResponse((r) => r.url().includes("/api/v1/causes"));
    await page.locator("[data-nav=spc]").click();
    try {
      await page.locator("#view[data-view='spc'][data-loaded='1']").waitFor();
    } catch {
      const err = await page.locator("#view .error").allTextContents();
      throw new Error(`SPC did not load: ${err.join(" ") || "timeout"}`);
    }
    check((await page.locator("#spc-individuals canvas").count()) > 0, "no individuals chart drawn");
    check((await page.locator("#spc-reject canvas").count()) > 0, "no reject-rate chart drawn");
    const machine = await page.locator("#spc-machine").inputValue();
    const { body: chart } = await apiGet(`/api/v1/spc/process?machine=${machine}&variable=melt_temp_c`);
    check(chart.points.length > 0, `no melt temperatures of ${machine} in the store`);
    check(chart.limits !== null, `no limits for ${machine}: ${chart.no_limits_because}`);
    check(chart.limits.lcl < chart.limits.centre && chart.limits.centre < chart.limits.ucl, "limits out of order");
    const { body: causes } = await apiGet(`/api/v1/causes?machine=${machine}&shots=5000`);
    check(causes.shots > 0, `no shots of ${machine} for the causes`);
    const drawn = await (await drawnCauses).json();
    const want = Math.min(5, drawn.groups[0]?.causes.length ?? 0);
    check((await page.locator("#spc-causes-card").count()) === 1, "no causes card");
    check((await page.locator("#spc-causes-card .cause-row").count()) === want, `causes card does not show the API's ${want} causes`);
    const { body: risk } = await apiGet(`/api/v1/risk?machine=${machine}&shots=5000&judge=200`);
    if (risk.no_model_because) check((await page.locator("#spc-risk-card .notice").count()) === 1, "risk card does not say why there is no model");
    else check((await page.locator("#spc-risk canvas").count()) > 0 && (await page.locator("#spc-risk-card .risk-row").count()) === Math.min(5, risk.points.length), "no risk chart or riskiest shots");
    await page.locator("#spc-variable").selectOption("die_temp_c");
    await page.waitForFunction(() => location.hash.includes("variable=die_temp_c"));
    await page.locator("#view[data-view='spc'][data-loaded='1']").waitFor();
    check((await page.locator("#spc-variable").inputValue()) === "die_temp_c", "variable choice not kept");
    await shot("2c-spc");
  });

  let partId = "";
  await step("part explorer: filter decision = reject", async () => {
    await page.locator("[data-nav=parts]").click();
    await page.locator("#filters").waitFor();
    await page.locator("#f-decision").selectOption("reject");
    await page.locator("#f-apply").click();
    await page.waitForURL(/decision=reject/);
    // The URL changes before the router has replaced the unfiltered table: wait until the table
    // on the page is the filtered one, loaded (a wrong filter still fails the check below).
    await page
      .waitForFunction(
        () => {
          const status = document.getElementById("parts-status")?.textContent ?? "…";
          const trs = [...document.querySelectorAll("#parts-table tbody tr")];
          return !status.includes("…") && trs.every((tr) => tr.getAttribute("data-decision") === "reject");
        },
        null,
        { timeout: 15000 },
      )
      .catch(() => {});
    const rows = page.locator("#parts-table tbody tr");
    const deadline = Date.now() + LIVE_TIMEOUT;
    // A demo rejects a few percent of parts: reload until one is stored.
    while ((await rows.count()) === 0) {
      check(Date.now() < deadline, "no rejected part in the store (the demo has not rejected any part yet)");
      await page.waitForTimeout(2000);
      await page.reload();
      await page.locator("#parts-status").waitFor();
      await page.waitForFunction(() => !document.getElementById("parts-status")?.textContent?.includes("…"));
    }
    const decisions = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-decision")));
    check(decisions.every((d) => d === "reject"), `filter returned other decisions: ${[...new Set(decisions)]}`);
    await shot("3-explorer-reject");
    partId = (await rows.first().getAttribute("data-part")) ?? "";
    await rows.first().locator("a.part-link").click();
  });

  const note = `e2e overrule ${new Date().toISOString()} <b id="inj">markup</b><img src=x onerror=alert(1)>`;
  await step("part detail: overrule the reject as pass with a note", async () => {
    const title = page.locator("#part-title");
    await title.waitFor();
    check((await title.getAttribute("data-part")) === partId, `opened ${await title.getAttribute("data-part")}, expected ${partId}`);
    await page.locator(".view-panel").first().waitFor();
    check((await page.locator("#process").count()) === 1, "no process values table");
    // The demo's stations judge each shot's defect risk before inspecting it: shown as a percentage.
    const risk = (await page.locator("#risk").textContent()) ?? "";
    check(/^\d+(\.\d)?%$/.test(risk.trim()), `no defect risk on the part page: "${risk}"`);
    // A line reject keeps its anomaly heatmap: the toggle lays it over the part.
    const heat = page.locator(".heat-toggle").first();
    check((await heat.count()) === 1, `reject ${partId} has no heatmap toggle`);
    await heat.check();
    const layer = page.locator(".stage img.heat:not(.hidden)").first();
    await layer.waitFor();
    await page.waitForFunction((el) => el.complete, await layer.elementHandle());
    check((await layer.evaluate((el) => el.naturalWidth)) > 0, "the heatmap image did not load");
    await shot("4a-detail-heatmap");
    await heat.uncheck();
    await page.locator("#verdict-pass").check();
    const effect = await page.locator("#review-effect").getAttribute("class");
    check(effect?.includes("effect-overrules"), "the form does not say this overrules the line");
    await page.locator("#review-note").fill(note);
    await page.locator("#review-submit").click();
    try {
      await page.locator("#review-msg.ok").waitFor();
    } catch {
      throw new Error(`review not saved: ${await page.locator("#review-msg").textContent()}`);
    }
    const notes = await page.locator("#reviews .note").allTextContents();
    check(notes.includes(note), "the new review's note is not shown as text");
    check((await page.locator("#inj").count()) === 0, "markup in the note was turned into elements");
    await shot("4-detail-reviewed");
  });

  await step("the review is stored (GET /api/v1/parts/{id})", async () => {
    const r = await apiGet(`/api/v1/parts/${encodeURIComponent(partId)}`);
    check(r.status === 200, `GET part answered ${r.status}`);
    const mine = (r.body.reviews ?? []).filter((x) => x.note === note);
    check(mine.length === 1, `expected the review once, found ${mine.length}`);
    check(mine[0].verdict === "pass", `stored verdict ${mine[0].verdict}`);
    check(mine[0].user === USER, `stored user ${mine[0].user}`);
    check(r.body.part.review && r.body.part.review.note === note, "the part's latest review is not the new one");
  });

  await step("the review is audited (GET /api/v1/audit)", async () => {
    const r = await apiGet("/api/v1/audit?limit=200");
    check(r.status !== 403, `${USER} may not read the audit log: use a quality_engineer or admin`);
    check(r.status === 200, `GET audit answered ${r.status}`);
    const hit = (r.body.entries ?? []).find((e) => e.action === "review" && e.target === partId && e.user === USER);
    check(hit, `no audit entry {action: review, target: ${partId}, user: ${USER}} among the last 200`);
  });

  await step("no sideways scrolling at 1024 and 800 px (part detail, line view; English and Chinese)", async () => {
    const detail = `${URL_}/#/part/${encodeURIComponent(partId)}`;
    try {
      for (const lang of ["en", "zh"]) {
        for (const width of [1024, 800]) {
          await page.setViewportSize({ width, height: 900 });
          await page.goto(detail);
          await page.locator("#part-title").waitFor();
          await page.locator(".view-panel").first().waitFor();
          await checkNoSidewaysScroll(`part detail at ${width} px (${lang})`);
          if (width === 800) await shot(`4b-detail-${width}-${lang}`);
          await page.goto(`${URL_}/#/line`);
          await page.locator(".tile .thumb").first().waitFor();
          await checkNoSidewaysScroll(`line view at ${width} px (${lang})`);
          if (width === 800) await shot(`4c-line-${width}-${lang}`);
        }
        await page.locator("#lang-toggle").click();
        await page.locator(`html[lang=${lang === "en" ? "zh-CN" : "en-GB"}]`).waitFor();
      }
    } finally {
      await page.setViewportSize({ width: 1920, height: 1080 });
    }
  });

  await step("review queue lists parts to review", async () => {
    await page.locator("[data-nav=queue]").click();
    await page.locator("#queue .q-item, #queue p, #queue .error").first().waitFor();
    check((await page.locator("#queue .error").count()) === 0, await page.locator("#queue").textContent());
    check((await page.locator(`#queue .q-item[data-part="${partId}"]`).count()) === 0, `${partId} is reviewed but still queued`);
    await shot("5-queue");
  });

  await step("alerts page lists the open alerts the API has, paging with \"Show older\"", async () => {
    await page.locator("[data-nav=alerts]").click();
    await page.locator("#alerts .alert-item, #alerts p, #alerts .error").first().waitFor();
    check((await page.locator("#alerts .error").count()) === 0, await page.locator("#alerts").textContent());
    // Pages of 3 (the route's page_size; the page's own is 100), so that a demo's few alerts page
    // too: "Show older" until it is gone, then every open alert is listed once, oldest last. An
    // alert raised meanwhile reloads the list (keeping what was shown): compare again then.
    await page.goto(`${URL_}/#/alerts?page_size=3`);
    const items = page.locator("#alerts .alert-item");
    const more = page.locator("#alerts-more");
    let open = -1;
    let shown = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      await page.locator("#alerts-status[data-page-size='3'][data-open]").waitFor({ state: "attached" });
      check((await page.locator("#alerts .error").count()) === 0, await page.locator("#alerts").textContent());
      const first = await items.count();
      check(first <= 3, `the first page of 3 shows ${first} alerts`);
      for (let pages = 0; pages < 400 && (await more.isVisible()); pages++) {
        const n = await items.count();
        await more.click();
        await page.waitForFunction(
          (k) => document.querySelectorAll("#alerts .alert-item").length > k || document.getElementById("alerts-more")?.classList.contains("hidden"),
          n,
        );
      }
      const r = await apiGet("/api/v1/alerts?state=open&limit=1");
      check(r.status === 200, `GET alerts answered ${r.status}`);
      open = r.body.open;
      shown = await items.count();
      if (shown === open) break;
      await page.reload();
    }
    check(shown === open, `the page shows ${shown} open alerts, the API has ${open} open`);
    const ids = await items.evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-alert"))));
    check(new Set(ids).size === ids.length && ids.every((v, i) => i === 0 || ids[i - 1] > v), `alerts listed twice or out of order: ${ids}`);
    if (open > 0) {
      check((await page.locator("#alerts-status").getAttribute("data-open")) === String(open), "the page does not say how many alerts are open");
      check((await page.locator("#alerts-badge").textContent()) === String(open), "the badge does not count the open alerts");
    }
    const all = page.waitForResponse((res) => res.url().includes("/api/v1/alerts?state=all"));
    await page.locator("#alerts-all").check();
    check((await all).status() === 200, "GET alerts?state=all failed");
    await page.locator("#alerts .alert-item, #alerts p, #alerts .error").first().waitFor();
    check((await page.locator("#alerts .error").count()) === 0, await page.locator("#alerts").textContent());
    if ((await items.count()) > 0) {
      // Alerts are only ever added: the page's total (read first) is at most the API's (read after).
      await page.locator("#alerts-status[data-total]").waitFor({ state: "attached" });
      const onPage = Number(await page.locator("#alerts-status").getAttribute("data-total"));
      const every = await apiGet("/api/v1/alerts?state=all&limit=1");
      check(every.status === 200 && every.body.total >= every.body.open, `GET alerts?state=all: ${JSON.stringify(every.body)}`);
      check(onPage >= (await items.count()) && onPage <= every.body.total, `the page says ${onPage} alerts in all, the API ${every.body.total}`);
    }
    await shot("6-alerts");
  });

  await step("log out", async () => {
    await page.locator("#logout").click();
    await page.locator("#login-form").waitFor();
    const r = await apiGet("/api/v1/me");
    check(r.status === 401, `after logout /api/v1/me answered ${r.status}`);
  });

  check(problems.length === 0, problems.join("; "));
}

let failed = false;
try {
  await main();
  console.log("e2e: all steps passed");
} catch (e) {
  failed = true;
  console.error(`FAIL - ${current}: ${e instanceof Error ? e.message : e}`);
  if (problems.length) console.error(`also: ${problems.join("; ")}`);
  if (page) await shot("failure").catch(() => {});
} finally {
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
