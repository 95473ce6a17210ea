// A stand-in for `linesight server`, for working on the dashboard without the C++ build:
// serves web/dist and an in-memory imitation of docs/api.md (login, parts, reviews, stats,
// audit, SSE), making up a part every 300 ms. It is a development aid, NOT a test of the real
// server: the e2e test is meant to run against `linesight server` with a demo feeding it.
//
//   npm run build && node dev/fake-server.mjs [port]     (users: qe / qe-password, op / op-password)

import { createServer } from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { deflateSync } from "node:zlib";
import { readFileSync, existsSync } from "node:fs";
import { join, normalize, extname, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const DIST = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const PORT = Number(process.argv[2] ?? process.env.PORT ?? 8090);
const USERS = { qe: ["qe-password", "quality_engineer"], op: ["op-password", "operator"], "<b>x</b>": ["markup-user", "admin"] };
const SHIFT0 = 6 * 3600e3, SHIFT = 8 * 3600e3;
const shiftStart = (ms) => Math.floor((ms - SHIFT0) / SHIFT) * SHIFT + SHIFT0;

// --- a tiny PNG writer (grey, 8 bit) for made-up images
const CRC = new Int32Array(256).map((_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c; });
const crc32 = (buf) => { let c = -1; for (const b of buf) c = CRC[(c ^ b) & 255] ^ (c >>> 8); return (c ^ -1) >>> 0; };
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(w, hgt, pixel) {
  const raw = Buffer.alloc((w + 1) * hgt);
  for (let y = 0; y < hgt; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = pixel(x, y);
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(hgt, 4); ihdr[8] = 8; ihdr[9] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}
const images = new Map();
function makeImage(seed, spot) {
  const bytes = png(160, 160, (x, y) => {
    const r = Math.hypot(x - 80, y - 80);
    if (r > 70) return 30;
    if (spot && Math.hypot(x - spot[0], y - spot[1]) < spot[2]) return 40;
    return 150 + ((x * 7 + y * 13 + seed) % 40);
  });
  const name = `${createHash("sha256").update(bytes).digest("hex")}.png`;
  images.set(name, bytes);
  return name;
}

// --- the made-up store
const parts = []; // summaries, oldest first
const records = new Map();
const reviews = new Map(); // part_id -> [review]
const audit = [];
const events = [];
const machines = new Map();
const sessions = new Map(); // token -> {user, role, csrf}
const clients = new Set();
let seq = 0, reviewId = 0, auditId = 0;
const DEFECTS = ["anomaly", "blow_hole", "crack", "cold_shut", "flash"];

for (let i = 1; i <= 9; i++)
  machines.set(`M${i}`, { machine: `M${i}`, station: `S${i}`, die: `M${i}-D01`, state: "running", state_since_ms: shiftStart(Date.now()), reason: "shift_start", planned: true, last_part_ms: 0 });

function summary(id) {
  const s = parts.find((p) => p.part_id === id);
  const rv = reviews.get(id) ?? [];
  const last = rv[rv.length - 1] ?? null;
  return { ...s, review: last, defect_type: last && last.verdict === "reject" && last.defect_type ? last.defect_type : s.defect_type };
}
function broadcast(event, id, data) {
  for (const c of clients) c.write(`event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`);
}
let shotNo = 1000;
function makePart(time = Date.now(), live = true) {
  const m = `M${1 + Math.floor(Math.random() * 9)}`;
  const mach = machines.get(m);
  const roll = Math.random();
  const decision = roll < 0.12 ? "reject" : roll < 0.15 ? "hold" : "pass";
  const shot = ++shotNo;
  const part_id = `${m}-${String(shot).padStart(9, "0")}`;
  const spot = decision === "reject" ? [50 + Math.random() * 60, 50 + Math.random() * 60, 6] : null;
  const image = makeImage(shot % 17, spot);
  const score = decision === "reject" ? 1.3 + Math.random() : decision === "hold" ? 0 : Math.random() * 1.2;
  const type = decision === "reject" ? DEFECTS[shot % DEFECTS.length] : "";
  const findings = spot ? [{ type, box: [Math.round(spot[0] - 8), Math.round(spot[1] - 8), 16, 16], area_px: 113, peak: score, severity: 1.5 }] : [];
  const view = { view: "top", decision, score, threshold: 1.25, findings, model_id: "3f1a9c@2026-12-02T06:46:53Z/1c2d3e4f", inspect_ms: 14.2, image };
  if (decision === "hold") view.reason = "out_of_focus";
  if (spot && shot % 2) view.heatmap = makeImage(0, [spot[0], spot[1], 14]); // optional field: some views have one
  const rec = {
    part_id, station: mach.station,
    shot: { machine: m, die: mach.die, shot, die_shot: shot - 900, time_ms: time,
      process: { melt_temp_c: 676.5, die_temp_c: 221.0, fast_shot_mps: 3.1, intensification_bar: 820.0, spray_s: 4.2, vacuum_mbar: shot % 5 ? 85.0 : null, cycle_s: 92.0 } },
    decision, views: [view], trigger_time_ms: time + 10, latency_ms: 17.5,
  };
  if (decision === "hold") rec.reason = "out_of_focus";
  records.set(part_id, rec);
  const s = { seq: ++seq, part_id, station: mach.station, machine: m, die: mach.die, shot, die_shot: shot - 900, time_ms: time, decision,
    reason: decision === "hold" ? "out_of_focus" : "none", score, threshold: 1.25, defect_type: type, image, model_id: view.model_id, latency_ms: 17.5, review: null };
  parts.push(s);
  mach.last_part_ms = Math.max(mach.last_part_ms, time);
  if (live) broadcast("part", s.seq, s);
}
for (let i = 0; i < 400; i++) makePart(Date.now() - (400 - i) * 60e3, false);
setInterval(() => makePart(), 300);
setInterval(() => {
  const m = machines.get(`M${1 + Math.floor(Math.random() * 9)}`);
  const next = m.state === "running" ? (Math.random() < 0.5 ? "stopped" : "die_change") : "running";
  Object.assign(m, { state: next, state_since_ms: Date.now(), reason: next === "running" ? "restart" : next === "stopped" ? "machine_fault" : "die_change", planned: next !== "stopped" });
  const e = { machine: m.machine, time_ms: Date.now(), state: next, planned: m.planned, reason: m.reason, die: m.die, detail: "" };
  events.push(e);
  broadcast("machine", seq, e);
}, 7000);

// --- HTTP
const send = (res, status, body, headers = {}) => {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers });
  res.end(body === undefined ? "" : JSON.stringify(body));
};
const fail = (res, status, error, message) => send(res, status, { error, message });
function cookie(req) {
  const m = /(?:^|;\s*)ls_session=([^;]+)/.exec(req.headers.cookie ?? "");
  return m ? sessions.get(m[1]) : undefined;
}
function filtered(q) {
  const f = (k) => q.get(k);
  return parts.map((p) => summary(p.part_id)).filter((p) =>
    (!f("machine") || p.machine === f("machine")) && (!f("die") || p.die === f("die")) &&
    (!f("decision") || p.decision === f("decision")) && (!f("defect_type") || p.defect_type === f("defect_type")) &&
    (!f("from_ms") || p.time_ms >= Number(f("from_ms"))) && (!f("to_ms") || p.time_ms < Number(f("to_ms"))) &&
    (!f("min_score") || p.score >= Number(f("min_score"))) && (!f("max_score") || p.score <= Number(f("max_score"))) &&
    (!f("unreviewed") || !p.review));
}
const newestFirst = (a, b) => b.time_ms - a.time_ms || (a.part_id < b.part_id ? 1 : -1);
function body(req) {
  return new Promise((resolve) => { let s = ""; req.on("data", (d) => (s += d)); req.on("end", () => { try { resolve(JSON.parse(s || "null")); } catch { resolve(undefined); } }); });
}
function yieldRows(list, keyOf) {
  const g = new Map();
  for (const p of list) {
    const k = keyOf(p); const r = g.get(k) ?? { key: k, parts: 0, passes: 0, rejects: 0, holds: 0, good: 0 };
    r.parts++; r[p.decision === "pass" ? "passes" : p.decision === "reject" ? "rejects" : "holds"]++;
    if (p.review ? p.review.verdict === "pass" : p.decision === "pass") r.good++;
    g.set(k, r);
  }
  return [...g.values()].map((r) => ({ ...r, first_pass_yield: r.passes / r.parts, yield: r.good / r.parts }));
}

async function api(req, res, path, q) {
  if (path === "/login" && req.method === "POST") {
    const b = await body(req);
    const u = b && USERS[b.user];
    if (!u || u[0] !== b.password) return fail(res, 401, "unauthorized", "wrong user or password");
    const token = randomBytes(16).toString("hex"), csrf = randomBytes(16).toString("hex");
    sessions.set(token, { user: b.user, role: u[1], csrf });
    audit.push({ id: ++auditId, time_ms: Date.now(), user: b.user, action: "login", target: b.user, detail: "{}" });
    return send(res, 200, { user: b.user, role: u[1], csrf }, { "Set-Cookie": `ls_session=${token}; HttpOnly; SameSite=Strict; Path=/` });
  }
  const s = cookie(req);
  if (!s) return fail(res, 401, "unauthorized", "log in");
  if (req.method !== "GET" && req.headers["x-csrf-token"] !== s.csrf) return fail(res, 403, "forbidden", "CSRF token missing or wrong");
  if (path === "/logout") { for (const [k, v] of sessions) if (v === s) sessions.delete(k); return send(res, 204); }
  if (path === "/me") return send(res, 200, s);
  if (path === "/machines") {
    const since = Number(q.get("since_ms") ?? shiftStart(Date.now()));
    const list = [...machines.values()].map((m) => {
      const ps = parts.filter((p) => p.machine === m.machine && p.time_ms >= since);
      const c = (d) => ps.filter((p) => p.decision === d).length;
      return { ...m, parts: ps.length, passes: c("pass"), rejects: c("reject"), holds: c("hold"), yield: ps.length ? c("pass") / ps.length : 0 };
    });
    return send(res, 200, { since_ms: since, machines: list });
  }
  if (path === "/parts") {
    let list = filtered(q).sort(newestFirst);
    const total = list.length;
    const bt = q.get("before_time_ms"), bp = q.get("before_part_id") ?? "";
    if (bt) list = list.filter((p) => p.time_ms < Number(bt) || (p.time_ms === Number(bt) && p.part_id < bp));
    const limit = Math.min(1000, Number(q.get("limit") ?? 100));
    const page = list.slice(0, limit);
    const last = page[page.length - 1];
    return send(res, 200, { parts: page, total, next: list.length > limit ? { before_time_ms: last.time_ms, before_part_id: last.part_id } : null });
  }
  let m = /^\/parts\/([^/]+)$/.exec(path);
  if (m) {
    const id = decodeURIComponent(m[1]);
    if (!records.has(id)) return fail(res, 404, "not_found", `no part ${id}`);
    return send(res, 200, { part: summary(id), record: records.get(id), reviews: reviews.get(id) ?? [] });
  }
  m = /^\/parts\/([^/]+)\/reviews$/.exec(path);
  if (m && req.method === "POST") {
    const id = decodeURIComponent(m[1]);
    if (!records.has(id)) return fail(res, 404, "not_found", `no part ${id}`);
    const b = await body(req);
    if (!b || (b.verdict !== "pass" && b.verdict !== "reject")) return fail(res, 400, "bad_request", "verdict: pass or reject");
    const r = { id: ++reviewId, user: s.user, time_ms: Date.now(), verdict: b.verdict, defect_type: b.defect_type ?? "", note: b.note ?? "" };
    reviews.set(id, [...(reviews.get(id) ?? []), r]);
    audit.push({ id: ++auditId, time_ms: r.time_ms, user: s.user, action: "review", target: id, detail: JSON.stringify(r) });
    return send(res, 201, { review: r });
  }
  m = /^\/images\/([0-9a-f]{64}\.(png|jpg))$/.exec(path);
  if (m) {
    const img = images.get(m[1]);
    if (!img) return fail(res, 404, "not_found", "no image");
    res.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "private, max-age=31536000, immutable" });
    return res.end(img);
  }
  if (path === "/review_queue") {
    const list = filtered(new URLSearchParams("unreviewed=1")).filter((p) => p.decision !== "pass" || p.score > 0.8 * p.threshold).sort(newestFirst);
    return send(res, 200, { parts: list.slice(0, Number(q.get("limit") ?? 100)) });
  }
  if (path === "/stats/yield") {
    const by = q.get("group_by");
    const keyOf = by === "shift" ? (p) => String(shiftStart(p.time_ms)) : (p) => p[by] ?? p.machine;
    return send(res, 200, { rows: yieldRows(filtered(q), keyOf) });
  }
  if (path === "/stats/pareto") {
    const g = new Map();
    for (const p of filtered(q)) if (p.defect_type) g.set(p.defect_type, (g.get(p.defect_type) ?? 0) + 1);
    return send(res, 200, { rows: [...g].map(([defect_type, n]) => ({ defect_type, parts: n })).sort((a, b) => b.parts - a.parts) });
  }
  if (path === "/stats/reject_rate") {
    const b = Number(q.get("bucket_ms") ?? 3600e3); const g = new Map();
    for (const p of filtered(q)) {
      const k = Math.floor(p.time_ms / b) * b; const r = g.get(k) ?? { start_ms: k, parts: 0, rejects: 0, holds: 0 };
      r.parts++; if (p.decision === "reject") r.rejects++; if (p.decision === "hold") r.holds++; g.set(k, r);
    }
    return send(res, 200, { bucket_ms: b, buckets: [...g.values()].sort((x, y) => x.start_ms - y.start_ms) });
  }
  if (path === "/audit") {
    if (s.role === "operator") return fail(res, 403, "forbidden", "quality_engineer or admin only");
    return send(res, 200, { entries: [...audit].reverse().slice(0, Number(q.get("limit") ?? 100)) });
  }
  if (path === "/stream") {
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store" });
    const after = Number(req.headers["last-event-id"] ?? seq);
    for (const p of parts.filter((x) => x.seq > after).slice(-1000)) res.write(`event: part\nid: ${p.seq}\ndata: ${JSON.stringify(summary(p.part_id))}\n\n`);
    clients.add(res);
    const ka = setInterval(() => res.write(": keep-alive\n\n"), 15000);
    req.on("close", () => { clients.delete(res); clearInterval(ka); });
    return;
  }
  return fail(res, 404, "not_found", `no ${path}`);
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css" };
createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname.startsWith("/api/v1/")) return void api(req, res, url.pathname.slice(7), url.searchParams);
  const file = normalize(join(DIST, url.pathname === "/" ? "index.html" : url.pathname));
  if (!file.startsWith(DIST) || !existsSync(file)) return fail(res, 404, "not_found", "no file");
  res.writeHead(200, {
    "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(readFileSync(file));
}).listen(PORT, "127.0.0.1", () => console.log(`fake linesight API + dashboard on http://127.0.0.1:${PORT}/`));
