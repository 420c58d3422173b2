// Triage of one alarm: gather its context, classify (pure rules), store the advice idempotently.
//
// Everything happens in one transaction that first locks the alarm's row. The lock is what makes a
// cancel and its press safe to triage in any order, on any workers: whichever transaction takes the
// press's row second sees the other's committed work (a press triaged after the cancel was stored
// sees the cancel; a cancel triaged after the press was triaged re-advises it). The statements, and
// why the common path takes four round trips, are in db/triage.ts.
import type { Trx } from '../../db/connect.js';
import { lockAlarmForTriage, lockCancelledAlarm, storeAdvice, type LockedAlarm } from '../../db/triage.js';
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

/**
 * Triage one alarm. Idempotent: an alarm already triaged is left as it is and no change is appended,
 * so a re-delivered job changes nothing. An operator's claim or decision is never overwritten.
 * A cancel re-advises its press in the same transaction (see `readviseCancelledPress`).
 */
export async function triageAlarm(rt: Runtime, alarmId: string): Promise<TriageOutcome> {
  const outcome = await rt.db.transaction().execute(async (trx): Promise<TriageOutcome> => {
    const locked = await lockAlarmForTriage(trx, alarmId);
    if (!locked) return { result: 'missing' };
    if (locked.row.triaged_at !== null) return { result: 'already_triaged' };
    const triage = advise(locked);
    const row: AlarmRow = {
      ...withAdvice(locked.row, triage),
      triaged_at: locked.now,
      // An operator may have claimed it before triage: the claim stands.
      status: locked.row.status === 'received' ? 'triaged' : locked.row.status,
    };
    await storeAdvice(trx, row);
    const readvised = row.type === 'cancel' && row.relates_to ? await readviseCancelledPress(trx, row) : null;
    return { result: 'triaged', alarm: row, triage, readvised };
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
  await storeAdvice(trx, row);
  return row;
}
