// views/line.ts: one tile per machine (state, die, yield this shift, last parts), kept live by
// the event stream. The shift totals are re-read from the server once a minute.

import { api, type MachineEvent, type MachineStatus, type PartSummary } from "../api";
import { append, clear, h } from "../dom";
import { fmtDateTime, fmtNumber, fmtPercent, fmtTime, reasonName, t } from "../i18n";
import { onMachineEvent, onPart } from "../live";
import { applyEvent, applyPart, emptyMachine, naturalCompare } from "../logic";
import { errorBox, stateBadge, thumbnail, type View } from "../ui";

const THUMBS = 6;
const REFRESH_MS = 60_000;

interface Tile {
  status: MachineStatus;
  parts: PartSummary[]; // newest first, at most THUMBS
  el: HTMLElement;
}

// The line's state outlives the view (a language switch or a visit to another view re-mounts
// it): live parts keep counting in the background while the tab is logged in.
const kept = { statuses: new Map<string, MachineStatus>(), parts: new Map<string, PartSummary[]>(), sinceMs: 0, liveCount: 0 };
let mounted: { part: (p: PartSummary) => void; machine: (e: MachineEvent) => void } | null = null;
onPart((p) => {
  if (mounted) return mounted.part(p);
  const list = kept.parts.get(p.machine) ?? [];
  if (list.some((q) => q.part_id === p.part_id)) return;
  kept.parts.set(p.machine, [p, ...list].slice(0, THUMBS));
  kept.statuses.set(p.machine, applyPart(kept.statuses.get(p.machine) ?? emptyMachine(p.machine), p, kept.sinceMs));
  kept.liveCount++;
});
onMachineEvent((e) => {
  if (mounted) return mounted.machine(e);
  kept.statuses.set(e.machine, applyEvent(kept.statuses.get(e.machine) ?? emptyMachine(e.machine), e));
});

export const lineView: View = ({ root }) => {
  const tiles = new Map<string, Tile>();
  let sinceMs = kept.sinceMs;
  let liveCount = kept.liveCount;
  let gone = false;

  const shiftInfo = h("span", { class: "muted", id: "shift-since" });
  const liveCountEl = h("span", { class: "live-count", id: "live-count", data: { count: "0" } });
  const grid = h("div", { class: "tiles", id: "tiles" });
  const err = h("div");
  root.append(h("div", { class: "view-head" }, h("h1", { text: t("line.title") }), shiftInfo, liveCountEl), err, grid);

  const showLiveCount = () => {
    liveCountEl.textContent = t("line.live_parts", { n: fmtNumber(liveCount) });
    liveCountEl.dataset.count = String(liveCount);
  };
  showLiveCount();

  function renderTile(tile: Tile): void {
    const m = tile.status;
    const el = tile.el;
    clear(el);
    el.className = `tile tile-${m.state}`;
    el.dataset.machine = m.machine;
    el.dataset.state = m.state;
    const thumbs = h("div", { class: "thumbs" });
    if (tile.parts.length === 0) thumbs.append(h("div", { class: "muted", text: t("line.no_parts") }));
    for (const p of tile.parts) thumbs.append(thumbnail(p));
    const since = m.state_since_ms
      ? h(
          "span",
          { class: "muted", title: fmtDateTime(m.state_since_ms) },
          t("line.since", { time: fmtTime(m.state_since_ms) }),
          m.reason ? ` · ${reasonName(m.reason)}` : "",
          !m.planned && m.state !== "running" ? ` · ${t("line.unplanned")}` : "",
        )
      : null;
    append(
      el,
      h("div", { class: "tile-head" }, h("span", { class: "machine", text: m.machine }), stateBadge(m.state)),
      h(
        "div",
        { class: "tile-meta" },
        h("span", {}, `${t("line.die")} `, h("b", { text: m.die || t("common.none") })),
        since,
      ),
      h(
        "div",
        { class: "tile-kpi" },
        h(
          "div",
          { class: "kpi-yield" },
          h("span", { class: "kpi-label", text: t("line.yield") }),
          h("span", { class: "kpi-value", data: { yield: String(m.yield) }, text: m.parts ? fmtPercent(m.yield) : "—" }),
        ),
        h(
          "div",
          { class: "kpi-counts" },
          h("span", {}, `${t("line.parts")} `, h("b", { text: fmtNumber(m.parts) })),
          h("span", { class: "c-reject" }, `${t("line.rejects")} `, h("b", { text: fmtNumber(m.rejects) })),
          h("span", { class: "c-hold" }, `${t("line.holds")} `, h("b", { text: fmtNumber(m.holds) })),
        ),
      ),
      thumbs,
    );
  }

  function tileFor(machine: string): Tile {
    let tile = tiles.get(machine);
    if (!tile) {
      tile = { status: emptyMachine(machine), parts: [], el: h("section", { class: "tile" }) };
      tiles.set(machine, tile);
      const order = [...tiles.keys()].sort(naturalCompare);
      const next = order[order.indexOf(machine) + 1];
      grid.insertBefore(tile.el, next ? (tiles.get(next)?.el ?? null) : null);
    }
    return tile;
  }

  async function load(withParts: boolean): Promise<void> {
    try {
      const r = await api.machines();
      if (gone) return;
      sinceMs = r.since_ms;
      shiftInfo.textContent = t("line.shift_since", { time: fmtDateTime(sinceMs) });
      clear(err);
      for (const m of r.machines) {
        const tile = tileFor(m.machine);
        tile.status = m;
        renderTile(tile);
      }
      if (r.machines.length === 0 && tiles.size === 0)
        grid.append(h("p", { class: "muted", id: "no-machines", text: t("line.no_machines") }));
      if (!withParts) return;
      await Promise.all(
        r.machines.map(async (m) => {
          const page = await api.parts({ machine: m.machine, limit: THUMBS });
          if (gone) return;
          const tile = tileFor(m.machine);
          // Live parts may have arrived meanwhile: merge, newest first, no duplicates.
          const seen = new Set(tile.parts.map((p) => p.part_id));
          tile.parts = [...tile.parts, ...page.parts.filter((p) => !seen.has(p.part_id))]
            .sort((a, b) => b.time_ms - a.time_ms)
            .slice(0, THUMBS);
          renderTile(tile);
        }),
      );
    } catch (e) {
      if (gone) return;
      clear(err);
      err.append(errorBox(e));
    }
  }

  for (const [machine, status] of [...kept.statuses].sort((a, b) => naturalCompare(a[0], b[0]))) {
    const tile = tileFor(machine);
    tile.status = status;
    tile.parts = kept.parts.get(machine) ?? [];
    renderTile(tile);
  }
  if (sinceMs) shiftInfo.textContent = t("line.shift_since", { time: fmtDateTime(sinceMs) });

  const onLivePart = (p: PartSummary) => {
    document.getElementById("no-machines")?.remove();
    const tile = tileFor(p.machine);
    if (tile.parts.some((q) => q.part_id === p.part_id)) return;
    tile.status = applyPart(tile.status, p, sinceMs);
    tile.parts = [p, ...tile.parts].slice(0, THUMBS);
    liveCount++;
    showLiveCount();
    renderTile(tile);
  };
  const onLiveMachine = (e: MachineEvent) => {
    const tile = tileFor(e.machine);
    tile.status = applyEvent(tile.status, e);
    renderTile(tile);
  };
  mounted = { part: onLivePart, machine: onLiveMachine };
  const timer = window.setInterval(() => void load(false), REFRESH_MS);
  void load(true);

  return () => {
    gone = true;
    mounted = null;
    window.clearInterval(timer);
    kept.sinceMs = sinceMs;
    kept.liveCount = liveCount;
    for (const [machine, tile] of tiles) {
      kept.statuses.set(machine, tile.status);
      kept.parts.set(machine, tile.parts);
    }
  };
};
