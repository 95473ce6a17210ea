// views/queue.ts: parts waiting for a person (GET /api/v1/review_queue) with one-click
// confirm / overrule (good / bad for held parts). A reviewed part leaves the list.

import { api, type PartSummary, type Verdict } from "../api";
import { clear, h } from "../dom";
import { defectName, fmtDateTime, fmtNumber, reasonName, t, type Key } from "../i18n";
import { quickVerdict } from "../logic";
import { decisionBadge, errorBox, errorText, thumbnail, type View } from "../ui";

export const queueView: View = ({ root }) => {
  let gone = false;
  const list = h("div", { class: "queue", id: "queue" });
  const msg = h("div", { id: "queue-msg", role: "status" });
  root.append(h("div", { class: "view-head" }, h("h1", { text: t("queue.title") }), h("span", { class: "muted", text: t("queue.hint") })), msg, list);

  function item(p: PartSummary): HTMLElement {
    const row = h("div", { class: "q-item card", data: { part: p.part_id, decision: p.decision } });
    const send = async (v: Verdict) => {
      for (const b of row.querySelectorAll("button")) b.disabled = true;
      try {
        await api.addReview(p.part_id, { verdict: v, defect_type: v === "reject" ? p.defect_type || "anomaly" : "", note: "" });
        row.remove();
        msg.className = "ok";
        msg.textContent = t("queue.done", { id: p.part_id, verdict: t(`decision.${v}` as Key) });
        if (!list.querySelector(".q-item")) list.append(h("p", { class: "muted", text: t("queue.empty") }));
      } catch (e) {
        msg.className = "error";
        msg.textContent = errorText(e);
        for (const b of row.querySelectorAll("button")) b.disabled = false;
      }
    };
    const buttons = h("div", { class: "q-actions" });
    const confirm = quickVerdict(p.decision, "confirm");
    const overrule = quickVerdict(p.decision, "overrule");
    if (confirm && overrule) {
      buttons.append(
        h("button", { type: "button", class: `q-confirm v-${confirm}`, text: `${t("queue.confirm")}: ${t(`decision.${confirm}` as Key)}`, on: { click: () => void send(confirm) } }),
        h("button", { type: "button", class: `q-overrule v-${overrule}`, text: `${t("queue.overrule")}: ${t(`decision.${overrule}` as Key)}`, on: { click: () => void send(overrule) } }),
      );
    } else {
      buttons.append(
        h("button", { type: "button", class: "q-good v-pass", text: t("queue.good"), on: { click: () => void send("pass") } }),
        h("button", { type: "button", class: "q-bad v-reject", text: t("queue.bad"), on: { click: () => void send("reject") } }),
      );
    }
    row.append(
      thumbnail(p, "thumb q-thumb"),
      h(
        "div",
        { class: "q-info" },
        h("a", { href: `#/part/${encodeURIComponent(p.part_id)}`, class: "part-link", text: p.part_id }),
        h("div", {}, decisionBadge(p.decision), p.decision === "hold" ? ` ${reasonName(p.reason)}` : "", p.defect_type ? ` ${defectName(p.defect_type)}` : ""),
        h("div", { class: "muted", text: `${p.machine} · ${p.die} · ${fmtDateTime(p.time_ms)}` }),
        h("div", { class: "muted", text: `${fmtNumber(p.score, 2)} / ${fmtNumber(p.threshold, 2)}` }),
      ),
      buttons,
    );
    return row;
  }

  api
    .reviewQueue({ limit: 100 })
    .then((r) => {
      if (gone) return;
      clear(list);
      if (!r.parts.length) list.append(h("p", { class: "muted", text: t("queue.empty") }));
      for (const p of r.parts) list.append(item(p));
    })
    .catch((e) => {
      if (!gone) list.append(errorBox(e));
    });
  return () => {
    gone = true;
  };
};
