// views/explorer.ts: part search. The filters live in the route (#/parts?decision=reject&…) so a
// search can be bookmarked; results come newest first, 50 at a time, with keyset paging ("More").

import { api, type PartSummary, type PartsPage } from "../api";
import { clear, h } from "../dom";
import { DEFECT_TYPES, defectName, fmtDateTime, fmtNumber, reasonName, t, type Key } from "../i18n";
import {
  filtersToSearch,
  localInputToMs,
  msToLocalInput,
  naturalCompare,
  parseFilters,
  type Filters,
} from "../logic";
import { decisionBadge, errorBox, type View } from "../ui";

const PAGE = 50;

function reviewCell(p: PartSummary): HTMLElement {
  if (!p.review) return h("span", { class: "muted", text: t("common.none") });
  return h(
    "span",
    { class: "review-cell", title: p.review.note },
    decisionBadge(p.review.verdict),
    ` ${p.review.user}`,
  );
}

export function partRow(p: PartSummary): HTMLElement {
  const link = h("a", { href: `#/part/${encodeURIComponent(p.part_id)}`, class: "part-link", text: p.part_id });
  return h(
    "tr",
    { data: { part: p.part_id, decision: p.decision } },
    h("td", { text: fmtDateTime(p.time_ms) }),
    h("td", {}, link),
    h("td", { text: p.machine }),
    h("td", { text: p.die }),
    h("td", { class: "num", text: String(p.shot) }),
    h("td", {}, decisionBadge(p.decision), p.reason && p.reason !== "none" ? ` ${reasonName(p.reason)}` : ""),
    h("td", { class: "num", text: `${fmtNumber(p.score, 2)} / ${fmtNumber(p.threshold, 2)}` }),
    h("td", { text: p.defect_type ? defectName(p.defect_type) : "" }),
    h("td", {}, reviewCell(p)),
  );
}

export function partsTable(): { table: HTMLTableElement; body: HTMLTableSectionElement } {
  const cols: Key[] = ["col.time", "col.part", "col.machine", "col.die", "col.shot", "col.decision", "col.score", "col.defect", "col.review"];
  const body = h("tbody");
  const table = h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ...cols.map((c) => h("th", { text: t(c) })))), body);
  return { table, body };
}

function select(id: string, value: string | undefined, options: [string, string][]): HTMLSelectElement {
  const s = h("select", { id, name: id });
  for (const [v, label] of options) s.append(h("option", { value: v, text: label }));
  s.value = value ?? "";
  return s;
}

export const explorerView: View = ({ root, params, navigate }) => {
  const f = parseFilters(params);
  let gone = false;

  const machine = select("f-machine", f.machine, [["", t("common.all")]]);
  const die = h("input", { id: "f-die", name: "die", value: f.die ?? "", size: 10 });
  const decision = select("f-decision", f.decision, [
    ["", t("common.all")],
    ["pass", t("decision.pass")],
    ["reject", t("decision.reject")],
    ["hold", t("decision.hold")],
  ]);
  const knownDefects = f.defect_type && !DEFECT_TYPES.includes(f.defect_type) ? [...DEFECT_TYPES, f.defect_type] : DEFECT_TYPES;
  const defect = select("f-defect", f.defect_type, [["", t("common.all")], ...knownDefects.map((d): [string, string] => [d, defectName(d)])]);
  const from = h("input", { id: "f-from", type: "datetime-local", value: f.from_ms ? msToLocalInput(Number(f.from_ms)) : "" });
  const to = h("input", { id: "f-to", type: "datetime-local", value: f.to_ms ? msToLocalInput(Number(f.to_ms)) : "" });
  const minScore = h("input", { id: "f-min", type: "number", step: "any", value: f.min_score ?? "", size: 6 });
  const maxScore = h("input", { id: "f-max", type: "number", step: "any", value: f.max_score ?? "", size: 6 });
  const unreviewed = h("input", { id: "f-unreviewed", type: "checkbox", checked: f.unreviewed === "1" });

  const field = (key: Key, input: HTMLElement) => h("label", { class: "field" }, h("span", { text: t(key) }), input);
  const form = h(
    "form",
    { class: "filters card", id: "filters" },
    field("parts.machine", machine),
    field("parts.die", die),
    field("parts.decision", decision),
    field("parts.defect_type", defect),
    field("parts.from", from),
    field("parts.to", to),
    field("parts.min_score", minScore),
    field("parts.max_score", maxScore),
    h("label", { class: "field check" }, unreviewed, h("span", { text: t("parts.unreviewed") })),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary", id: "f-apply", text: t("common.apply") }),
      h("button", { type: "button", id: "f-reset", text: t("common.reset"), on: { click: () => navigate("#/parts") } }),
    ),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const next: Filters = {
      machine: machine.value,
      die: die.value.trim(),
      decision: decision.value,
      defect_type: defect.value,
      from_ms: String(localInputToMs(from.value) ?? ""),
      to_ms: String(localInputToMs(to.value) ?? ""),
      min_score: minScore.value,
      max_score: maxScore.value,
      unreviewed: unreviewed.checked ? "1" : "",
    };
    const qs = filtersToSearch(parseFilters(filtersToSearch(next))).toString();
    navigate(qs ? `#/parts?${qs}` : "#/parts");
  });

  const { table, body } = partsTable();
  table.id = "parts-table";
  const status = h("div", { class: "muted", id: "parts-status", text: t("common.loading") });
  const more = h("button", { type: "button", id: "parts-more", class: "hidden", text: t("common.more") });
  const err = h("div");
  root.append(h("div", { class: "view-head" }, h("h1", { text: t("parts.title") })), form, err, status, h("div", { class: "table-wrap" }, table), more);

  let shown = 0;
  let next: PartsPage["next"] = null;
  async function page(): Promise<void> {
    more.disabled = true;
    try {
      const r = await api.parts({ ...f, limit: PAGE, before_time_ms: next?.before_time_ms, before_part_id: next?.before_part_id });
      if (gone) return;
      clear(err);
      for (const p of r.parts) body.append(partRow(p));
      shown += r.parts.length;
      next = r.next;
      status.textContent = shown === 0 ? t("parts.empty") : t("parts.total", { shown: fmtNumber(shown), total: fmtNumber(r.total) + (r.total_capped ? "+" : "") });
      more.classList.toggle("hidden", !next);
    } catch (e) {
      if (gone) return;
      clear(err);
      err.append(errorBox(e));
      status.textContent = "";
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", () => void page());
  void page();

  // Machines for the filter list (the ones the store knows).
  api
    .machines()
    .then((r) => {
      if (gone) return;
      const names = r.machines.map((m) => m.machine);
      if (f.machine && !names.includes(f.machine)) names.push(f.machine);
      for (const n of names.sort(naturalCompare)) machine.append(h("option", { value: n, text: n }));
      machine.value = f.machine ?? "";
    })
    .catch(() => {
      if (f.machine) machine.append(h("option", { value: f.machine, text: f.machine }));
      machine.value = f.machine ?? "";
    });

  return () => {
    gone = true;
  };
};
