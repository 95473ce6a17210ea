// main.ts: the dashboard's shell: header (navigation, live badge, user, language), hash routes,
// and the session (GET /api/v1/me on load; any 401 leads to the login view).

import "./style.css";
import { api, ApiError, setUnauthorizedHandler } from "./api";
import { clear, h } from "./dom";
import { getLang, setLang, t, type Key } from "./i18n";
import { liveState, onLiveState, startLive, stopLive } from "./live";
import { session, type Cleanup, type View } from "./ui";
import { loginView } from "./views/login";
import { lineView } from "./views/line";
import { explorerView } from "./views/explorer";
import { detailView } from "./views/detail";
import { queueView } from "./views/queue";
import { alertBadge, alertsView } from "./views/alerts";

// Chart views pull in ECharts: loaded only when opened, to keep the first load small.
function lazy(load: () => Promise<View>): View {
  return (ctx) => {
    let cleanup: Cleanup | void;
    let gone = false;
    ctx.root.append(h("p", { class: "muted", text: t("common.loading") }));
    load().then((view) => {
      if (gone) return;
      clear(ctx.root);
      cleanup = view(ctx);
    });
    return () => {
      gone = true;
      if (cleanup) cleanup();
    };
  };
}
const chartsView = lazy(() => import("./views/charts").then((m) => m.chartsView));
const spcView = lazy(() => import("./views/spc").then((m) => m.spcView));

const routes: Record<string, View> = {
  login: loginView,
  line: lineView,
  parts: explorerView,
  part: detailView,
  charts: chartsView,
  queue: queueView,
  spc: spcView,
  alerts: alertsView,
};

const NAV: [string, Key][] = [
  ["line", "nav.line"],
  ["parts", "nav.parts"],
  ["charts", "nav.charts"],
  ["spc", "nav.spc"],
  ["queue", "nav.queue"],
  ["alerts", "nav.alerts"],
];

const app = document.getElementById("app") as HTMLElement;
let cleanup: Cleanup | void;

function parseHash(): { name: string; arg: string; params: URLSearchParams } {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, qs = ""] = raw.split("?", 2);
  const slash = path.indexOf("/");
  const name = slash < 0 ? path : path.slice(0, slash);
  let arg = slash < 0 ? "" : path.slice(slash + 1);
  try {
    arg = decodeURIComponent(arg);
  } catch {
    arg = "";
  }
  return { name: name || "line", arg, params: new URLSearchParams(qs) };
}

function navigate(hash: string): void {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function liveBadge(): HTMLElement {
  const el = h("span", { class: "live", id: "live-badge" });
  const show = () => {
    const s = liveState();
    el.className = `live live-${s}`;
    el.dataset.state = s;
    el.textContent = t(`live.${s}` as Key);
  };
  show();
  onLiveState(show);
  return el;
}

function header(active: string): HTMLElement {
  const me = session.me;
  const langBtn = h("button", {
    class: "lang",
    id: "lang-toggle",
    type: "button",
    title: t("lang.switch.title"),
    text: t("lang.switch"),
    on: {
      click: () => {
        setLang(getLang() === "en" ? "zh" : "en");
        render();
      },
    },
  });
  const right = h("div", { class: "hdr-right" }, langBtn);
  if (me) {
    right.prepend(
      liveBadge(),
      h(
        "span",
        { class: "who", id: "who" },
        h("span", { class: "who-name", text: me.user }),
        h("span", { class: "who-role", text: t(`role.${me.role}` as Key) }),
      ),
    );
    right.append(
      h("button", {
        type: "button",
        class: "logout",
        id: "logout",
        text: t("user.logout"),
        on: {
          click: async () => {
            try {
              await api.logout();
            } catch {
              // the session is dropped here either way
            }
            session.me = null;
            stopLive();
            navigate("#/login");
          },
        },
      }),
    );
  }
  const nav = h("nav", { class: "nav" });
  if (me)
    for (const [name, key] of NAV)
      nav.append(
        h(
          "a",
          { href: `#/${name}`, class: name === active ? "active" : "", data: { nav: name } },
          t(key),
          name === "alerts" ? alertBadge() : null,
        ),
      );
  return h(
    "header",
    { class: "hdr" },
    h(
      "div",
      { class: "brand" },
      h("span", { class: "logo", text: t("app.title") }),
      h("span", { class: "sub", text: t("app.subtitle") }),
    ),
    nav,
    right,
  );
}

function render(): void {
  if (cleanup) cleanup();
  cleanup = undefined;
  let { name, arg, params } = parseHash();
  if (!session.me && name !== "login") {
    const next = location.hash || "#/line";
    name = "login";
    params = new URLSearchParams({ next });
  }
  if (session.me) startLive(sessionOk); // once per login; a no-op while the stream is open
  const view = routes[name] ?? lineView;
  document.title = `${t("app.title")} · ${t((NAV.find((n) => n[0] === name)?.[1] ?? "app.subtitle") as Key)}`;
  clear(app);
  const main = h("main", { class: `view view-${name}`, id: "view", data: { view: name } });
  app.append(header(name), main);
  cleanup = view({ root: main, params, arg, navigate });
}

async function sessionOk(): Promise<boolean> {
  try {
    session.me = await api.me();
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return false;
    return true; // network trouble: keep trying
  }
}

setUnauthorizedHandler(() => {
  if (!session.me) return;
  session.me = null;
  stopLive();
  const next = location.hash;
  navigate(`#/login?${new URLSearchParams({ next })}`);
});

window.addEventListener("hashchange", render);

async function boot(): Promise<void> {
  setLang(getLang());
  try {
    session.me = await api.me();
  } catch {
    session.me = null;
  }
  render();
}

void boot();
