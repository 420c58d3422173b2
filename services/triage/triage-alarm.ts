// Triage of one alarm: gather its context, classify (pure rules), store the advice idempotently.
//
// Everything happens in one transaction that first locks the alarm's row. The lock is what makes a
// cancel and its press safe to triage in any order, on any workers: whichever transaction takes the
// press's row second sees the other's committed work (a press triaged after the cancel was stored
// sees the cancel; a cancel triaged after the press was triaged re-advises it).
import { sql, type Transaction } from 'kysely';
import { appendChanges, type Change } from '../../db/changes.js';
import type { AlarmRow, Database } from '../../db/schema.js';
import { toAlarmView } from '../../db/views.js';
import type { EventType, VoiceState } from '../domain/events.js';
import { classify, type Triage } from '../domain/triage.js';
import type { Runtime } from '../platform/runtime.js';

/** Danish response centres: time-of-day rules (night sensors) use local time. */
const localHourFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Copenhagen',
  hour: 'numeric',
  hourCycle: 'h23',
});
export const localHour = (at: Date) => Number(localHourFormat.format(at));

export type TriageOutcome =
  | { result: 'triaged'; alarm: AlarmRow; triage: Triage; readvised: AlarmRow | null }
  | { result: 'already_triaged' | 'missing' };

type Trx = Transaction<Database>;

async function adviseFor(trx: Trx, a: AlarmRow, cancelledOverride?: boolean): Promise<Triage> {
  const earlier = await trx
    .selectFrom('alarms')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('incident_id', '=', a.incident_id)
    .where('received_at', '<', a.received_at)
    .executeTakeFirstOrThrow();
  const cancel =
    cancelledOverride === undefined
      ? await trx
          .selectFrom('alarms')
          .select('id')
          .where('gateway_id', '=', a.gateway_id)
          .where('relates_to', '=', a.event_id)
          .where('type', '=', 'cancel')
          .executeTakeFirst()
      : undefined;
  return classify({
    type: a.type as EventType,
    voice: a.voice as VoiceState | null,
    unknownDevice: a.unknown_device,
    batteryPercent: a.battery_percent,
    occurredAt: new Date(a.occurred_at),
    receivedAt: new Date(a.received_at),
    localHour: localHour(new Date(a.occurred_at)),
    earlierInIncident: Number(earlier.n),
    cancelled: cancelledOverride ?? cancel !== undefined,
  });
}

const triageColumns = (t: Triage) => ({
  triage_class: t.class,
  triage_priority: t.priority,
  triage_confidence: t.confidence,
  triage_reasons: t.reasons,
});

const alarmChange = (row: AlarmRow): Change => ({
  kind: 'alarm',
  entityId: row.id,
  municipality: row.municipality_id,
  payload: toAlarmView(row),
});

/**
 * Triage one alarm. Idempotent: an alarm already triaged is left as it is and no change is appended,
 * so a re-delivered job changes nothing. An operator's claim or decision is never overwritten.
 * A cancel re-advises its press in the same transaction (see `readviseCancelledPress`).
 */
export async function triageAlarm(rt: Runtime, alarmId: string): Promise<TriageOutcome> {
  // Fast path for re-delivered jobs: no transaction, no lock.
  const seen = await rt.db.selectFrom('alarms').select('triaged_at').where('id', '=', alarmId).executeTakeFirst();
  if (!seen) return { result: 'missing' };
  if (seen.triaged_at !== null) return { result: 'already_triaged' };

  const outcome = await rt.db.transaction().execute(async (trx): Promise<TriageOutcome> => {
    const alarm = await trx
      .selectFrom('alarms')
      .selectAll()
      .where('id', '=', alarmId)
      .where('triaged_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!alarm) return { result: 'already_triaged' };
    const triage = await adviseFor(trx, alarm);
    const row = await trx
      .updateTable('alarms')
      .set({
        ...triageColumns(triage),
        triaged_at: sql<Date>`now()`,
        status: sql<string>`CASE WHEN status = 'received' THEN 'triaged' ELSE status END`,
      })
      .where('id', '=', alarmId)
      .where('triaged_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!row) return { result: 'already_triaged' };
    const readvised = row.type === 'cancel' && row.relates_to ? await readviseCancelledPress(trx, row) : null;
    // Last statement before COMMIT: the changes get their seq at commit (db/changes.ts).
    await appendChanges(trx, [alarmChange(row), ...(readvised ? [alarmChange(readvised)] : [])]);
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
  const press = await trx
    .selectFrom('alarms')
    .selectAll()
    .where('gateway_id', '=', cancel.gateway_id)
    .where('event_id', '=', cancel.relates_to!)
    .forUpdate()
    .executeTakeFirst();
  // Not yet triaged: its own triage will see the cancel. Claimed or resolved: the operator has it.
  if (!press || press.status !== 'triaged' || press.claimed_by !== null) return null;
  const advice = await adviseFor(trx, press, true);
  if (advice.class === press.triage_class && advice.priority === press.triage_priority) return null;
  const row = await trx
    .updateTable('alarms')
    .set(triageColumns(advice))
    .where('id', '=', press.id)
    .where('status', '=', 'triaged')
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}
