// Triage of alarms: gather their context, classify (pure rules), store the advice idempotently. The
// alarms of the jobs a lane runs at once share one transaction (`triageAlarms`).
//
// Everything happens in a transaction that first locks the alarms' rows, and the rows of the alarms
// their cancels relate to, in one statement, in id order (so two triages never deadlock). The lock is
// what makes a cancel and its press safe to triage in any order, on any workers: whichever transaction
// takes the press's row second sees the other's committed work (a press triaged after the cancel was
// stored sees the cancel; a cancel triaged after the press was triaged re-advises it). The statements,
// and why a triage takes four round trips however many alarms it holds, are in db/triage.ts.
import { keepMaintenanceTasks } from '../../db/maintenance.js';
import { lockAlarmsForTriage, storeAdvice, type LockedAlarm } from '../../db/triage.js';
import type { AlarmRow } from '../../db/schema.js';
import type { EventType, VoiceState } from '../../domain/events.js';
import { attemptOf, classify, type Triage } from '../../domain/triage.js';
import { localHour } from '../../domain/time.js';
import { isDatabaseUnavailable } from '../../platform/errors.js';
import { hotDbFor, type Runtime } from '../../platform/runtime.js';

export type TriageOutcome =
  | { result: 'triaged'; alarm: AlarmRow; triage: Triage; readvised: AlarmRow | null }
  | { result: 'already_triaged' | 'missing' };

/** The advice for a locked alarm, from its row and the context read with the lock (exported for the benchmark). */
export function advise(l: LockedAlarm, cancelled = l.cancelled): Triage {
  const a = l.row;
  return classify({
    type: a.type as EventType,
    voice: a.voice as VoiceState | null,
    unknownDevice: a.unknown_device,
    batteryPercent: a.battery_percent,
    occurredAt: new Date(a.occurred_at),
    receivedAt: new Date(a.received_at),
    localHour: localHour(new Date(a.occurred_at)),
    earlierInIncident: l.earlierInIncident,
    cancelled,
    cancelledAfterSeconds: l.cancelledAfterSeconds,
    evidence: l.evidence,
    lastVisitAt: l.lastVisitAt,
    recentTechnical: l.recentTechnical,
    settings: l.settings,
    attempt: attemptOf(a.details),
  });
}

const withAdvice = (row: AlarmRow, t: Triage): AlarmRow => ({
  ...row,
  triage_class: t.class,
  triage_priority: t.priority,
  triage_confidence: t.confidence,
  triage_reasons: t.reasons,
  triage_reason_keys: t.reasonKeys,
  triage_learning: t.learning,
});

/** Who resolved an alarm that closed itself (the municipality's self-closing types). */
export const SELF_CLOSED_BY = 'triage';

/** An alarm nobody has taken, resolved by triage as a false alarm. */
const closedByTriage = (row: AlarmRow, now: Date): AlarmRow => ({
  ...row,
  status: 'resolved',
  outcome: 'false_alarm',
  resolved_by: SELF_CLOSED_BY,
  resolved_at: now,
});

/** The advice for a locked, untriaged alarm, and its row with the advice stored. */
function triaged(locked: LockedAlarm): Extract<TriageOutcome, { result: 'triaged' }> {
  const triage = advise(locked);
  const advised: AlarmRow = {
    ...withAdvice(locked.row, triage),
    triaged_at: locked.now,
    // An operator may have claimed it before triage: the claim stands.
    status: locked.row.status === 'received' ? 'triaged' : locked.row.status,
  };
  // A type the municipality lets close itself, while nobody has taken it.
  const alarm = triage.closesItself && locked.row.status === 'received' ? closedByTriage(advised, locked.now) : advised;
  return { result: 'triaged', alarm, triage, readvised: null };
}

const isRestoreOfAnother = (row: AlarmRow) => row.type === 'mains_restored' && row.relates_to !== null;

const isCancelOfAnother = (row: AlarmRow) => row.type === 'cancel' && row.relates_to !== null;

/**
 * Triage alarms (a job's, or several jobs'), in one transaction: one outcome per id. Idempotent: an
 * alarm already triaged is left as it is and no change is appended, so a re-delivered job changes
 * nothing. An operator's claim or decision is never overwritten. A cancel re-advises the alarm it
 * relates to in the same transaction (`readviseCancelledPress`).
 */
export async function triageAlarms(rt: Runtime, alarmIds: readonly string[]): Promise<Map<string, TriageOutcome>> {
  const wanted = new Set(alarmIds);
  const outcomes = new Map<string, TriageOutcome>();
  const db = hotDbFor(rt, alarmIds.length);
  const stored = await db.transaction().execute(async (trx) => {
    const locked = await lockAlarmsForTriage(trx, alarmIds);
    // Every row to store, by id, in the order they are advised.
    const advised = new Map<string, AlarmRow>();
    for (const l of locked) {
      if (!wanted.has(l.row.id)) continue;
      if (l.row.triaged_at !== null) outcomes.set(l.row.id, { result: 'already_triaged' });
      else {
        const outcome = triaged(l);
        outcomes.set(l.row.id, outcome);
        advised.set(l.row.id, outcome.alarm);
      }
    }
    for (const outcome of outcomes.values()) {
      if (outcome.result !== 'triaged' || !isCancelOfAnother(outcome.alarm)) continue;
      const cancel = outcome.alarm;
      const press = locked.find((l) => l.row.gateway_id === cancel.gateway_id && l.row.event_id === cancel.relates_to);
      // Triaged in this transaction: its own triage saw the cancel.
      if (!press || advised.has(press.row.id)) continue;
      outcome.readvised = readviseCancelledPress(press);
      if (outcome.readvised) advised.set(press.row.id, outcome.readvised);
    }
    // A restore that closed itself closes the failure it restores with it (a restored pair), when the
    // failure has been triaged and nobody has taken it.
    for (const outcome of outcomes.values()) {
      if (outcome.result !== 'triaged' || outcome.alarm.status !== 'resolved' || !isRestoreOfAnother(outcome.alarm))
        continue;
      const restore = outcome.alarm;
      const failure = locked.find(
        (l) => l.row.gateway_id === restore.gateway_id && l.row.event_id === restore.relates_to,
      );
      if (!failure || failure.row.type !== 'mains_failure') continue;
      const current = advised.get(failure.row.id) ?? failure.row;
      if (current.status !== 'triaged' || current.claimed_by !== null) continue;
      advised.set(current.id, closedByTriage(current, failure.now));
    }
    await storeAdvice(trx, [...advised.values()]);
    // Technical alarms open, count and close their units' maintenance tasks (db/maintenance.ts).
    await keepMaintenanceTasks(
      trx,
      [...outcomes.values()].flatMap((o) => (o.result === 'triaged' ? [o.alarm] : [])),
    );
    return advised.size;
  });
  if (stored > 0) await rt.feed.published();
  for (const id of alarmIds) if (!outcomes.has(id)) outcomes.set(id, { result: 'missing' });
  return outcomes;
}

/** One alarm's triage, or the error that kept it from being stored. */
export type TriageResult = { ok: true; outcome: TriageOutcome } | { ok: false; error: unknown };

/**
 * `triageAlarms`, but a failure tied to one alarm fails that alarm alone: when the shared transaction
 * fails for a reason other than an unavailable database, its alarms are triaged again in halves, down to
 * the ones that fail on their own. Without a failure this is one transaction, as `triageAlarms`.
 */
export async function triageIsolating(rt: Runtime, alarmIds: readonly string[]): Promise<Map<string, TriageResult>> {
  try {
    const outcomes = await triageAlarms(rt, alarmIds);
    return new Map([...outcomes].map(([id, outcome]) => [id, { ok: true, outcome }]));
  } catch (error) {
    if (alarmIds.length <= 1 || isDatabaseUnavailable(error))
      return new Map(alarmIds.map((id) => [id, { ok: false, error }]));
    const mid = Math.ceil(alarmIds.length / 2);
    const first = await triageIsolating(rt, alarmIds.slice(0, mid));
    return new Map([...first, ...(await triageIsolating(rt, alarmIds.slice(mid)))]);
  }
}

/** Triage one alarm, as `triageAlarms`. */
export async function triageAlarm(rt: Runtime, alarmId: string): Promise<TriageOutcome> {
  return (await triageAlarms(rt, [alarmId])).get(alarmId)!;
}

/**
 * A cancel that arrives after its press was triaged: advise the press (locked, with its context) again
 * as cancelled, while no operator has taken it. The safety floors still hold (a pendant with no answer
 * stays a dispatch; a cancel later than the municipality's window leaves it for a call, saying so). Returns
 * the press's new row when its advice or reasons changed.
 */
function readviseCancelledPress(press: LockedAlarm): AlarmRow | null {
  // Not yet triaged: its own triage will see the cancel. Claimed or resolved: the operator has it.
  if (press.row.status !== 'triaged' || press.row.claimed_by !== null) return null;
  const advice = advise(press, true);
  const sameReasons = JSON.stringify(advice.reasons) === JSON.stringify(press.row.triage_reasons);
  if (advice.class === press.row.triage_class && advice.priority === press.row.triage_priority && sameReasons)
    return null;
  return withAdvice(press.row, advice);
}
