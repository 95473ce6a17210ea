// views/detail.ts: one part: each view's image with its finding boxes drawn over it (SVG) and a
// heatmap toggle when the view names a heatmap image, the shot's process values, the model,
// the review history and the review form.

import { api, imageUrl, type PartDetail, type Review, type Verdict, type View as PartView } from "../api";
import { clear, h, svg } from "../dom";
import { DEFECT_TYPES, PROCESS_UNITS, defectName, fmtDateTime, fmtNumber, reasonName, t, type Key } from "../i18n";
import { reviewEffect } from "../logic";
import { decisionBadge, errorBox, errorText, type View } from "../ui";

function imagePanel(v: PartView): HTMLElement {
  const head = h(
    "div",
    { class: "panel-head" },
    h("h3", { text: t("detail.view", { view: v.view }) }),
    decisionBadge(v.decision),
    h("span", { class: "muted", text: t("detail.score", { score: fmtNumber(v.score, 2), threshold: fmtNumber(v.threshold, 2) }) }),
  );
  if (!v.image) return h("section", { class: "card view-panel" }, head, h("div", { class: "noimg big", text: t("detail.no_image") }));

  const img = h("img", { src: imageUrl(v.image), alt: v.view, class: "part-img" });
  const stage = h("div", { class: "stage" }, img);
  const overlay = svg("svg", { class: "boxes", preserveAspectRatio: "none" });
  let heat: HTMLImageElement | null = null;
  if (v.heatmap) {
    heat = h("img", { src: imageUrl(v.heatmap), alt: t("detail.heatmap"), class: "heat hidden" });
    stage.append(heat);
  }
  stage.append(overlay);
  // Boxes are SVG rects in image pixels (the viewBox), with a stroke that keeps its screen width;
  // labels are HTML placed in percent of the image, so their text stays readable at any zoom.
  const labels = h("div", { class: "box-labels" });
  stage.append(labels);
  const draw = () => {
    const w = img.naturalWidth || 1;
    const hgt = img.naturalHeight || 1;
    overlay.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
    stage.style.maxWidth = `calc(70vh * ${w / hgt})`; // whole image on screen, small ones enlarged
    for (const f of v.findings ?? []) {
      const [x, y, bw, bh] = f.box;
      overlay.append(svg("rect", { x, y, width: bw, height: bh, class: "box", "vector-effect": "non-scaling-stroke" }));
      const label = h("span", { class: "box-label", text: defectName(f.type) });
      label.style.left = `${(100 * x) / w}%`;
      label.style.top = `${(100 * y) / hgt}%`;
      labels.append(label);
    }
  };
  if (img.complete && img.naturalWidth) draw();
  else img.addEventListener("load", draw, { once: true });

  const toggles = h("div", { class: "toggles" });
  const boxesBox = h("input", { type: "checkbox", checked: true, id: `boxes-${v.view}` });
  boxesBox.addEventListener("change", () => {
    overlay.classList.toggle("hidden", !boxesBox.checked);
    labels.classList.toggle("hidden", !boxesBox.checked);
  });
  toggles.append(h("label", {}, boxesBox, ` ${t("detail.boxes")}`));
  if (heat) {
    const heatBox = h("input", { type: "checkbox", id: `heat-${v.view}`, class: "heat-toggle" });
    const hm = heat;
    heatBox.addEventListener("change", () => hm.classList.toggle("hidden", !heatBox.checked));
    toggles.append(h("label", {}, heatBox, ` ${t("detail.heatmap")}`));
  }

  const findings = h("ul", { class: "findings" });
  if (!v.findings?.length) findings.append(h("li", { class: "muted", text: t("detail.no_findings") }));
  for (const f of v.findings ?? [])
    findings.append(
      h("li", {
        text: t("detail.finding_line", {
          type: defectName(f.type),
          x: f.box[0],
          y: f.box[1],
          w: f.box[2],
          h: f.box[3],
          peak: fmtNumber(f.peak, 2),
        }),
      }),
    );
  return h(
    "section",
    { class: "card view-panel" },
    head,
    stage,
    toggles,
    h("dl", { class: "facts" }, h("dt", { text: t("detail.model") }), h("dd", { class: "mono", text: v.model_id }), h("dt", { text: t("detail.inspect_ms") }), h("dd", { text: `${fmtNumber(v.inspect_ms, 1)} ms` })),
    h("h4", { text: t("detail.findings") }),
    findings,
  );
}

function reviewItem(r: Review): HTMLElement {
  return h(
    "li",
    { class: "review", data: { review: String(r.id) } },
    h("div", {}, decisionBadge(r.verdict), r.defect_type ? ` ${defectName(r.defect_type)}` : "", h("span", { class: "muted", text: ` · ${t("review.by", { user: r.user, time: fmtDateTime(r.time_ms) })}` })),
    r.note ? h("div", { class: "note", text: r.note }) : null,
  );
}

function reviewForm(d: PartDetail, onSaved: (r: Review) => void): HTMLElement {
  const line = d.part.decision;
  const initial: Verdict = line === "pass" ? "pass" : "reject";
  const radio = (v: Verdict) => h("input", { type: "radio", name: "verdict", value: v, id: `verdict-${v}`, checked: v === initial });
  const rPass = radio("pass");
  const rReject = radio("reject");
  const defect = h("select", { id: "review-defect", name: "defect_type" });
  const known = d.part.defect_type && !DEFECT_TYPES.includes(d.part.defect_type) ? [d.part.defect_type, ...DEFECT_TYPES] : DEFECT_TYPES;
  for (const code of known) defect.append(h("option", { value: code, text: defectName(code) }));
  defect.value = d.part.defect_type || "anomaly";
  const note = h("textarea", { id: "review-note", name: "note", rows: 3, maxlength: 2000 });
  const effect = h("p", { class: "effect", id: "review-effect" });
  const msg = h("div", { id: "review-msg", role: "status" });
  const submit = h("button", { type: "submit", class: "primary", id: "review-submit", text: t("detail.submit") });
  const verdict = (): Verdict => (rPass.checked ? "pass" : "reject");
  const update = () => {
    const e = reviewEffect(line, verdict());
    effect.textContent = t(`detail.${e}` as Key);
    effect.className = `effect effect-${e}`;
    defect.disabled = verdict() === "pass";
  };
  rPass.addEventListener("change", update);
  rReject.addEventListener("change", update);
  update();
  const form = h(
    "form",
    { class: "card review-form", id: "review-form" },
    h("h3", { text: t("detail.review_form") }),
    h("div", { class: "verdicts" }, h("label", { class: "v-pass" }, rPass, ` ${t("detail.verdict_pass")}`), h("label", { class: "v-reject" }, rReject, ` ${t("detail.verdict_reject")}`)),
    h("label", { class: "field" }, h("span", { text: t("parts.defect_type") }), defect),
    h("label", { class: "field" }, h("span", { text: t("detail.note") }), note),
    effect,
    submit,
    msg,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    clear(msg);
    try {
      const v = verdict();
      const r = await api.addReview(d.part.part_id, { verdict: v, defect_type: v === "reject" ? defect.value : "", note: note.value.trim() });
      msg.className = "ok";
      msg.textContent = t("detail.saved");
      note.value = "";
      onSaved(r.review);
    } catch (e) {
      msg.className = "error";
      msg.textContent = errorText(e);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export const detailView: View = ({ root, arg }) => {
  let gone = false;
  root.append(h("p", { class: "muted", text: t("common.loading") }));
  api
    .part(arg)
    .then((d) => {
      if (gone) return;
      clear(root);
      const p = d.part;
      const rec = d.record;
      const facts = h("dl", { class: "facts" });
      const fact = (k: Key, v: Node | string) => facts.append(h("dt", { text: t(k) }), h("dd", {}, v));
      fact("detail.line_decision", decisionBadge(p.decision));
      if (p.decision === "hold") fact("detail.reason", reasonName(p.reason));
      fact("parts.machine", p.machine);
      fact("parts.die", p.die);
      fact("detail.station", p.station);
      fact("detail.shot", String(p.shot));
      fact("detail.die_shot", String(p.die_shot));
      fact("detail.time", fmtDateTime(p.time_ms));
      fact("parts.defect_type", p.defect_type ? defectName(p.defect_type) : t("common.none"));
      fact("detail.model", h("span", { class: "mono", text: p.model_id }));
      fact("detail.latency", `${fmtNumber(p.latency_ms, 1)} ms`);
      if (typeof rec.risk === "number")
        fact("detail.risk", h("span", { id: "risk", title: rec.risk_model ?? "", text: `${fmtNumber(100 * rec.risk, 1)}%` }));

      const proc = rec.shot?.process;
      const procEl = h("table", { class: "grid proc", id: "process" });
      if (!proc) procEl.append(h("tr", {}, h("td", { class: "muted", text: t("detail.process_none") })));
      else
        for (const [key, unit] of PROCESS_UNITS) {
          const v = proc[key];
          procEl.append(
            h(
              "tr",
              { data: { var: key } },
              h("th", { text: t(`proc.${key}` as Key) }),
              h("td", { class: "num", text: v === null || v === undefined ? t("common.none") : fmtNumber(v, 1) }),
              h("td", { class: "unit", text: unit }),
            ),
          );
        }

      const reviews = h("ul", { class: "reviews", id: "reviews" });
      const showReviews = (list: Review[]) => {
        clear(reviews);
        if (!list.length) reviews.append(h("li", { class: "muted", text: t("detail.no_reviews") }));
        for (const r of list) reviews.append(reviewItem(r));
      };
      const all = [...d.reviews];
      showReviews(all);

      root.append(
        h("div", { class: "view-head" }, h("button", { type: "button", class: "back", text: `← ${t("common.back")}`, on: { click: () => history.back() } }), h("h1", { id: "part-title", data: { part: p.part_id }, text: t("detail.title", { id: p.part_id }) }), decisionBadge(p.decision)),
        h(
          "div",
          { class: "detail" },
          h("div", { class: "detail-images" }, ...rec.views.map(imagePanel)),
          h(
            "div",
            { class: "detail-side" },
            h("section", { class: "card" }, facts),
            h("section", { class: "card" }, h("h3", { text: t("detail.process") }), procEl),
            h("section", { class: "card" }, h("h3", { text: t("detail.reviews") }), reviews),
            reviewForm(d, (r) => {
              all.push(r);
              showReviews(all);
            }),
          ),
        ),
      );
    })
    .catch((e) => {
      if (gone) return;
      clear(root);
      root.append(errorBox(e));
    });
  return () => {
    gone = true;
  };
};
