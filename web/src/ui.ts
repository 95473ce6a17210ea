// ui.ts: small pieces every view uses (badges, thumbnails, error messages) and the session.

import { ApiError, imageUrl, type Decision, type MachineState, type Me, type PartSummary } from "./api";
import { h } from "./dom";
import { t, type Key } from "./i18n";

// The logged-in user, or null. Set by main.ts after login or GET /me.
export const session: { me: Me | null } = { me: null };

// A view mounts into `root` and returns what to undo when the route changes.
export type Cleanup = () => void;
export interface ViewContext {
  root: HTMLElement;
  params: URLSearchParams;
  arg: string; // the path part after the view name (#/part/<arg>)
  navigate: (hash: string) => void;
}
export type View = (ctx: ViewContext) => Cleanup | void;

export function decisionBadge(d: Decision): HTMLElement {
  const known = d === "pass" || d === "reject" || d === "hold";
  return h("span", {
    class: `badge badge-${known ? d : "hold"}`,
    data: { decision: String(d) },
    text: known ? t(`decision.${d}` as Key) : String(d),
  });
}

export function stateBadge(s: MachineState): HTMLElement {
  const known = s === "running" || s === "stopped" || s === "die_change";
  return h("span", {
    class: `state state-${known ? s : "stopped"}`,
    data: { state: String(s) },
    text: known ? t(`state.${s}` as Key) : String(s),
  });
}

// The message for a failed call, in the current language.
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return t("err.network");
    if (err.status === 403) return t("err.forbidden");
    if (err.status === 404) return t("err.not_found");
    if (err.status === 503) return t("err.unavailable");
    return t("err.generic", { status: err.status, message: err.message });
  }
  return t("err.generic", { status: "-", message: String(err) });
}

export function errorBox(err: unknown): HTMLElement {
  return h("div", { class: "error", role: "alert", text: errorText(err) });
}

// A part's kept image with its verdict badge, linking to the part's detail. Stations keep the
// images of a sample of passes only, so a part without one shows its shot number on a light
// tile: a row of black boxes would read as a fault.
export function thumbnail(p: PartSummary, cls = "thumb"): HTMLElement {
  const img = p.image
    ? h("img", { src: imageUrl(p.image), alt: p.part_id, loading: "lazy", decoding: "async" })
    : h("div", { class: "noimg", text: `#${p.shot}` });
  return h(
    "a",
    {
      class: `${cls} thumb-${p.decision}${p.image ? "" : " thumb-noimg"}`,
      href: `#/part/${encodeURIComponent(p.part_id)}`,
      title: p.image ? p.part_id : `${p.part_id}: ${t("detail.no_image")}`,
      data: { part: p.part_id, decision: p.decision },
    },
    img,
    decisionBadge(p.decision),
  );
}

export function sectionTitle(key: Key): HTMLElement {
  return h("h2", { text: t(key) });
}
