// dom.ts: builds DOM from data without ever parsing markup. Text always goes in as text nodes,
// so a part id, note or user name holding "<img onerror=…>" is shown, never run.

type Child = Node | string | number | null | undefined | false;
type Handler = (ev: Event) => void;

export interface Attrs {
  class?: string;
  text?: string;
  title?: string;
  data?: Record<string, string>;
  on?: Partial<Record<keyof HTMLElementEventMap, Handler>>;
  [attr: string]: unknown;
}

// h("a", {href: "#/x", class: "c"}, "text", child) → <a href="#/x" class="c">text…</a>.
// Attribute values go through setAttribute; "on*" attributes and innerHTML are refused.
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k === "text") el.textContent = String(v);
    else if (k === "data") for (const [dk, dv] of Object.entries(v as Record<string, string>)) el.dataset[dk] = dv;
    else if (k === "on")
      for (const [ev, fn] of Object.entries(v as Record<string, Handler>)) el.addEventListener(ev, fn);
    else if (/^on/i.test(k) || k === "innerHTML" || k === "outerHTML") throw new Error(`refused attribute ${k}`);
    else if (k === "value" && "value" in el) (el as HTMLInputElement).value = String(v);
    else if (k === "checked" && el instanceof HTMLInputElement) el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}
