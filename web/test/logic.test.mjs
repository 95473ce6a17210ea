// Unit tests of the dashboard's browser-free rules (src/logic.ts, src/i18n.ts), compiled by
// `npm test` into .test-build first.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as L from "../.test-build/logic.js";
import * as I from "../.test-build/i18n.js";

test("parseFilters keeps known, well-formed filters only", () => {
  const q = new URLSearchParams(
    "decision=reject&machine=M3&from_ms=17960&to_ms=abc&min_score=1.5&max_score=x&unreviewed=yes&evil=1&defect_type=%3Cb%3E",
  );
  assert.deepEqual(L.parseFilters(q), { machine: "M3", decision: "reject", defect_type: "<b>", from_ms: "17960", min_score: "1.5" });
  assert.deepEqual(L.parseFilters(new URLSearchParams("decision=maybe&unreviewed=1")), { unreviewed: "1" });
});

test("filters round-trip through the route", () => {
  const f = { machine: "M10", decision: "hold", from_ms: "1796000000000", unreviewed: "1" };
  assert.deepEqual(L.parseFilters(L.filtersToSearch(f)), f);
  assert.equal(L.filtersToSearch({ machine: "", die: "" }).toString(), "");
});

test("review effect and quick verdicts", () => {
  assert.equal(L.reviewEffect("reject", "pass"), "overrules");
  assert.equal(L.reviewEffect("reject", "reject"), "confirms");
  assert.equal(L.reviewEffect("pass", "reject"), "overrules");
  assert.equal(L.reviewEffect("hold", "pass"), "judges");
  assert.equal(L.quickVerdict("reject", "confirm"), "reject");
  assert.equal(L.quickVerdict("reject", "overrule"), "pass");
  assert.equal(L.quickVerdict("pass", "overrule"), "reject");
  assert.equal(L.quickVerdict("hold", "confirm"), null);
});

test("machines sort naturally", () => {
  assert.deepEqual(["M10", "M2", "M1", "M9"].sort(L.naturalCompare), ["M1", "M2", "M9", "M10"]);
});

test("a live part counts into its machine's shift, an older one only updates last part", () => {
  const m = { ...L.emptyMachine("M3"), parts: 3, passes: 3, yield: 1 };
  const part = { part_id: "M3-1", machine: "M3", station: "S3", die: "M3-D02", time_ms: 2000, decision: "reject" };
  const a = L.applyPart(m, part, 1000);
  assert.equal(a.parts, 4);
  assert.equal(a.rejects, 1);
  assert.equal(a.yield, 0.75);
  assert.equal(a.die, "M3-D02");
  const b = L.applyPart(m, { ...part, time_ms: 500 }, 1000);
  assert.equal(b.parts, 3);
  assert.equal(b.last_part_ms, 500);
  const c = L.applyPart(m, { ...part, decision: "hold" }, 1000);
  assert.equal(c.holds, 1);
  assert.equal(m.parts, 3, "the input is not changed");
});

test("machine events change state, late ones do not roll it back", () => {
  const m = L.emptyMachine("M7");
  const stopped = L.applyEvent(m, { machine: "M7", time_ms: 100, state: "stopped", planned: false, reason: "die_failure", die: "M7-D01", detail: "" });
  assert.equal(stopped.state, "stopped");
  assert.equal(stopped.planned, false);
  const late = L.applyEvent(stopped, { machine: "M7", time_ms: 50, state: "running", planned: true, reason: "restart", die: "", detail: "" });
  assert.equal(late.state, "stopped");
});

test("reject-rate buckets give at most 200 points", () => {
  assert.equal(L.bucketFor(8 * 3600e3), 5 * 60e3);
  assert.equal(L.bucketFor(24 * 3600e3), 15 * 60e3);
  assert.equal(L.bucketFor(7 * 24 * 3600e3), 3600e3);
  assert.equal(L.bucketFor(30 * 24 * 3600e3), 4 * 3600e3);
  assert.equal(L.bucketFor(365 * 24 * 3600e3), 24 * 3600e3);
});

test("shift start matches the server's default calendar (06:00 UTC, 8 h)", () => {
  const day = Date.UTC(2026, 11, 2);
  assert.equal(L.shiftStart(day + 5 * 3600e3), day - 2 * 3600e3);
  assert.equal(L.shiftStart(day + 6 * 3600e3), day + 6 * 3600e3);
  assert.equal(L.shiftStart(day + 13.9 * 3600e3), day + 6 * 3600e3);
  assert.equal(L.shiftStart(day + 14 * 3600e3), day + 14 * 3600e3);
});

test("pareto sorts and accumulates", () => {
  const p = L.pareto([{ defect_type: "crack", parts: 1 }, { defect_type: "anomaly", parts: 3 }]);
  assert.deepEqual(p.map((r) => r.key), ["anomaly", "crack"]);
  assert.equal(p[0].cum, 0.75);
  assert.equal(p[1].cum, 1);
  assert.deepEqual(L.pareto([]), []);
});

test("datetime-local values round-trip to the minute", () => {
  const ms = new Date(2026, 11, 2, 6, 45).getTime();
  assert.equal(L.localInputToMs(L.msToLocalInput(ms)), ms);
  assert.equal(L.localInputToMs(""), null);
  assert.equal(L.localInputToMs("nonsense"), null);
});

test("every English string has a Chinese one, with the same placeholders", () => {
  const en = I.dictionaries.en;
  const zh = I.dictionaries.zh;
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  for (const k of Object.keys(en)) {
    assert.ok(zh[k].length > 0, `zh ${k} empty`);
    const ph = (s) => (s.match(/\{\w+\}/g) ?? []).sort().join();
    assert.equal(ph(zh[k]), ph(en[k]), `placeholders of ${k}`);
  }
});

test("t fills placeholders as text and picks the language", () => {
  assert.equal(I.t("parts.total", { shown: 5, total: 9 }, "en"), "5 of 9 parts");
  assert.equal(I.t("parts.total", { shown: 5, total: 9 }, "zh"), "显示 5 / 共 9 个零件");
  assert.equal(I.t("detail.title", { id: "<img src=x>" }, "en"), "Part <img src=x>");
  assert.equal(I.defectName("crack", "zh"), "裂纹");
  assert.equal(I.defectName("weird<b>", "zh"), "weird<b>");
  assert.equal(I.defectName("", "en"), "(none)");
});

test("reason codes: known ones translated, unknown ones readable", () => {
  // shift_change is what the simulator stops every machine with around a shift boundary.
  assert.equal(I.reasonName("shift_change", "en"), "shift change");
  assert.equal(I.reasonName("shift_change", "zh"), "交接班");
  assert.equal(I.reasonName("die_failure", "zh"), "模具故障");
  assert.equal(I.reasonName("coolant_leak", "en"), "coolant leak");
  assert.equal(I.reasonName("coolant_leak", "zh"), "coolant leak");
  assert.equal(I.reasonName("fault<b>", "en"), "fault<b>");
  assert.equal(I.reasonName("", "en"), "");
});

test("language default follows navigator.language", () => {
  assert.equal(I.langFromNavigator("zh-CN"), "zh");
  assert.equal(I.langFromNavigator("zh-TW"), "zh");
  assert.equal(I.langFromNavigator("en-US"), "en");
  assert.equal(I.langFromNavigator("de"), "en");
  assert.equal(I.langFromNavigator(undefined), "en");
});

test("numbers and times format per language", () => {
  assert.equal(I.fmtNumber(12345.678, 1, "en"), "12,345.7");
  assert.equal(I.fmtNumber(12345.678, 1, "zh"), "12,345.7");
  assert.equal(I.fmtPercent(0.9734, 1, "en"), "97.3%");
  const ms = Date.UTC(2026, 11, 2, 6, 5, 9);
  const en = I.fmtDateTime(ms, "en");
  const zh = I.fmtDateTime(ms, "zh");
  assert.match(en, /2026/);
  assert.match(zh, /2026/);
  assert.notEqual(en, zh);
  assert.equal(I.fmtNumber(NaN, 0, "en"), "—");
});

test("the charts' period ends just after now or the newest part, whichever is later", () => {
  // [from, to): a part stamped exactly now (the demo's clock is its newest part) is inside.
  assert.equal(L.periodEnd(1000), 1001);
  assert.equal(L.periodEnd(1000, [900, 1000]), 1001);
  // A station's clock a little ahead: its part counts; one far ahead does not stretch the period.
  assert.equal(L.periodEnd(1000, [900, 31000]), 31001);
  assert.equal(L.periodEnd(1000, [900, 61000 + 1000]), 1001);
  assert.equal(L.periodEnd(1000, [0, NaN]), 1001);
});
