// views/spc.ts: statistical process control for one machine: an individuals and moving-range
// chart of a process value and a Laney p′ chart of the hourly reject rate, each with its control
// limits and the run rules' alarms (GET /api/v1/spc/…), and the process conditions that go with
// its rejects (GET /api/v1/causes) and each newest shot's risk of scrap (GET /api/v1/risk).
// Loaded on demand, like the charts view.

import * as echarts from "echarts/core";
import { LineChart, ScatterChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import { api, type Cause, type CausesAnswer, type ProcessChart, type RejectChart, type RiskAnswer, type RuleAlarm } from "../api";
import { clear, h } from "../dom";
import { fmtNumber, fmtPercent, fmtShortDateTime, PROCESS_UNITS, t, type Key } from "../i18n";
import { naturalCompare } from "../logic";
import { errorBox, type View } from "../ui";

echarts.use([LineChart, ScatterChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);

const C = { line: "#3a7bd5", limit: "#d64541", centre: "#2e9e4f", alarm: "#d64541", grey: "#7a8594" };
const base = {
  animation: false,
  textStyle: { fontFamily: "inherit", fontSize: 13 },
  grid: { left: 64, right: 32, top: 40, bottom: 44 },
  legend: { top: 4, textStyle: { fontSize: 13 } },
  tooltip: { trigger: "axis" },
};

function select(id: string, options: [string, string][], value: string): HTMLSelectElement {
  const el = h("select", { id });
  for (const [v, label] of options) el.append(h("option", { value: v, text: label }));
  el.value = options.some((o) => o[0] === value) ? value : (options[0]?.[0] ?? "");
  return el;
}

function field(key: Key, control: HTMLElement): HTMLElement {
  return h("label", { class: "field inline" }, h("span", { text: t(key) }), control);
}

// Horizontal limit lines; ECharts draws them over the whole x axis.
function limitLines(limits: [Key, number][]) {
  return {
    silent: true,
    symbol: "none",
    label: { formatter: (p: { name?: string }) => p.name ?? "", position: "insideEndTop" },
    data: limits.map(([key, y]) => ({
      name: `${t(key)} ${fmtNumber(y, 2)}`,
      yAxis: y,
      lineStyle: { color: key === "spc.centre" ? C.centre : C.limit, type: key === "spc.centre" ? "solid" : "dashed" },
    })),
  };
}

function alarmTable(alarms: RuleAlarm[], where: (a: RuleAlarm) => HTMLElement | string): HTMLElement {
  if (!alarms.length) return h("p", { class: "muted", text: t("spc.no_alarms") });
  const body = h("tbody");
  // A long run alarms at every point: the newest 60 are enough to act on.
  for (const a of alarms.slice(-60).reverse())
    body.append(
      h("tr", { class: "alarm-row", data: { rule: a.rule } },
        h("td", {}, h("b", { text: a.rule }), " ", a.text),
        h("td", { text: fmtShortDateTime(a.time_ms ?? a.start_ms ?? 0) }),
        h("td", {}, where(a))),
    );
  return h("table", { class: "table" },
    h("thead", {}, h("tr", {}, h("th", { text: t("spc.rule") }), h("th", { text: t("spc.when") }), h("th", { text: t("spc.where") }))),
    body);
}

function drawProcess(make: (el: HTMLElement) => echarts.ECharts, card: HTMLElement, c: ProcessChart): void {
  const x = c.points.map((p) => fmtShortDateTime(p.time_ms));
  const alarmIdx = new Set(c.alarms.map((a) => a.index));
  const iEl = h("div", { class: "chart", id: "spc-individuals" });
  const mrEl = h("div", { class: "chart chart-short", id: "spc-moving-range" });
  const note = c.limits
    ? h("p", { class: "muted", text: t("spc.baseline", { n: c.limits.baseline, m: c.limits.not_measured }) })
    : h("p", { class: "notice", text: t("spc.no_limits", { why: c.no_limits_because ?? "" }) });
  card.append(note, iEl, mrEl, h("h4", { text: t("spc.alarms") }),
    alarmTable(c.alarms, (a) => (a.part_id ? h("a", { href: `#/part/${encodeURIComponent(a.part_id)}`, text: a.part_id }) : "")));
  const l = c.limits;
  make(iEl).setOption({
    ...base,
    xAxis: { type: "category", data: x },
    yAxis: { type: "value", scale: true, name: c.unit },
    series: [
      {
        name: t("spc.value"), type: "line", data: c.points.map((p) => p.value), connectNulls: false,
        showSymbol: c.points.length < 120, itemStyle: { color: C.line },
        markLine: l ? limitLines([["spc.ucl", l.ucl], ["spc.centre", l.centre], ["spc.lcl", l.lcl]]) : undefined,
      },
      {
        name: t("spc.alarms"), type: "scatter", symbolSize: 9, itemStyle: { color: C.alarm },
        data: c.points.map((p, i) => (alarmIdx.has(i) ? p.value : null)),
      },
    ],
  });
  make(mrEl).setOption({
    ...base,
    legend: { show: false },
    xAxis: { type: "category", data: x },
    yAxis: { type: "value", name: t("spc.moving_range") },
    series: [{
      name: t("spc.moving_range"), type: "line", data: c.points.map((p) => p.mr), showSymbol: false,
      itemStyle: { color: C.grey },
      markLine: l ? limitLines([["spc.ucl", l.mr_ucl], ["spc.centre", l.mr_bar]]) : undefined,
    }],
  });
}

function drawRejects(make: (el: HTMLElement) => echarts.ECharts, card: HTMLElement, c: RejectChart): void {
  const el = h("div", { class: "chart", id: "spc-reject" });
  if (c.no_limits_because) card.append(h("p", { class: "notice", text: t("spc.no_limits", { why: c.no_limits_because }) }));
  card.append(el, h("h4", { text: t("spc.alarms") }), alarmTable(c.alarms, (a) => fmtShortDateTime(a.start_ms ?? 0)));
  const x = c.points.map((p) => fmtShortDateTime(p.start_ms));
  const pct = (v: number) => fmtPercent(v, 1);
  make(el).setOption({
    ...base,
    xAxis: { type: "category", data: x },
    yAxis: { type: "value", min: 0, axisLabel: { formatter: pct } },
    series: [
      { name: t("charts.reject_pct"), type: "line", data: c.points.map((p) => p.p), itemStyle: { color: C.line } },
      // Limits vary with each hour's part count: drawn as steps, not one line.
      { name: t("spc.ucl"), type: "line", step: "middle", data: c.points.map((p) => p.ucl), showSymbol: false, lineStyle: { type: "dashed", color: C.limit }, itemStyle: { color: C.limit } },
      { name: t("spc.centre"), type: "line", data: c.points.map(() => c.p_bar ?? 0), showSymbol: false, itemStyle: { color: C.centre } },
      { name: t("spc.lcl"), type: "line", step: "middle", data: c.points.map((p) => p.lcl), showSymbol: false, lineStyle: { type: "dashed", color: C.limit }, itemStyle: { color: C.limit } },
    ],
  });
}

// The ranked process conditions behind the machine's rejects (GET /api/v1/causes): a cause with
// weak evidence, or one that only stands in for another, is shown greyed and says so, never as a
// finding.
function causeText(cause: Cause): string {
  if (!cause.supported) return `${t("spc.cause_weak")}: ${cause.condition}`;
  if (cause.explained_by) return `${cause.condition}: ${t("spc.cause_explained", { by: cause.explained_by })}`;
  return cause.sentence;
}

// Rejects inside the condition; for a cause the order counts, how many are its own or whose
// shots they share.
function rejectsText(cause: Cause, rejects: number): string {
  const base = `${cause.rejects_inside} / ${rejects}`;
  if (!cause.supported || cause.explained_by) return base;
  if (cause.across_groups) return `${base} · ${t("spc.cause_across")}`;
  if (cause.shares_with) return `${base} · ${t("spc.cause_shares", { with: cause.shares_with })}`;
  if (Math.round(cause.attributed_excess) < Math.round(cause.excess_rejects))
    return `${base} · ${t("spc.cause_own", { n: Math.max(0, Math.round(cause.attributed_excess)) })}`;
  return base;
}

function causesCard(c: CausesAnswer): HTMLElement {
  const card = h("section", { class: "card wide", id: "spc-causes-card" }, h("h3", { text: t("spc.causes", { n: c.shots }) }));
  const g = c.groups[0];
  if (!g || !g.causes.length) {
    card.append(h("p", { class: "muted", text: g?.note || t("spc.causes_none") }));
    return card;
  }
  if (g.note) card.append(h("p", { class: "muted", text: g.note }));
  const body = h("tbody");
  for (const cause of g.causes.slice(0, 5))
    body.append(
      h("tr", { class: cause.supported && !cause.explained_by ? "cause-row" : "cause-row muted", data: { variable: cause.variable } },
        h("td", { text: causeText(cause) }),
        h("td", { text: `${fmtNumber(cause.relative_risk, 1)}× (${fmtNumber(cause.ci95[0], 1)}–${fmtNumber(cause.ci95[1], 1)})` }),
        h("td", { text: rejectsText(cause, g.rejects) })),
    );
  card.append(h("table", { class: "table" },
    h("thead", {}, h("tr", {}, h("th", { text: t("spc.cause_condition") }), h("th", { text: t("spc.cause_rr") }), h("th", { text: t("spc.cause_rejects") }))),
    body));
  return card;
}

// Each of the newest shots' risk of scrap from its process values (GET /api/v1/risk), the line's
// rejects marked on it, and the riskiest shots with the values that raised their risk.
function drawRisk(make: (el: HTMLElement) => echarts.ECharts, card: HTMLElement, r: RiskAnswer): void {
  card.append(h("h3", { text: t("spc.risk", { n: r.points.length || 200 }) }));
  if (r.no_model_because) {
    card.append(h("p", { class: "notice", text: t("spc.risk_none", { why: r.no_model_because }) }));
    return;
  }
  const drivers = (r.drivers ?? []).slice(0, 2).map((d) => d.variable).join(", ");
  card.append(h("p", { class: "muted", text: t("spc.risk_fit", { fit: r.fit_shots ?? 0, rejects: r.fit_rejects ?? 0, auroc: r.auroc == null ? "–" : fmtNumber(r.auroc, 2), drivers }) }));
  const el = h("div", { class: "chart", id: "spc-risk" });
  card.append(el);
  make(el).setOption({
    ...base,
    xAxis: { type: "category", data: r.points.map((p) => fmtShortDateTime(p.time_ms)) },
    yAxis: { type: "value", min: 0, max: 1, name: t("spc.risk_value") },
    series: [
      { name: t("spc.risk_value"), type: "line", data: r.points.map((p) => p.risk), showSymbol: false, itemStyle: { color: C.line } },
      { name: t("spc.risk_rejected"), type: "scatter", symbolSize: 8, itemStyle: { color: C.alarm }, data: r.points.map((p) => (p.rejected ? p.risk : null)) },
    ],
  });
  const body = h("tbody");
  for (const p of [...r.points].sort((a, b) => b.risk - a.risk).slice(0, 5))
    body.append(h("tr", { class: "risk-row" },
      h("td", {}, h("a", { href: `#/part/${encodeURIComponent(p.part_id)}`, text: p.part_id })),
      h("td", { text: fmtPercent(p.risk) }),
      h("td", { text: p.why.map((w) => `${w.variable}${w.value == null ? "" : ` = ${fmtNumber(w.value, Number.isInteger(w.value) ? 0 : 1)}`}`).join(", ") })));
  const head = h("thead", {}, h("tr", {}, h("th", { text: t("spc.risk_part") }), h("th", { text: t("spc.risk_value") }), h("th", { text: t("spc.risk_why") })));
  card.append(h("h4", { text: t("spc.risk_top") }), h("table", { class: "table" }, head, body));
}

export const spcView: View = ({ root, params, navigate }) => {
  let gone = false;
  const charts: echarts.ECharts[] = [];
  const make = (el: HTMLElement) => {
    const c = echarts.init(el, undefined, { renderer: "canvas" });
    charts.push(c);
    return c;
  };
  const err = h("div");
  const body = h("div", { class: "charts" });
  root.append(h("div", { class: "view-head" }, h("h1", { text: t("spc.title") })), err, body);

  async function load(): Promise<void> {
    const machines = (await api.machines()).machines.map((m) => m.machine).sort(naturalCompare);
    if (gone) return;
    if (!machines.length) {
      body.append(h("p", { class: "muted", text: t("spc.pick_machine") }));
      return;
    }
    const machine = select("spc-machine", machines.map((m) => [m, m]), params.get("machine") ?? "");
    const variable = select("spc-variable", PROCESS_UNITS.map(([v, u]) => [v, `${t(`proc.${v}` as Key)} (${u})`]), params.get("variable") ?? "");
    const rules = select("spc-rules", [["we", t("spc.rules.we")], ["nelson", t("spc.rules.nelson")]], params.get("rules") ?? "we");
    const go = () => navigate(`#/spc?machine=${encodeURIComponent(machine.value)}&variable=${variable.value}&rules=${rules.value}`);
    for (const s of [machine, variable, rules]) s.addEventListener("change", go);
    root.querySelector(".view-head")?.append(field("spc.machine", machine), field("spc.variable", variable), field("spc.rules", rules));

    const q = { machine: machine.value, rules: rules.value };
    const [pc, rc, causes, risk] = await Promise.all([
      api.processChart({ ...q, variable: variable.value, points: 500, baseline: 100 }),
      api.rejectChart({ ...q, bucket_ms: 3600_000, baseline: 24, from_ms: Date.now() - 7 * 24 * 3600e3 }),
      api.causes({ machine: machine.value, shots: 5000 }),
      api.risk({ machine: machine.value, shots: 5000, judge: 200 }),
    ]);
    if (gone) return;
    const pcCard = h("section", { class: "card chart-card wide", id: "spc-process-card" }, h("h3", { text: `${t("spc.individuals")}: ${t(`proc.${pc.variable}` as Key)}` }));
    const rcCard = h("section", { class: "card chart-card wide", id: "spc-reject-card" }, h("h3", { text: t("spc.reject_chart") }));
    clear(body);
    const riskCard = h("section", { class: "card chart-card wide", id: "spc-risk-card" });
    body.append(pcCard, rcCard, causesCard(causes), riskCard);
    drawProcess(make, pcCard, pc);
    drawRejects(make, rcCard, rc);
    drawRisk(make, riskCard, risk);
    root.dataset.loaded = "1";
  }

  load().catch((e) => {
    if (!gone) err.append(errorBox(e));
  });
  const onResize = () => charts.forEach((c) => c.resize());
  window.addEventListener("resize", onResize);
  return () => {
    gone = true;
    window.removeEventListener("resize", onResize);
    charts.forEach((c) => c.dispose());
  };
};
