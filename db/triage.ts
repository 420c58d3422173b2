// The triage worker's statements: lock an alarm with its incident context, store its advice.
//
// A triage is one transaction that first locks the alarm's row (services/triage/triage-alarm.ts says
// why). The common path is four round trips to Postgres: BEGIN; lock the row and read its incident
// context in one SELECT (`lockAlarmForTriage`); store the advice and append its change in one
// statement (`storeAdvice`); COMMIT. Round trips, not SQL, are what a triage costs, so the statements
// are written to need as few as possible.
import { sql, type RawBuilder } from 'kysely';
import type { Trx } from './connect.js';
import type { AlarmRow } from './schema.js';
import { toAlarmView } from './views.js';

/**
 * A locked alarm row with the triage inputs computed in SQL (see `TriageInput` in domain/triage.ts),
 * and the transaction's time.
 */
export type LockedAlarm = { row: AlarmRow; earlierInIncident: number; cancelled: boolean; now: Date };

/** Lock one alarm row and read its incident context, in one statement. */
async function lockWithContext(trx: Trx, where: RawBuilder<unknown>): Promise<LockedAlarm | undefined> {
  const r = await sql<AlarmRow & { ctx_earlier: string; ctx_cancelled: boolean; ctx_now: Date }>`
    SELECT a.*,
           (SELECT count(*) FROM alarms p
            WHERE p.incident_id = a.incident_id AND p.received_at < a.received_at) AS ctx_earlier,
           EXISTS (SELECT 1 FROM alarms c
                   WHERE c.gateway_id = a.gateway_id AND c.relates_to = a.event_id AND c.type = 'cancel') AS ctx_cancelled,
           now() AS ctx_now
    FROM alarms a WHERE ${where}
    FOR UPDATE OF a`.execute(trx);
  const found = r.rows[0];
  if (!found) return undefined;
  const { ctx_earlier, ctx_cancelled, ctx_now, ...row } = found;
  return { row, earlierInIncident: Number(ctx_earlier), cancelled: ctx_cancelled, now: ctx_now };
}

/** Lock an alarm for its triage, with its incident context; undefined when no such alarm is stored. */
export function lockAlarmForTriage(trx: Trx, alarmId: string): Promise<LockedAlarm | undefined> {
  return lockWithContext(trx, sql`a.id = ${alarmId}`);
}

/** Lock the alarm a cancel relates to (same gateway, its event id), with its incident context. */
export function lockCancelledAlarm(
  trx: Trx,
  cancel: Pick<AlarmRow, 'gateway_id' | 'relates_to'>,
): Promise<LockedAlarm | undefined> {
  return lockWithContext(trx, sql`a.gateway_id = ${cancel.gateway_id} AND a.event_id = ${cancel.relates_to}`);
}

/**
 * Store the advice (triage columns, triaged_at, status) of an alarm locked in this transaction and append
 * its change to the log, in one statement. The row is locked, so its new state is known before the UPDATE
 * and the change's view can be built first. This is the one place that appends to the log without
 * db/changes.ts; the seq comes from the column's default, as there.
 */
export async function storeAdvice(trx: Trx, next: AlarmRow): Promise<void> {
  await sql`
    WITH updated AS (
      UPDATE alarms SET triage_class = ${next.triage_class}, triage_priority = ${next.triage_priority},
                        triage_confidence = ${next.triage_confidence}, triage_reasons = ${next.triage_reasons},
                        triaged_at = ${next.triaged_at}, status = ${next.status}
      WHERE id = ${next.id}
      RETURNING id, municipality_id
    )
    INSERT INTO changes (kind, entity_id, municipality_id, payload)
    SELECT 'alarm', updated.id, updated.municipality_id, ${JSON.stringify(toAlarmView(next))}::jsonb
    FROM updated`.execute(trx);
}
