// live.ts: the one Server-Sent Events connection (/api/v1/stream) of a logged-in tab. The
// browser's EventSource reconnects on its own and sends Last-Event-ID, so nothing is missed;
// if the server closes the stream for good (e.g. the session expired) we check the session and
// open a fresh one after a pause.

import type { AlertMessage, MachineEvent, PartSummary } from "./api";

export type LiveState = "live" | "reconnecting" | "offline";

type PartFn = (p: PartSummary) => void;
type MachineFn = (e: MachineEvent) => void;
type StateFn = (s: LiveState) => void;
type AlertFn = (m: AlertMessage) => void;

const partFns = new Set<PartFn>();
const machineFns = new Set<MachineFn>();
const stateFns = new Set<StateFn>();
const alertFns = new Set<AlertFn>();
let source: EventSource | null = null;
let state: LiveState = "offline";
let retryTimer: number | undefined;
let checkSession: () => Promise<boolean> = async () => true;

function setState(s: LiveState): void {
  if (s === state) return;
  state = s;
  for (const fn of stateFns) fn(s);
}

function parse<T>(ev: MessageEvent): T | null {
  try {
    return JSON.parse(String(ev.data)) as T;
  } catch {
    return null;
  }
}

// Opens the stream (once); `sessionOk` is asked before reopening a stream the server closed.
export function startLive(sessionOk: () => Promise<boolean>): void {
  checkSession = sessionOk;
  if (source) return;
  const es = new EventSource("/api/v1/stream", { withCredentials: true });
  source = es;
  setState("reconnecting");
  es.onopen = () => setState("live");
  es.onerror = () => {
    if (es.readyState === EventSource.CONNECTING) {
      setState("reconnecting");
      return;
    }
    // CLOSED: the browser gave up (an HTTP error such as 401). Check the session, then retry.
    es.close();
    if (source === es) source = null;
    setState("offline");
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(async () => {
      if (await checkSession()) startLive(checkSession);
    }, 3000);
  };
  es.addEventListener("part", (ev) => {
    const p = parse<PartSummary>(ev as MessageEvent);
    if (p && typeof p.part_id === "string") for (const fn of partFns) fn(p);
  });
  es.addEventListener("machine", (ev) => {
    const e = parse<MachineEvent>(ev as MessageEvent);
    if (e && typeof e.machine === "string") for (const fn of machineFns) fn(e);
  });
  es.addEventListener("alert", (ev) => {
    const m = parse<AlertMessage>(ev as MessageEvent);
    if (m && m.alert && typeof m.alert.id === "number") for (const fn of alertFns) fn(m);
  });
}

export function stopLive(): void {
  window.clearTimeout(retryTimer);
  source?.close();
  source = null;
  setState("offline");
}

export function liveState(): LiveState {
  return state;
}

// Each on* returns the function that unsubscribes.
export function onPart(fn: PartFn): () => void {
  partFns.add(fn);
  return () => partFns.delete(fn);
}

export function onMachineEvent(fn: MachineFn): () => void {
  machineFns.add(fn);
  return () => machineFns.delete(fn);
}

export function onAlert(fn: AlertFn): () => void {
  alertFns.add(fn);
  return () => alertFns.delete(fn);
}

export function onLiveState(fn: StateFn): () => void {
  stateFns.add(fn);
  return () => stateFns.delete(fn);
}
