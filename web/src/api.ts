// api.ts: the factory server's HTTP API (docs/api.md) as typed calls. One session per tab: the
// cookie is the browser's, the CSRF token is kept here and sent on every write.

export type Decision = "pass" | "reject" | "hold";
export type Verdict = "pass" | "reject";
export type MachineState = "running" | "stopped" | "die_change";
export type Role = "operator" | "quality_engineer" | "admin";

export interface Review {
  id: number;
  user: string;
  time_ms: number;
  verdict: Verdict;
  defect_type: string;
  note: string;
}

export interface PartSummary {
  seq: number;
  part_id: string;
  station: string;
  machine: string;
  die: string;
  shot: number;
  die_shot: number;
  time_ms: number;
  decision: Decision;
  reason: string;
  score: number;
  threshold: number;
  defect_type: string;
  image: string;
  model_id: string;
  latency_ms: number;
  review: Review | null;
}

export interface Finding {
  type: string;
  box: [number, number, number, number];
  area_px: number;
  peak: number;
  severity: number;
}

export interface View {
  view: string;
  decision: Decision;
  reason?: string;
  score: number;
  threshold: number;
  findings: Finding[];
  model_id: string;
  inspect_ms: number;
  image: string;
  heatmap?: string; // optional: a heatmap image name, when the station keeps one
}

export type ProcessValues = Record<string, number | null>;

export interface PartRecord {
  part_id: string;
  station: string;
  shot: {
    machine: string;
    die: string;
    shot: number;
    die_shot: number;
    time_ms: number;
    process: ProcessValues | null;
  };
  decision: Decision;
  reason?: string;
  views: View[];
  trigger_time_ms: number;
  latency_ms: number;
  // The shot's defect risk judged at the station before inspection (0..1), and its model.
  risk?: number;
  risk_model?: string;
}

export type AlertSeverity = "warning" | "alarm";

export interface Alert {
  id: number;
  key: string;
  kind: string; // reject_rate, process, die_life, clock, die_crack, die_mark, die_flash
  severity: AlertSeverity;
  machine: string;
  die: string;
  title: string;
  detail: unknown;
  first_ms: number;
  last_ms: number;
  // Looks of the server's watch that found it while open (one a minute or so while it stands).
  count: number;
  // Of those, the ones with newer evidence (a later trip, a later hour): what "times" shows.
  occurrences: number;
  // The newest evidence it was raised with, on the parts' clock; what an ack covers.
  evidence_ms: number;
  acked: boolean;
  acked_by: string | null;
  acked_ms: number | null;
  ack_note: string | null;
}

// The live stream's "alert" event and the MQTT / webhook message.
export interface AlertMessage {
  event: "raised" | "repeated" | "acked";
  alert: Alert;
}

export interface PartDetail {
  part: PartSummary;
  record: PartRecord;
  reviews: Review[];
}

export interface MachineStatus {
  machine: string;
  station: string;
  die: string;
  state: MachineState;
  state_since_ms: number;
  reason: string;
  planned: boolean;
  last_part_ms: number;
  parts: number;
  passes: number;
  rejects: number;
  holds: number;
  yield: number;
}

export interface MachineEvent {
  machine: string;
  time_ms: number;
  state: MachineState;
  planned: boolean;
  reason: string;
  die: string;
  detail: string;
}

export interface Me {
  user: string;
  role: Role;
  csrf: string;
}

export interface PartsPage {
  parts: PartSummary[];
  total: number;
  /** true when there are more than `total` (10000) matching parts: counting stops there */
  total_capped?: boolean;
  next: { before_time_ms: number; before_part_id: string } | null;
}

export interface YieldRow {
  key: string;
  parts: number;
  passes: number;
  rejects: number;
  holds: number;
  good: number;
  first_pass_yield: number;
  yield: number;
}

export interface AuditEntry {
  id: number;
  time_ms: number;
  user: string;
  action: string;
  target: string;
  detail: string;
}

export interface RuleAlarm {
  rule: string; // "WE1".."WE4", "N1".."N8"
  text: string;
  index: number;
  points: number[];
  part_id?: string;
  time_ms?: number;
  start_ms?: number;
}

export interface Cause {
  variable: string;
  condition: string;
  relative_risk: number;
  ci95: [number, number];
  shots_inside: number;
  rejects_inside: number;
  excess_rejects: number;
  // The excess on the shots no cause with stronger evidence also holds (what the order follows).
  attributed_excess: number;
  // The stronger cause on whose shots most of this one's rejects fall, or null.
  shares_with: string | null;
  // Judged against every group's shots outside the condition, which nearly all of this group's
  // shots meet (a die worn all along, against the other dies).
  across_groups: boolean;
  supported: boolean;
  // Another condition that accounts for this one's rejects (Mantel–Haenszel), or null.
  explained_by: string | null;
  sentence: string;
}

export interface CauseGroup {
  group: string;
  target: string;
  shots: number;
  rejects: number;
  note: string;
  causes: Cause[];
}

export interface CausesAnswer {
  shots: number;
  first_ms: number | null;
  last_ms: number | null;
  groups: CauseGroup[];
}

export interface RiskAnswer {
  shots: number;
  points: {
    part_id: string;
    time_ms: number;
    risk: number;
    rejected: boolean | null;
    why: { variable: string; value: number | null; shap: number }[];
  }[];
  no_model_because?: string;
  fit_shots?: number;
  fit_rejects?: number;
  judged_shots?: number;
  judged_rejects?: number;
  auroc?: number | null;
  average_precision?: number | null;
  drivers?: { variable: string; mean_abs_shap: number }[];
  model?: string;
}

export interface ProcessChart {
  variable: string;
  unit: string;
  rules: "we" | "nelson";
  points: { time_ms: number; part_id: string; die: string; value: number | null; mr: number | null }[];
  limits: {
    centre: number;
    sigma: number;
    ucl: number;
    lcl: number;
    mr_bar: number;
    mr_ucl: number;
    baseline: number;
    measured: number;
    not_measured: number;
  } | null;
  alarms: RuleAlarm[];
  no_limits_because?: string;
}

export interface RejectChart {
  bucket_ms: number;
  chart: "p" | "laney";
  rules: "we" | "nelson";
  p_bar?: number;
  sigma_z?: number;
  baseline?: number;
  points: { start_ms: number; parts: number; rejects: number; p: number; ucl: number; lcl: number; z: number; beyond_limits: boolean }[];
  alarms: RuleAlarm[];
  no_limits_because?: string;
}

// A ratio with nothing to divide (no parts made, no time to run) is null.
export interface MachineOee {
  machine: string;
  availability: number | null;
  effectiveness: number | null;
  quality: number | null;
  oee: number | null;
  produced: number;
  good: number;
  planned_busy_ms: number;
  actual_production_ms: number;
  planned_downtime_ms: number;
  unplanned_downtime_ms: number;
  failures: number;
  mtbf_s: number | null; // null without a failure begun in the period
  mttr_s: number | null;
  carried_in_repair_ms: number; // repair of a failure begun before the period
  downtime: { reason: string; planned: boolean; ms: number; stops: number }[];
}

// A failed call. status 0 = the server could not be reached (network loss).
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Params = Record<string, string | number | boolean | undefined | null>;

// Builds "?a=1&b=x" from the set values (empty strings, null and undefined are left out).
export function query(params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "" || v === false) continue;
    q.set(k, v === true ? "1" : String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

// The URL of a kept image. Names are content addresses; anything else is refused here too.
export function imageUrl(name: string): string {
  return `/api/v1/images/${encodeURIComponent(name)}`;
}

let csrf = "";
let onUnauthorized: () => void = () => {};

// Called once by the app: what to do when the session is gone (go to the login view).
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "network");
  }
  if (res.status === 204) return undefined as T;
  let data: unknown = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data ?? {}) as { error?: string; message?: string };
    const err = new ApiError(res.status, e.error ?? String(res.status), e.message ?? res.statusText);
    if (res.status === 401 && path !== "/login") onUnauthorized();
    throw err;
  }
  return data as T;
}

export const api = {
  async login(user: string, password: string): Promise<Me> {
    const me = await call<Me>("POST", "/login", { user, password });
    csrf = me.csrf;
    return me;
  },
  async logout(): Promise<void> {
    try {
      await call<void>("POST", "/logout");
    } finally {
      csrf = "";
    }
  },
  async me(): Promise<Me> {
    const me = await call<Me>("GET", "/me");
    csrf = me.csrf;
    return me;
  },
  machines: (sinceMs?: number) =>
    call<{ since_ms: number; now_ms: number; machines: MachineStatus[] }>(
      "GET",
      `/machines${query({ since_ms: sinceMs })}`,
    ),
  parts: (params: Params) => call<PartsPage>("GET", `/parts${query(params)}`),
  part: (id: string) => call<PartDetail>("GET", `/parts/${encodeURIComponent(id)}`),
  reviewQueue: (params: Params) => call<{ parts: PartSummary[] }>("GET", `/review_queue${query(params)}`),
  addReview: (id: string, review: { verdict: Verdict; defect_type: string; note: string }) =>
    call<{ review: Review }>("POST", `/parts/${encodeURIComponent(id)}/reviews`, review),
  yieldBy: (groupBy: "machine" | "die" | "station" | "shift", params: Params) =>
    call<{ rows: YieldRow[] }>("GET", `/stats/yield${query({ group_by: groupBy, ...params })}`),
  pareto: (params: Params) =>
    call<{ rows: { defect_type: string; parts: number }[] }>("GET", `/stats/pareto${query(params)}`),
  rejectRate: (bucketMs: number, params: Params) =>
    call<{ bucket_ms: number; buckets: { start_ms: number; parts: number; rejects: number; holds: number }[] }>(
      "GET",
      `/stats/reject_rate${query({ bucket_ms: bucketMs, ...params })}`,
    ),
  oee: (params: Params) =>
    call<{ from_ms: number; to_ms: number; planned_cycle_s: number; machines: MachineOee[] }>("GET", `/oee${query(params)}`),
  causes: (params: Params) => call<CausesAnswer>("GET", `/causes${query(params)}`),
  risk: (params: Params) => call<RiskAnswer>("GET", `/risk${query(params)}`),
  processChart: (params: Params) => call<ProcessChart>("GET", `/spc/process${query(params)}`),
  rejectChart: (params: Params) => call<RejectChart>("GET", `/spc/reject_rate${query(params)}`),
  alerts: (params: Params) =>
    call<{ alerts: Alert[]; open: number; total?: number; next_before: number | null }>("GET", `/alerts${query(params)}`),
  ackAlert: (id: number, note: string) => call<{ alert: Alert }>("POST", `/alerts/${id}/ack`, { note }),
  audit: (params: Params) => call<{ entries: AuditEntry[] }>("GET", `/audit${query(params)}`),
};
