// The board's rows: open alarms grouped into incidents, most urgent first. Pure (no DOM, no clock), so
// the ordering rules are tested on their own (test/web/incidents.test.ts).
//
// Repeated presses of one device and a cancel share an `incidentId` (domain/incidents.ts): one situation,
// so one row with a count. The row acts through its most urgent open alarm; the server claims and
// resolves the incident's other open alarms with it.
import type { AlarmView } from '../../domain/views.js';

/**
 * Event types with no answer target: technical events and test transmissions are maintenance, not a
 * person waiting (the same set as domain/events.ts `isTechnicalOrTest`; the web bundle imports only
 * types from domain/, and test/web/incidents.test.ts keeps the two equal).
 */
export const NO_ANSWER_TARGET: ReadonlySet<AlarmView['type']> = new Set([
  'low_battery',
  'mains_failure',
  'mains_restored',
  'tamper',
  'heartbeat_missed',
  'test',
]);

export type Incident = {
  /** The incident id: the row's key. */
  id: string;
  /** Its open alarms, oldest first. */
  alarms: readonly AlarmView[];
  /** The most urgent triaged open alarm (else the oldest): the row shows it, and a decision is recorded on it. */
  lead: AlarmView;
  /** The most urgent open alarm nobody holds, if any: what a claim takes. */
  unclaimed: AlarmView | null;
  /** The latest event (a repeat press, a cancel). */
  newest: AlarmView;
  /** 0 while any alarm is untriaged (its urgency is not known yet, so it goes first), else the best priority. */
  priority: number;
  /** When its first open alarm was received: how long the situation has waited. */
  receivedAt: string;
  /**
   * Where it stands in the queue's time order: a due planned call or night check by its due time (its
   * `occurredAt`; it may be raised late), any other alarm by its receipt.
   */
  dueAt: string;
  /** A due item's deadline, its window's end (the earliest of its open items nobody holds); null for alarms. */
  answerBy: string | null;
  /** When its oldest alarm nobody holds was received; null when every alarm is held. */
  unansweredSince: string | null;
  /** Who holds its alarms. */
  holders: readonly string[];
  /** Escalated by the server (past the answer target, or unresolved too long). */
  escalation: { reason: 'unanswered' | 'unresolved'; at: string | null } | null;
  /** Whether an answer target applies (not for technical events and tests). */
  answerTarget: boolean;
};

/** Untriaged alarms count as the most urgent until triage says otherwise. */
export const urgency = (a: AlarmView): number => a.triage?.priority ?? 0;

const time = (iso: string) => Date.parse(iso);

/**
 * Within an incident, what is known leads: triaged alarms by priority, then untriaged ones (a cancel
 * or a repeat just arrived must not stand for the press it follows), then the longest waiting.
 */
const leadRank = (a: AlarmView) => a.triage?.priority ?? 6;
const byLead = (a: AlarmView, b: AlarmView) =>
  leadRank(a) - leadRank(b) || time(a.receivedAt) - time(b.receivedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Most urgent first: priority (an incident with an untriaged alarm first), then the longest waiting, a
 * due planned call or night check counting from its due time.
 */
export const compareIncidents = (a: Incident, b: Incident) =>
  a.priority - b.priority || time(a.dueAt) - time(b.dueAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A due item of planned work (raised from a schedule) is due at its occurredAt; an alarm at its receipt. */
const dueTimeOf = (a: AlarmView) => (a.answerBy ? a.occurredAt : a.receivedAt);

/** Why an alarm's escalation was raised; a change from before the reason was sent tells by its holder. */
const reasonOf = (a: AlarmView) => a.escalation?.reason ?? (a.claimedBy === null ? 'unanswered' : 'unresolved');

/**
 * Whether the alarm's escalation still asks for someone. `escalated` stays true as history once raised
 * (README, contract notes); an `unanswered` escalation is over once the alarm is claimed, an
 * `unresolved` one once it is resolved.
 */
export function asksForSomeone(a: AlarmView): boolean {
  if (!a.escalated) return false;
  return reasonOf(a) === 'unanswered' ? a.status === 'received' || a.status === 'triaged' : a.status === 'claimed';
}

function incidentOf(id: string, alarms: AlarmView[]): Incident {
  const oldestFirst = alarms.sort((a, b) => time(a.receivedAt) - time(b.receivedAt) || (a.id < b.id ? -1 : 1));
  const urgent = [...oldestFirst].sort(byLead);
  const lead = urgent[0]!;
  const unclaimed = urgent.find((a) => a.claimedBy === null) ?? null;
  const unheld = oldestFirst.find((a) => a.claimedBy === null);
  const escalated = oldestFirst.find(asksForSomeone);
  return {
    id,
    alarms: oldestFirst,
    lead,
    unclaimed,
    newest: oldestFirst[oldestFirst.length - 1]!,
    priority: Math.min(...oldestFirst.map(urgency)),
    receivedAt: oldestFirst[0]!.receivedAt,
    dueAt: oldestFirst.map(dueTimeOf).reduce((x, y) => (time(y) < time(x) ? y : x)),
    answerBy:
      oldestFirst
        .filter((a) => a.claimedBy === null && a.answerBy)
        .map((a) => a.answerBy!)
        .sort((x, y) => time(x) - time(y))[0] ?? null,
    unansweredSince: unheld?.receivedAt ?? null,
    holders: [...new Set(oldestFirst.flatMap((a) => (a.claimedBy === null ? [] : [a.claimedBy])))],
    escalation: escalated
      ? {
          reason: reasonOf(escalated),
          at: escalated.escalation?.at ?? null,
        }
      : null,
    answerTarget: oldestFirst.some((a) => !NO_ANSWER_TARGET.has(a.type)),
  };
}

/** The open alarms as incident rows, most urgent first. */
export function incidentsOf(alarms: Iterable<AlarmView>): Incident[] {
  const groups = new Map<string, AlarmView[]>();
  for (const a of alarms) {
    if (a.status === 'resolved') continue;
    const g = groups.get(a.incidentId);
    if (g) g.push(a);
    else groups.set(a.incidentId, [a]);
  }
  return [...groups].map(([id, g]) => incidentOf(id, g)).sort(compareIncidents);
}

/** Seconds the incident has waited for an answer at `now` (ms), or null when nobody is waiting. */
export const unansweredSeconds = (i: Incident, now: number): number | null =>
  i.unansweredSince === null ? null : Math.max(0, Math.floor((now - time(i.unansweredSince)) / 1000));

/**
 * Past the municipality's answer target with nobody answering: overdue, whether or not the server has
 * escalated it yet (its loop runs every few seconds; the operator should not wait for it). A due item of
 * planned work is overdue past its window's end instead.
 */
export function isOverdue(i: Incident, answerTargetSeconds: number, now: number): boolean {
  if (i.answerBy !== null) return i.unansweredSince !== null && now >= time(i.answerBy);
  const waited = unansweredSeconds(i, now);
  return i.answerTarget && waited !== null && waited >= answerTargetSeconds;
}

export const STATUS_FILTERS = ['all', 'unclaimed', 'taken', 'escalated'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export type Filters = {
  /** Municipality ids to show; empty shows all. */
  municipalities: readonly string[];
  status: StatusFilter;
};

export function passes(i: Incident, f: Filters, overdue: boolean): boolean {
  if (f.municipalities.length > 0 && !f.municipalities.includes(i.lead.municipality)) return false;
  switch (f.status) {
    case 'all':
      return true;
    case 'unclaimed':
      return i.unclaimed !== null;
    case 'taken':
      return i.unclaimed === null;
    case 'escalated':
      return i.escalation !== null || overdue;
  }
}
