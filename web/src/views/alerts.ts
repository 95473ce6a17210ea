// views/alerts.ts: the server's alerts (GET /api/v1/alerts): open ones with an Acknowledge
// button and an optional note, or all of them with who acknowledged when; new alerts arrive
// live (the stream's "alert" event). Also the open count badge of the navigation.

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

export const alertsView: View = ({ root }) => {
  let gone = false;
  let showAll = false;
  const list = h("div", { class: "alerts", id: "alerts" });
  const msg = h("div", { id: "alerts-msg", role: "status" });
  const toggle = h("input", { type: "checkbox", id: "alerts-all" });
  toggle.addEventListener("change", () => {
    showAll = toggle.checked;
    load();
  });
  root.append(
    h("div", { class: "view-head" }, h("h1", { text: t("alerts.title") }), h("span", { class: "muted", text: t("alerts.hint") })),
    h("label", { class: "alerts-toggle" }, toggle, ` ${t("alerts.show_all")}`),
    msg,
    list,
  );

  async function ack(a: Alert, row: HTMLElement, note: HTMLInputElement): Promise<void> {
    for (const b of row.querySelectorAll("button")) b.disabled = true;
    try {
      await api.ackAlert(a.id, note.value);
      msg.className = "ok";
      msg.textContent = t("alerts.done", { id: a.id });
      refreshAlertBadge();
      load();
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

  function load(): void {
    api
      .alerts({ state: showAll ? "all" : "open", limit: 200 })
      .then((r) => {
        if (gone) return;
        clear(list);
        showCount(r.open);
        if (!r.alerts.length) list.append(h("p", { class: "muted", text: t(showAll ? "alerts.empty_all" : "alerts.empty") }));
        for (const a of r.alerts) list.append(item(a));
      })
      .catch((e) => {
        if (!gone) {
          clear(list);
          list.append(errorBox(e));
        }
      });
  }

  load();
  const off = onAlert((m) => {
    if (m.event === "raised") {
      msg.className = "ok";
      msg.textContent = t("alerts.new", { title: m.alert.title });
    }
    load();
  });
  return () => {
    gone = true;
    off();
  };
};
