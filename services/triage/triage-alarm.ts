// Triage of one alarm: gather its context, classify (pure rules), store the advice idempotently.
import { sql } from 'kysely';
import { appendChanges } from '../../db/changes.js';
import type { AlarmRow } from '../../db/schema.js';
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
const localHour = (at: Date) => Number(localHourFormat.format(at));

export type TriageOutcome =
  { result: 'triaged'; alarm: AlarmRow; triage: Triage } | { result: 'already_triaged' | 'missing' };

async function adviseFor(rt: Runtime, a: AlarmRow, cancelledOverride?: boolean): Promise<Triage> {
  const [earlier, cancel] = await Promise.all([
    rt.db
      .selectFrom('alarms')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('incident_id', '=', a.incident_id)
      .where('received_at', '<', a.received_at)
      .executeTakeFirstOrThrow(),
    cancelledOverride === undefined
      ? rt.db
          .selectFrom('alarms')
          .select('id')
          .where('gateway_id', '=', a.gateway_id)
          .where('relates_to', '=', a.event_id)
          .where('type', '=', 'cancel')
          .executeTakeFirst()
      : undefined,
  ]);
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

/**
 * Triage one alarm. Idempotent: an alarm already triaged is left as it is and no change is appended,
 * so a re-delivered job changes nothing. An operator's claim or decision is never overwritten.
 */
export async function triageAlarm(rt: Runtime, alarmId: string): Promise<TriageOutcome> {
  const alarm = await rt.db.selectFrom('alarms').selectAll().where('id', '=', alarmId).executeTakeFirst();
  if (!alarm) return { result: 'missing' };
  if (alarm.triaged_at !== null) return { result: 'already_triaged' };
  const triage = await adviseFor(rt, alarm);

  const stored = await rt.db.transaction().execute(async (trx) => {
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
    if (!row) return null;
    await appendChanges(trx, [
      { kind: 'alarm', entityId: row.id, municipality: row.municipality_id, payload: toAlarmView(row) },
    ]);
    return row;
  });
  if (!stored) return { result: 'already_triaged' };
  await rt.feed.published();
  if (stored.type === 'cancel' && stored.relates_to) await readviseCancelledPress(rt, stored);
  return { result: 'triaged', alarm: stored, triage };
}

/**
 * A cancel that arrives after its press was triaged: advise the press again as cancelled, while no
 * operator has taken it. The safety floors still hold (a pendant with no answer stays a dispatch).
 */
async function readviseCancelledPress(rt: Runtime, cancel: AlarmRow): Promise<void> {
  const press = await rt.db
    .selectFrom('alarms')
    .selectAll()
    .where('gateway_id', '=', cancel.gateway_id)
    .where('event_id', '=', cancel.relates_to!)
    .executeTakeFirst();
  // Not yet triaged: its own triage will see the cancel. Claimed or resolved: the operator has it.
  if (!press || press.status !== 'triaged') return;
  const advice = await adviseFor(rt, press, true);
  if (advice.class === press.triage_class && advice.priority === press.triage_priority) return;
  const changed = await rt.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('alarms')
      .set(triageColumns(advice))
      .where('id', '=', press.id)
      .where('status', '=', 'triaged')
      .returningAll()
      .executeTakeFirst();
    if (!row) return false;
    await appendChanges(trx, [
      { kind: 'alarm', entityId: row.id, municipality: row.municipality_id, payload: toAlarmView(row) },
    ]);
    return true;
  });
  if (changed) await rt.feed.published();
}
