// Triage of alarms: gather their context, classify (pure rules), store the advice idempotently. A job's
// alarms share one transaction (`triageAlarms`); a cancel that relates to a press is triaged on its own
// (`triageAlarm`), as it may re-advise the press.
//
// Everything happens in a transaction that first locks the alarms' rows. The lock is what makes a
// cancel and its press safe to triage in any order, on any workers: whichever transaction takes the
// press's row second sees the other's committed work (a press triaged after the cancel was stored
// sees the cancel; a cancel triaged after the press was triaged re-advises it). The statements, and
// why the common path takes four round trips, are in db/triage.ts.
import type { Trx } from '../../db/connect.js';
import { lockAlarmsForTriage, lockCancelledAlarm, storeAdvice, type LockedAlarm } from '../../db/triage.js';
import type { AlarmRow } from '../../db/schema.js';
import type { EventType, VoiceState } from '../../domain/events.js';
import { classify, type Triage } from '../../domain/triage.js';
import { localHour } from '../../domain/time.js';
import type { Runtime } from '../../platform/runtime.js';

export type TriageOutcome =
  | { result: 'triaged'; alarm: AlarmRow; triage: Triage; readvised: AlarmRow | null }
  | { result: 'already_triaged' | 'missing' };

function advise(l: LockedAlarm, cancelled = l.cancelled): Triage {
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
  });
}

const withAdvice = (row: AlarmRow, t: Triage): AlarmRow => ({
  ...row,
  triage_class: t.class,
  triage_priority: t.priority,
  triage_confidence: t.confidence,
  triage_reasons: t.reasons,
});

/** The advice for a locked, untriaged alarm, and its row with the advice stored. */
function triaged(locked: LockedAlarm): { result: 'triaged'; alarm: AlarmRow; triage: Triage; readvised: null } {
  const triage = advise(locked);
  const alarm: AlarmRow = {
    ...withAdvice(locked.row, triage),
    triaged_at: locked.now,
    // An operator may have claimed it before triage: the claim stands.
    status: locked.row.status === 'received' ? 'triaged' : locked.row.status,
  };
  return { result: 'triaged', alarm, triage, readvised: null };
}

const isCancelOfAnother = (row: AlarmRow) => row.type === 'cancel' && row.relates_to !== null;

/**
 * Triage alarms (a job's), in one transaction: one outcome per id. Idempotent: an alarm already
 * triaged is left as it is and no change is appended, so a re-delivered job changes nothing. An
 * operator's claim or decision is never overwritten. A cancel of another alarm is triaged after the
 * others, in a transaction of its own (`triageAlarm`).
 */
export async function triageAlarms(rt: Runtime, alarmIds: readonly string[]): Promise<Map<string, TriageOutcome>> {
  const outcomes = new Map<string, TriageOutcome>();
  const cancels: string[] = [];
  const stored = await rt.db.transaction().execute(async (trx) => {
    const advised: AlarmRow[] = [];
    for (const locked of await lockAlarmsForTriage(trx, alarmIds)) {
      const id = locked.row.id;
      if (locked.row.triaged_at !== null) outcomes.set(id, { result: 'already_triaged' });
      else if (isCancelOfAnother(locked.row)) cancels.push(id);
      else {
        const outcome = triaged(locked);
        outcomes.set(id, outcome);
        advised.push(outcome.alarm);
      }
    }
    await storeAdvice(trx, advised);
    return advised.length;
  });
  if (stored > 0) await rt.feed.published();
  for (const id of cancels) outcomes.set(id, await triageAlarm(rt, id));
  for (const id of alarmIds) if (!outcomes.has(id)) outcomes.set(id, { result: 'missing' });
  return outcomes;
}

/**
 * Triage one alarm, idempotently as `triageAlarms`. A cancel re-advises its press in the same
 * transaction (see `readviseCancelledPress`).
 */
export async function triageAlarm(rt: Runtime, alarmId: string): Promise<TriageOutcome> {
  const outcome = await rt.db.transaction().execute(async (trx): Promise<TriageOutcome> => {
    const [locked] = await lockAlarmsForTriage(trx, [alarmId]);
    if (!locked) return { result: 'missing' };
    if (locked.row.triaged_at !== null) return { result: 'already_triaged' };
    const outcome = triaged(locked);
    await storeAdvice(trx, [outcome.alarm]);
    const readvised = isCancelOfAnother(outcome.alarm) ? await readviseCancelledPress(trx, outcome.alarm) : null;
    return { ...outcome, readvised };
  });
  if (outcome.result === 'triaged') await rt.feed.published();
  return outcome;
}

/**
 * A cancel that arrives after its press was triaged: advise the press again as cancelled, while no
 * operator has taken it. The safety floors still hold (a pendant with no answer stays a dispatch).
 * Returns the press's new row when its advice changed.
 */
async function readviseCancelledPress(trx: Trx, cancel: AlarmRow): Promise<AlarmRow | null> {
  const press = await lockCancelledAlarm(trx, cancel);
  // Not yet triaged: its own triage will see the cancel. Claimed or resolved: the operator has it.
  if (!press || press.row.status !== 'triaged' || press.row.claimed_by !== null) return null;
  const advice = advise(press, true);
  if (advice.class === press.row.triage_class && advice.priority === press.row.triage_priority) return null;
  const row = withAdvice(press.row, advice);
  await storeAdvice(trx, [row]);
  return row;
}
