// One line per triaged alarm as it reaches the operator's live feed, timed from the gateway's 202, and a
// summary line every so often. The 202 and the feed message travel on different connections, so either
// may come first: each waits for the other, as long as a send for that unit is still in flight.
import type { AlarmView } from '../../domain/views.js';
import type { Accepted, Delivery } from '../simulator/gateway.js';

/** An event reaching ingest this late came from a backlog: say so on its line. */
const LATE_AFTER_MS = 5 * 60_000;
/** Halves not matched within this long are forgotten (an answer lost, an alarm changed much later). */
const FORGET_AFTER_MS = 120_000;

type Half = { at: number; alarm?: AlarmView; accepted?: Accepted };
type Counts = { sent: number; accepted: number; duplicates: number; refused: number; triaged: number };
const zero = (): Counts => ({ sent: 0, accepted: 0, duplicates: 0, refused: 0, triaged: 0 });

export type TriageLogOptions = {
  write?: (line: string) => void;
  /** Alarms received before this (Date.now() ms) are not printed: earlier runs' alarms changing now. */
  since?: number;
  now?: () => number;
  clock?: () => Date;
};

export class TriageLog {
  private readonly halves = new Map<string, Half>();
  private readonly printed = new Set<string>();
  private readonly inFlight = new Map<string, number>();
  private window: number[] = [];
  private recent = zero();
  private readonly total = zero();
  private readonly write: (line: string) => void;
  private readonly since: number;
  private readonly now: () => number;
  private readonly clock: () => Date;

  constructor(opts: TriageLogOptions = {}) {
    this.write = opts.write ?? ((l) => console.log(l));
    this.since = opts.since ?? 0;
    this.now = opts.now ?? (() => performance.now());
    this.clock = opts.clock ?? (() => new Date());
  }

  /** Events are about to be posted for these units. */
  sending(deviceIds: readonly string[]): void {
    this.count('sent', deviceIds.length);
    for (const d of deviceIds) this.inFlight.set(d, (this.inFlight.get(d) ?? 0) + 1);
  }

  /** The posts for these units are answered (or given up): alarms of theirs still unmatched are not ours. */
  settled(deviceIds: readonly string[]): void {
    for (const d of deviceIds) {
      const n = (this.inFlight.get(d) ?? 1) - 1;
      if (n > 0) this.inFlight.set(d, n);
      else {
        this.inFlight.delete(d);
        for (const [id, h] of this.halves) if (h.alarm?.deviceId === d && !h.accepted) this.print(id, h.alarm);
      }
    }
  }

  /** Every answer of ingest: duplicates and refusals are counted, not printed. */
  delivered(d: Delivery): void {
    if ('error' in d) this.count('refused');
    else if (d.duplicate) this.count('duplicates');
  }

  /** Posts given up after their retries (ingest unreachable): counted as refused. */
  gaveUp(events: number): void {
    this.count('refused', events);
  }

  /** A new alarm: its 202 arrived. */
  accepted(a: Accepted): void {
    this.count('accepted');
    if (this.printed.has(a.alarmId)) return;
    const h = this.halves.get(a.alarmId);
    if (h?.alarm) this.print(a.alarmId, h.alarm, h.at - a.acceptedAt);
    else this.halves.set(a.alarmId, { at: a.acceptedAt, accepted: a });
  }

  /** An alarm message on the live feed, `at` = performance.now() on arrival. */
  seen(alarm: AlarmView, at: number): void {
    if (!alarm.triage || this.printed.has(alarm.id)) return;
    const h = this.halves.get(alarm.id);
    if (h?.accepted) return this.print(alarm.id, alarm, at - h.accepted.acceptedAt);
    if (h) return; // already waiting for its 202
    if (this.inFlight.has(alarm.deviceId)) this.halves.set(alarm.id, { at, alarm });
    else if (Date.parse(alarm.receivedAt) >= this.since) this.print(alarm.id, alarm); // not sent by us
  }

  /** The counts since the last summary and the 202 → feed percentiles; then a new period starts. */
  summary(label: string): string {
    const xs = [...this.window].sort((a, b) => a - b);
    const q = (p: number) => (xs.length ? Math.round(xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!) : '–');
    const r = this.recent;
    const t = this.total;
    const refused = r.refused ? `, refused ${r.refused}` : '';
    const line =
      `-- ${time(this.clock())}  ${label}: sent ${r.sent}, accepted ${r.accepted}, duplicates ${r.duplicates}, ` +
      `triaged ${r.triaged}${refused}; 202 → feed p50 ${q(0.5)} ms, p99 ${q(0.99)} ms ` +
      `(since start: sent ${t.sent}, accepted ${t.accepted}, duplicates ${t.duplicates}, triaged ${t.triaged})`;
    this.window = [];
    this.recent = zero();
    this.forgetOld();
    return line;
  }

  private count(k: keyof Counts, n = 1): void {
    this.recent[k] += n;
    this.total[k] += n;
  }

  private print(alarmId: string, alarm: AlarmView, ms?: number): void {
    this.halves.delete(alarmId);
    if (this.printed.has(alarmId)) return;
    this.printed.add(alarmId);
    this.count('triaged');
    if (ms !== undefined) this.window.push(Math.max(0, ms));
    this.write(triageLine(alarm, ms, this.clock()));
  }

  private forgetOld(): void {
    const cutoff = this.now() - FORGET_AFTER_MS;
    for (const [id, h] of this.halves) if (h.at < cutoff) this.halves.delete(id);
    if (this.printed.size > 100_000) this.printed.clear();
  }
}

const time = (d: Date) => d.toLocaleTimeString('en-GB', { hour12: false });

/** E.g. `21:03:11  aabenraa            pendant           → phone_resolvable  p3     14 ms`. */
export function triageLine(a: AlarmView, ms: number | undefined, at: Date): string {
  const t = a.triage!;
  const late = Date.parse(a.receivedAt) - Date.parse(a.occurredAt);
  const notes = [
    a.unknownDevice ? 'unknown device' : '',
    late > LATE_AFTER_MS ? `backlog: occurred ${Math.round(late / 60_000)} min earlier` : '',
  ].filter(Boolean);
  const shown = ms === undefined ? '' : `${ms < 1 ? '<1' : Math.round(ms)} ms`.padStart(8);
  const tail = notes.length ? `  (${notes.join('; ')})` : '';
  return `${time(at)}  ${a.municipality.padEnd(19)} ${a.type.padEnd(17)} → ${t.class.padEnd(17)} p${t.priority}${shown}${tail}`;
}
