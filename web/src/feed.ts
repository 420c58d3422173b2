// The live feed (GET /v1/live) as the page's state: the open alarms and the dispatches the user may
// see. The snapshot comes first, then every change. After a dropped connection (or a console restart)
// it reconnects with `since` = the highest seq it has seen, so it misses nothing and shows nothing twice
// (contract: Live feed); a drop after the session ended goes back to the login instead.
import { batch, signal } from '@preact/signals';
import type { AlarmView, LiveMessage } from '../../domain/views.js';
import { ApiError, me, openFeed, type Dispatch } from './api.js';

/** How long a finished dispatch stays in view, so operators see it completed or cancelled. */
const FINISHED_DISPATCH_VISIBLE_MS = 15 * 60_000;
const FINAL_DISPATCH = new Set<Dispatch['status']>(['completed', 'cancelled']);
export const isFinal = (d: Dispatch) => FINAL_DISPATCH.has(d.status);

export const alarms = signal<ReadonlyMap<string, AlarmView>>(new Map());
export const dispatches = signal<ReadonlyMap<string, Dispatch>>(new Map());
export const connection = signal<'connecting' | 'live' | 'offline'>('connecting');
/** The first catch-up of this session is done: what arrives from now on is news (announced). */
export const synced = signal(false);

export type FeedListener = {
  /** An alarm created or changed; `news` is false for the session's first snapshot. */
  alarm?(next: AlarmView, prev: AlarmView | undefined, news: boolean): void;
  dispatch?(next: Dispatch, prev: Dispatch | undefined, news: boolean): void;
};
const listeners = new Set<FeedListener>();
export function onFeed(l: FeedListener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

let seq: number | null = null;
let socket: WebSocket | null = null;
let retry: ReturnType<typeof setTimeout> | undefined;
let sessionEnded: () => void = () => {};
/** Counts sessions: an answer that arrives after a logout belongs to an earlier one and is dropped. */
let session = 0;

// Messages update working copies; the signals get new maps at most once per frame, so a snapshot of
// hundreds of alarms renders once, not once per alarm.
const working = { alarms: new Map<string, AlarmView>(), dispatches: new Map<string, Dispatch>() };
let flushTimer: ReturnType<typeof setTimeout> | undefined;
function flush(): void {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  batch(() => {
    alarms.value = new Map(working.alarms);
    dispatches.value = new Map(working.dispatches);
  });
}
const scheduleFlush = () => {
  flushTimer ??= setTimeout(flush, 16);
};

function onMessage(m: LiveMessage): void {
  seq = Math.max(seq ?? 0, m.seq);
  if (m.type === 'synced') {
    flush();
    connection.value = 'live';
    synced.value = true;
    return;
  }
  const news = synced.peek();
  if (m.type === 'alarm') {
    const prev = working.alarms.get(m.alarm.id);
    if (m.alarm.status === 'resolved') working.alarms.delete(m.alarm.id);
    else working.alarms.set(m.alarm.id, m.alarm);
    for (const l of listeners) l.alarm?.(m.alarm, prev, news);
  } else {
    const prev = working.dispatches.get(m.dispatch.id);
    working.dispatches.set(m.dispatch.id, m.dispatch);
    const oldest = Date.now() - FINISHED_DISPATCH_VISIBLE_MS;
    for (const [id, d] of working.dispatches)
      if (isFinal(d) && Date.parse(d.updatedAt) < oldest) working.dispatches.delete(id);
    for (const l of listeners) l.dispatch?.(m.dispatch, prev, news);
  }
  scheduleFlush();
}

function connect(): void {
  clearTimeout(retry);
  connection.value = 'connecting';
  // A socket left over from an earlier session may still deliver or close: only the current one counts.
  const ws: WebSocket = openFeed(seq, {
    message: (m) => {
      if (socket === ws) onMessage(m);
    },
    closed: () => {
      if (socket !== ws) return;
      socket = null;
      connection.value = 'offline';
      retry = setTimeout(reconnect, 1000);
    },
  });
  socket = ws;
}

/** After a drop: go on with the same session, or back to the login when it has ended. */
function reconnect(): void {
  const mine = session;
  me().then(
    () => {
      if (mine === session && !socket) connect();
    },
    (err) => {
      if (mine !== session) return;
      if (err instanceof ApiError && err.status === 401) sessionEnded();
      else retry = setTimeout(reconnect, 1000);
    },
  );
}

/** Open the feed for a signed-in user; `ended` is called when a reconnect finds the session gone. */
export function startFeed(ended: () => void): void {
  sessionEnded = ended;
  if (!socket) connect();
}

/** Close the feed and forget everything it showed, so the next user of this browser starts from nothing. */
export function stopFeed(): void {
  clearTimeout(retry);
  clearTimeout(flushTimer);
  flushTimer = undefined;
  sessionEnded = () => {};
  session++;
  const ws = socket;
  socket = null;
  ws?.close();
  seq = null;
  working.alarms.clear();
  working.dispatches.clear();
  batch(() => {
    alarms.value = new Map();
    dispatches.value = new Map();
    synced.value = false;
    connection.value = 'connecting';
  });
}
