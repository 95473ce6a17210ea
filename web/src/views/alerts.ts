// views/alerts.ts: the server's alerts (GET /api/v1/alerts): open ones with an Acknowledge
// button and an optional note, or all of them with who acknowledged when, newest first, 100 at a
// time ("Show older" pages on with the API's `before` cursor; the page says how many of how many
// open are listed); new alerts arrive live (the stream's "alert" event). Also the open count
// badge of the navigation.

import { api, imageUrl, type Alert } from "../api";
import { clear, h, svg } from "../dom";
import { fmtDateTime, fmtNumber, t, type Key } from "../i18n";
import { onAlert } from "../live";
import { errorBox, errorText, type View } from "../ui";

// The navigation's badge: one element, kept current by any alert event.
function showCount(n: number): void {
  const el = document.getElementById("alerts-badge");
  if (!el) return;
  el.textContent = n > 0 ? String(n) : "";
  el.hidden = n <= 0;
}

export function refreshAlertBadge(): void {
  api
    .alerts({ state: "open", limit: 1 })
    .then((r) => showCount(r.open))
    .catch(() => {
      // the badge is a hint; the view shows errors
    });
}

onAlert(() => refreshAlertBadge());

export function alertBadge(): HTMLElement {
  const el = h("span", { class: "nav-badge", id: "alerts-badge", hidden: true });
  refreshAlertBadge();
  return el;
}

// Where an alert's evidence was last seen on a part (a die crack's mark): that part's image with
// the finding ringed, linking to the part. Null when the alert names no kept image.
function seenOn(a: Alert): HTMLElement | null {
  const d = a.detail as { part_id?: unknown; image?: unknown; box?: unknown } | null;
  if (!d || typeof d.part_id !== "string" || typeof d.image !== "string" || !d.image) return null;
  const box = Array.isArray(d.box) && d.box.length === 4 && d.box.every((v) => typeof v === "number") ? (d.box as number[]) : null;
  const img = h("img", { src: imageUrl(d.image), alt: d.part_id, class: "alert-part-img" });
  const overlay = svg("svg", { class: "boxes", preserveAspectRatio: "none" });
  img.addEventListener(
    "load",
    () => {
      overlay.setAttribute("viewBox", `0 0 ${img.naturalWidth || 1} ${img.naturalHeight || 1}`);
      if (!box) return;
      const [x, y, w, hh] = box;
      const r = Math.max(w, hh) / 2 + Math.max(6, 0.03 * (img.naturalWidth || 0));
      overlay.append(svg("circle", { cx: x + w / 2, cy: y + hh / 2, r, class: "ring", "vector-effect": "non-scaling-stroke" }));
    },
    { once: true },
  );
  const partId = d.part_id;
  return h(
    "a",
    { class: "alert-seen", href: `#/part/${encodeURIComponent(partId)}`, title: t("alerts.seen_on", { part: partId }) },
    h("div", { class: "stage alert-stage" }, img, overlay),
    h("div", { class: "muted", text: t("alerts.seen_on", { part: partId }) }),
  );
}

// Alerts per page; "Show older" fetches the next page with the API's `before` cursor. The route
// may ask for another page size (#/alerts?page_size=3: the e2e test pages through a demo's few).
const PAGE = 100;
const MAX_LIMIT = 1000; // the API's largest `limit`

export const alertsView: View = ({ root, params }) => {
  const asked = Math.floor(Number(params.get("page_size")));
  const PAGE_SIZE = Number.isFinite(asked) && asked >= 1 ? Math.min(asked, MAX_LIMIT) : PAGE;
  let gone = false;
  let showAll = false;
  const list = h("div", { class: "alerts", id: "alerts" });
  const msg = h("div", { id: "alerts-msg", role: "status" });
  const status = h("div", { class: "muted alerts-status", id: "alerts-status", data: { pageSize: String(PAGE_SIZE) } });
  const more = h("button", { type: "button", id: "alerts-more", class: "hidden", text: t("alerts.more") });
  const moreErr = h("div");
  const toggle = h("input", { type: "checkbox", id: "alerts-all" });
  toggle.addEventListener("change", () => {
    showAll = toggle.checked;
    load(PAGE_SIZE);
  });
  more.addEventListener("click", () => void older());
  root.append(
    h("div", { class: "view-head" }, h("h1", { text: t("alerts.title") }), h("span", { class: "muted", text: t("alerts.hint") })),
    h("label", { class: "alerts-toggle" }, toggle, ` ${t("alerts.show_all")}`),
    msg,
    status,
    list,
    moreErr,
    more,
  );

  // What is listed: the newest `shown` alerts of the chosen state, and the cursor to the older ones.
  let shown: Alert[] = [];
  let next: number | null = null;
  let open = 0;
  let total = 0; // with acknowledged ones: every alert kept
  let generation = 0; // a reload or a state switch makes answers to older requests stale

  function showStatus(): void {
    const n = fmtNumber(shown.length);
    const key = showAll
      ? next === null ? "alerts.shown_all_end" : "alerts.shown_all"
      : next === null ? "alerts.shown_open_end" : "alerts.shown_open";
    status.textContent = shown.length
      ? t(key, { shown: n, open: fmtNumber(showAll ? open : Math.max(open, shown.length)), total: fmtNumber(Math.max(total, shown.length)) })
      : "";
    status.dataset.shown = String(shown.length);
    status.dataset.open = String(open);
    if (showAll) status.dataset.total = String(total);
    else delete status.dataset.total;
    more.classList.toggle("hidden", next === null);
  }

  async function ack(a: Alert, row: HTMLElement, note: HTMLInputElement): Promise<void> {
    for (const b of row.querySelectorAll("button")) b.disabled = true;
    try {
      await api.ackAlert(a.id, note.value);
      msg.className = "ok";
      msg.textContent = t("alerts.done", { id: a.id });
      refreshAlertBadge();
      reload();
    } catch (e) {
      msg.className = "error";
      msg.textContent = errorText(e);
      for (const b of row.querySelectorAll("button")) b.disabled = false;
    }
  }

  function item(a: Alert): HTMLElement {
    const row = h("div", { class: `alert-item card sev-${a.severity}`, data: { alert: String(a.id), severity: a.severity } });
    const where = [a.machine, a.die].filter((x) => x).join(" · ");
    row.append(
      h(
        "div",
        { class: "alert-info" },
        h("span", { class: `badge badge-${a.severity === "alarm" ? "reject" : "hold"}`, text: t(`alerts.severity.${a.severity}` as Key) }),
        " ",
        h("strong", { class: "alert-title", text: a.title }),
        h("div", { class: "muted", text: where }),
        seenOn(a),
        h(
          "div",
          { class: "muted" },
          `${t("alerts.first")}: ${fmtDateTime(a.first_ms)} · ${t("alerts.last")}: ${fmtDateTime(a.last_ms)} · ${t("alerts.count")}: ${fmtNumber(a.occurrences)}`,
        ),
      ),
    );
    if (a.acked) {
      row.append(
        h("div", { class: "alert-acked", text: t("alerts.acked", { user: a.acked_by ?? "", time: fmtDateTime(a.acked_ms ?? 0) }) }),
      );
      if (a.ack_note) row.append(h("div", { class: "alert-note", text: a.ack_note }));
      return row;
    }
    const note = h("input", { type: "text", class: "alert-note-input", maxlength: "500", placeholder: t("alerts.note") });
    row.append(
      h(
        "div",
        { class: "alert-actions" },
        note,
        h("button", { type: "button", class: "alert-ack", text: t("alerts.ack"), on: { click: () => void ack(a, row, note) } }),
      ),
    );
    return row;
  }

  // (Re)reads the newest `want` alerts, in pages of at most MAX_LIMIT, and lists them. A reload
  // after an acknowledgement or a live alert keeps as many listed as were (the older pages the
  // user opened stay open), and keeps the notes being typed.
  async function load(want: number): Promise<void> {
    const gen = ++generation;
    const state = showAll ? "all" : "open";
    const got: Alert[] = [];
    let cursor: number | null = null;
    let openNow = open;
    let allNow = total;
    try {
      do {
        const r = await api.alerts({ state, limit: Math.min(MAX_LIMIT, Math.max(1, want - got.length)), before: cursor ?? undefined });
        if (gone || gen !== generation) return;
        got.push(...r.alerts);
        cursor = r.next_before;
        openNow = r.open;
        allNow = r.total ?? allNow;
      } while (cursor !== null && got.length < want);
    } catch (e) {
      if (gone || gen !== generation) return;
      clear(list);
      list.append(errorBox(e));
      shown = [];
      next = null;
      showStatus();
      return;
    }
    const notes = new Map<string, string>();
    for (const el of list.querySelectorAll<HTMLInputElement>("[data-alert] .alert-note-input"))
      if (el.value) notes.set(el.closest<HTMLElement>("[data-alert]")?.dataset.alert ?? "", el.value);
    const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>("#alerts [data-alert]")?.dataset.alert;
    clear(list);
    clear(moreErr);
    shown = got;
    next = cursor;
    open = openNow;
    total = allNow;
    showCount(openNow);
    if (!got.length) list.append(h("p", { class: "muted", text: t(showAll ? "alerts.empty_all" : "alerts.empty") }));
    for (const a of got) {
      const row = item(a);
      const input = row.querySelector<HTMLInputElement>(".alert-note-input");
      if (input && notes.has(String(a.id))) input.value = notes.get(String(a.id)) ?? "";
      list.append(row);
      if (input && focused === String(a.id)) input.focus();
    }
    showStatus();
  }

  // The next page of older alerts, appended.
  async function older(): Promise<void> {
    if (next === null) return;
    const gen = generation;
    more.disabled = true;
    try {
      const r = await api.alerts({ state: showAll ? "all" : "open", limit: PAGE_SIZE, before: next });
      if (gone || gen !== generation) return;
      clear(moreErr);
      const have = new Set(shown.map((a) => a.id));
      const fresh = r.alerts.filter((a) => !have.has(a.id));
      for (const a of fresh) list.append(item(a));
      shown = [...shown, ...fresh];
      next = r.next_before;
      open = r.open;
      total = r.total ?? total;
      showCount(r.open);
      showStatus();
    } catch (e) {
      if (gone || gen !== generation) return;
      clear(moreErr);
      moreErr.append(errorBox(e));
    } finally {
      more.disabled = false;
    }
  }

  const reload = () => void load(Math.max(PAGE_SIZE, shown.length));
  void load(PAGE_SIZE);
  const off = onAlert((m) => {
    if (m.event === "raised") {
      msg.className = "ok";
      msg.textContent = t("alerts.new", { title: m.alert.title });
    }
    reload();
  });
  return () => {
    gone = true;
    off();
  };
};
