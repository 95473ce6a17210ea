// views/charts.ts: yield per machine and per shift, defect Pareto and reject rate over time,
// drawn with ECharts (only the bar and line charts and the components used are bundled; this
// module is loaded on demand). Tooltips are built as DOM nodes, never as HTML strings.

import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import { api, type MachineOee } from "../api";
import { clear, h } from "../dom";
import { defectName, fmtNumber, fmtPercent, fmtShortDateTime, reasonName, t, type Key } from "../i18n";
import { bucketFor, naturalCompare, pareto, periodEnd, shiftStart } from "../logic";
import { errorBox, type View } from "../ui";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

const C = { pass: "#2e9e4f", reject: "#d64541", hold: "#e0a526", blue: "#3a7bd5", grey: "#7a8594" };
const RANGES: [string, Key, number][] = [
  ["shift", "charts.range.shift", 0],
  ["24h", "charts.range.24h", 24 * 3600e3],
  ["7d", "charts.range.7d", 7 * 24 * 3600e3],
  ["30d", "charts.range.30d", 30 * 24 * 3600e3],
];

interface TipParam {
  seriesName?: string;
  name?: string;
  value?: unknown;
  color?: unknown;
}

// Axis tooltip as DOM: category name, then one "● series: value" line per series.
function tooltip(fmt: (seriesIndex: number, v: number) => string) {
  return (params: unknown): HTMLElement => {
    const list = (Array.isArray(params) ? params : [params]) as (TipParam & { seriesIndex?: number })[];
    const box = h("div", { class: "tip" }, h("b", { text: String(list[0]?.name ?? "") }));
    for (const p of list) {
      const dot = h("span", { class: "tip-dot" });
      dot.style.background = typeof p.color === "string" ? p.color : C.grey;
      // A ratio the server could not compute (nothing made) is null: shown as unknown, never 0.
      const unknown = p.value === null || p.value === undefined || p.value === "-";
      const text = unknown ? "—" : fmt(p.seriesIndex ?? 0, Number(p.value));
      box.append(h("div", {}, dot, `${p.seriesName ?? ""}: ${text}`));
    }
    return box;
  };
}

const base = {
  animation: false,
  textStyle: { fontFamily: "inherit", fontSize: 13 },
  grid: { left: 64, right: 64, top: 44, bottom: 44 },
  legend: { top: 4, textStyle: { fontSize: 13 } },
};
const BAR = { barMaxWidth: 48 };

// Downtime summed over the machines by reason (planned and unplanned apart), most first.
function downtimePareto(machines: MachineOee[]): { reason: string; planned: boolean; ms: number }[] {
  const sum = new Map<string, { reason: string; planned: boolean; ms: number }>();
  for (const m of machines)
    for (const d of m.downtime) {
      const key = `${d.reason}|${d.planned}`;
      const row = sum.get(key) ?? { reason: d.reason, planned: d.planned, ms: 0 };
      row.ms += d.ms;
      sum.set(key, row);
    }
  return [...sum.values()].sort((a, b) => b.ms - a.ms);
}

function reasonLabel(reason: string, planned: boolean): string {
  return `${reasonName(reason)} (${t(planned ? "charts.planned" : "charts.unplanned")})`;
}

export const chartsView: View = ({ root, params, navigate }) => {
  let gone = false;
  const range = RANGES.some((r) => r[0] === params.get("range")) ? (params.get("range") as string) : "24h";
  const sel = h("select", { id: "chart-range" });
  for (const [v, key] of RANGES) sel.append(h("option", { value: v, text: t(key) }));
  sel.value = range;
  sel.addEventListener("change", () => navigate(`#/charts?range=${sel.value}`));
  const err = h("div");
  const panel = (id: string, key: Key) => {
    const el = h("div", { class: "chart", id });
    return { el, card: h("section", { class: "card chart-card" }, h("h3", { text: t(key) }), el) };
  };
  const pm = panel("chart-yield-machine", "charts.yield_machine");
  const ps = panel("chart-yield-shift", "charts.yield_shift");
  const pp = panel("chart-pareto", "charts.pareto");
  const pr = panel("chart-reject-rate", "charts.reject_rate");
  const po = panel("chart-oee", "charts.oee");
  const pd = panel("chart-downtime", "charts.downtime");
  root.append(
    h("div", { class: "view-head" }, h("h1", { text: t("charts.title") }), h("label", { class: "field inline" }, h("span", { text: t("charts.range") }), sel)),
    err,
    h("div", { class: "charts" }, pm.card, ps.card, pp.card, pr.card, po.card, pd.card),
  );

  const charts: echarts.ECharts[] = [];
  const make = (el: HTMLElement) => {
    const c = echarts.init(el, undefined, { renderer: "canvas" });
    charts.push(c);
    return c;
  };
  const noData = (el: HTMLElement) => {
    clear(el);
    el.append(h("p", { class: "muted empty", text: t("charts.no_data") }));
  };
  const pct = (v: number) => fmtPercent(v, 1);

  async function load(): Promise<void> {
    // The server's now: the parts' clock, which in the demo runs ahead of this browser's.
    let now = Date.now();
    let since: number | undefined;
    let lastParts: number[] = [];
    try {
      const m = await api.machines();
      now = m.now_ms ?? now;
      since = m.since_ms;
      lastParts = m.machines.map((x) => x.last_part_ms);
    } catch {
      // keep the browser's clock
    }
    let from = now - (RANGES.find((r) => r[0] === range)?.[2] ?? 0);
    if (range === "shift") from = since ?? shiftStart(now);
    // One period for every panel: OEE's "produced" counts the same parts as the yields (and as
    // the line view), up to and including the newest one.
    const f = { from_ms: Math.floor(from), to_ms: Math.max(Math.floor(from) + 1, periodEnd(now, lastParts)) };
    const bucket = bucketFor(now - from);
    const [ym, ys, pa, rr, oe] = await Promise.all([
      api.yieldBy("machine", f),
      api.yieldBy("shift", f),
      api.pareto(f),
      api.rejectRate(bucket, f),
      api.oee(f),
    ]);
    if (gone) return;

    const rowsM = [...ym.rows].sort((a, b) => naturalCompare(a.key, b.key));
    if (!rowsM.length) noData(pm.el);
    else
      make(pm.el).setOption({
        ...base,
        tooltip: { trigger: "axis", formatter: tooltip((_, v) => pct(v)) },
        xAxis: { type: "category", data: rowsM.map((r) => r.key) },
        yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: (v: number) => pct(v) } },
        series: [
          { name: t("charts.fpy"), type: "bar", ...BAR, data: rowsM.map((r) => r.first_pass_yield), itemStyle: { color: C.blue } },
          { name: t("charts.yield"), type: "bar", ...BAR, data: rowsM.map((r) => r.yield), itemStyle: { color: C.pass } },
        ],
      });

    const rowsS = [...ys.rows].sort((a, b) => Number(a.key) - Number(b.key));
    if (!rowsS.length) noData(ps.el);
    else
      make(ps.el).setOption({
        ...base,
        tooltip: { trigger: "axis", formatter: tooltip((i, v) => (i === 2 ? fmtNumber(v) : pct(v))) },
        xAxis: { type: "category", data: rowsS.map((r) => fmtShortDateTime(Number(r.key))) },
        yAxis: [
          { type: "value", min: 0, max: 1, axisLabel: { formatter: (v: number) => pct(v) } },
          { type: "value", name: t("charts.parts"), splitLine: { show: false } },
        ],
        series: [
          { name: t("charts.fpy"), type: "bar", ...BAR, data: rowsS.map((r) => r.first_pass_yield), itemStyle: { color: C.blue } },
          { name: t("charts.yield"), type: "bar", ...BAR, data: rowsS.map((r) => r.yield), itemStyle: { color: C.pass } },
          { name: t("charts.parts"), type: "line", yAxisIndex: 1, data: rowsS.map((r) => r.parts), itemStyle: { color: C.grey } },
        ],
      });

    const par = pareto(pa.rows);
    if (!par.length) noData(pp.el);
    else
      make(pp.el).setOption({
        ...base,
        tooltip: { trigger: "axis", formatter: tooltip((i, v) => (i === 1 ? pct(v) : fmtNumber(v))) },
        xAxis: { type: "category", data: par.map((r) => defectName(r.key)), axisLabel: { interval: 0, rotate: par.length > 6 ? 30 : 0 } },
        yAxis: [
          { type: "value", name: t("charts.parts") },
          { type: "value", min: 0, max: 1, splitLine: { show: false }, axisLabel: { formatter: (v: number) => pct(v) } },
        ],
        series: [
          { name: t("charts.parts"), type: "bar", ...BAR, data: par.map((r) => r.parts), itemStyle: { color: C.reject } },
          { name: t("charts.cumulative"), type: "line", yAxisIndex: 1, data: par.map((r) => r.cum), itemStyle: { color: C.grey } },
        ],
      });

    const buckets = rr.buckets;
    if (!buckets.length) noData(pr.el);
    else
      make(pr.el).setOption({
        ...base,
        tooltip: { trigger: "axis", formatter: tooltip((_, v) => pct(v)) },
        xAxis: { type: "category", data: buckets.map((b) => fmtShortDateTime(b.start_ms)) },
        yAxis: { type: "value", min: 0, axisLabel: { formatter: (v: number) => pct(v) } },
        series: [
          { name: t("charts.reject_pct"), type: "line", data: buckets.map((b) => (b.parts ? b.rejects / b.parts : 0)), itemStyle: { color: C.reject }, showSymbol: buckets.length < 50 },
          { name: t("charts.hold_pct"), type: "line", data: buckets.map((b) => (b.parts ? b.holds / b.parts : 0)), itemStyle: { color: C.hold }, showSymbol: buckets.length < 50 },
        ],
      });
    const om = [...oe.machines].sort((a, b) => naturalCompare(a.machine, b.machine));
    if (!om.some((m) => m.produced > 0)) noData(po.el);
    else
      make(po.el).setOption({
        ...base,
        tooltip: { trigger: "axis", formatter: tooltip((_, v) => pct(v)) },
        xAxis: { type: "category", data: om.map((m) => m.machine) },
        yAxis: { type: "value", min: 0, max: (v: { max: number }) => Math.max(1, v.max), axisLabel: { formatter: (v: number) => pct(v) } },
        series: [
          { name: t("charts.availability"), type: "bar", ...BAR, data: om.map((m) => m.availability), itemStyle: { color: C.grey } },
          { name: t("charts.effectiveness"), type: "bar", ...BAR, data: om.map((m) => m.effectiveness), itemStyle: { color: C.hold } },
          { name: t("charts.quality"), type: "bar", ...BAR, data: om.map((m) => m.quality), itemStyle: { color: C.pass } },
          { name: "OEE", type: "bar", ...BAR, data: om.map((m) => m.oee), itemStyle: { color: C.blue } },
        ],
      });

    const lost = downtimePareto(om);
    if (!lost.length) noData(pd.el);
    else
      make(pd.el).setOption({
        ...base,
        tooltip: { trigger: "axis", formatter: tooltip((_, v) => `${fmtNumber(v, 1)} h`) },
        xAxis: { type: "category", data: lost.map((r) => reasonLabel(r.reason, r.planned)), axisLabel: { interval: 0, rotate: lost.length > 5 ? 30 : 0 } },
        yAxis: { type: "value", name: "h" },
        series: [{ name: t("charts.downtime_h"), type: "bar", ...BAR, data: lost.map((r) => ({ value: r.ms / 3600e3, itemStyle: { color: r.planned ? C.grey : C.reject } })) }],
      });
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
