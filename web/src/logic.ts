// logic.ts: the dashboard's rules that need no browser (tested by `npm test` in node).

import type { Decision, MachineEvent, MachineStatus, PartSummary, Verdict } from "./api";

// The part explorer's filters, as kept in the route (#/parts?decision=reject&…) and sent to the API.
export const FILTER_KEYS = [
  "machine",
  "die",
  "decision",
  "defect_type",
  "from_ms",
  "to_ms",
  "min_score",
  "max_score",
  "unreviewed",
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Partial<Record<FilterKey, string>>;

// Keeps only known, well-formed filters (a hand-edited URL must not send junk to the server).
export function parseFilters(q: URLSearchParams): Filters {
  const f: Filters = {};
  for (const k of FILTER_KEYS) {
    const v = q.get(k)?.trim();
    if (!v) continue;
    if ((k === "from_ms" || k === "to_ms") && !/^\d{1,15}$/.test(v)) continue;
    if ((k === "min_score" || k === "max_score") && !Number.isFinite(Number(v))) continue;
    if (k === "decision" && v !== "pass" && v !== "reject" && v !== "hold") continue;
    if (k === "unreviewed" && v !== "1") continue;
    f[k] = v;
  }
  return f;
}

export function filtersToSearch(f: Filters): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of FILTER_KEYS) if (f[k]) q.set(k, f[k] as string);
  return q;
}

// What a reviewer's verdict means for the line's decision.
export function reviewEffect(line: Decision, verdict: Verdict): "confirms" | "overrules" | "judges" {
  if (line === "hold") return "judges";
  return line === verdict ? "confirms" : "overrules";
}

// The verdict of a quick "confirm" or "overrule" button; null for a held part, which has no
// line verdict to confirm (the queue shows "good"/"bad" for those instead).
export function quickVerdict(line: Decision, action: "confirm" | "overrule"): Verdict | null {
  if (line === "hold") return null;
  if (action === "confirm") return line;
  return line === "pass" ? "reject" : "pass";
}

// "M10" after "M9": machines in natural order.
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true, sensitivity: "base" });
}

// Counts a live part into its machine's shift totals (if the part is in this shift).
export function applyPart(m: MachineStatus, p: PartSummary, shiftStartMs: number): MachineStatus {
  const out = { ...m, station: p.station || m.station, die: p.die || m.die };
  out.last_part_ms = Math.max(m.last_part_ms, p.time_ms);
  if (p.time_ms >= shiftStartMs) {
    out.parts = m.parts + 1;
    if (p.decision === "pass") out.passes = m.passes + 1;
    else if (p.decision === "reject") out.rejects = m.rejects + 1;
    else out.holds = m.holds + 1;
    out.yield = out.parts > 0 ? out.passes / out.parts : 0;
  }
  return out;
}

// A machine entering a new state (events arriving out of order do not roll the state back).
export function applyEvent(m: MachineStatus, e: MachineEvent): MachineStatus {
  if (e.time_ms < m.state_since_ms) return m;
  return {
    ...m,
    state: e.state,
    state_since_ms: e.time_ms,
    reason: e.reason,
    planned: e.planned,
    die: e.die || m.die,
  };
}

export function emptyMachine(machine: string): MachineStatus {
  return {
    machine,
    station: "",
    die: "",
    state: "running",
    state_since_ms: 0,
    reason: "",
    planned: true,
    last_part_ms: 0,
    parts: 0,
    passes: 0,
    rejects: 0,
    holds: 0,
    yield: 0,
  };
}

// A reject-rate bucket that gives 24-200 points over the range: 5 min, 15 min, 1 h, 4 h or 1 day.
export function bucketFor(rangeMs: number): number {
  const choices = [5 * 60e3, 15 * 60e3, 3600e3, 4 * 3600e3, 24 * 3600e3];
  for (const c of choices) if (rangeMs / c <= 200) return c;
  return choices[choices.length - 1];
}

// The end of the charts' period, for every request alike (yields, Pareto, reject rate, OEE): the
// API's periods are [from, to), so it is just after the later of the server's now and the newest
// stored part (a station's clock may run a little ahead of the server's), taking parts at most
// `leadMs` ahead of now. Every part the line view counts is then in every chart, and OEE's time
// base does not run on into time that has not passed yet.
export function periodEnd(nowMs: number, lastPartMs: number[] = [], leadMs = 60_000): number {
  let end = nowMs;
  for (const t of lastPartMs) if (Number.isFinite(t) && t > end && t <= nowMs + leadMs) end = t;
  return Math.floor(end) + 1;
}

// The start of the 8 h shift holding `ms`, shifts starting at 06:00 UTC (the server's default
// calendar, store.h ShiftCalendar). Used only until /machines tells the real since_ms.
export function shiftStart(ms: number, originMs = 6 * 3600e3, lengthMs = 8 * 3600e3): number {
  return Math.floor((ms - originMs) / lengthMs) * lengthMs + originMs;
}

// Pareto: counts, most first, with the cumulative share of the total after each.
export function pareto(rows: { defect_type: string; parts: number }[]): { key: string; parts: number; cum: number }[] {
  const sorted = [...rows].sort((a, b) => b.parts - a.parts);
  const total = sorted.reduce((s, r) => s + r.parts, 0);
  let run = 0;
  return sorted.map((r) => {
    run += r.parts;
    return { key: r.defect_type, parts: r.parts, cum: total > 0 ? run / total : 0 };
  });
}

// "2026-12-02T06:00" (datetime-local, browser time) <-> ms.
export function localInputToMs(v: string): number | null {
  if (!v) return null;
  const ms = new Date(v).getTime();
  return Number.isFinite(ms) ? ms : null;
}

export function msToLocalInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
