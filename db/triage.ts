// The triage worker's statements: lock alarms with their incident context, store their advice.
//
// A triage is one transaction that first locks the alarms' rows (services/triage/triage-alarm.ts says
// why). It is four round trips to Postgres, for one alarm or a job's two hundred: BEGIN; lock the rows
// and read their incident context in one SELECT (`lockAlarmsForTriage`); store the advice and append
// the changes in one statement (`storeAdvice`); COMMIT. Round trips, not SQL, are what a triage costs,
// so the statements are written to need as few as possible.
import { sql, type RawBuilder } from 'kysely';
import { REPEATS_DO_NOT_RAISE } from '../domain/triage.js';
import type { Trx } from './connect.js';
import type { AlarmRow } from './schema.js';
import { toAlarmView } from './views.js';

/**
 * A locked alarm row with the triage inputs computed in SQL (see `TriageInput` in domain/triage.ts),
 * and the transaction's time.
 */
export type LockedAlarm = { row: AlarmRow; earlierInIncident: number; cancelled: boolean; now: Date };

/**
 * Lock alarm rows and read their incident context, in one statement. Rows are locked in id order, so
 * two transactions locking overlapping sets wait for each other and never deadlock.
 */
async function lockWithContext(trx: Trx, where: RawBuilder<unknown>): Promise<LockedAlarm[]> {
  const r = await sql<AlarmRow & { ctx_earlier: string; ctx_cancelled: boolean; ctx_now: Date }>`
    SELECT a.*,
           CASE WHEN a.type = ANY(${[...REPEATS_DO_NOT_RAISE]}::text[]) THEN 0
                ELSE (SELECT count(*) FROM alarms p
                      WHERE p.incident_id = a.incident_id AND p.received_at < a.received_at) END AS ctx_earlier,
           EXISTS (SELECT 1 FROM alarms c
                   WHERE c.gateway_id = a.gateway_id AND c.relates_to = a.event_id AND c.type = 'cancel') AS ctx_cancelled,
           now() AS ctx_now
    FROM alarms a WHERE ${where}
    ORDER BY a.id
    FOR UPDATE OF a`.execute(trx);
  return r.rows.map(({ ctx_earlier, ctx_cancelled, ctx_now, ...row }) => ({
    row,
    earlierInIncident: Number(ctx_earlier),
    cancelled: ctx_cancelled,
    now: ctx_now,
  }));
}

/**
 * Lock alarms for their triage, with their incident context, and with them the alarm each cancel among
 * them relates to (same gateway, its event id), which the cancel may re-advise. Alarms not stored are
 * left out.
 */
export function lockAlarmsForTriage(trx: Trx, alarmIds: readonly string[]): Promise<LockedAlarm[]> {
  const ids = [...alarmIds];
  return lockWithContext(
    trx,
    sql`a.id IN (SELECT unnest(${ids}::uuid[])
                 UNION
                 SELECT p.id FROM alarms c JOIN alarms p ON p.gateway_id = c.gateway_id AND p.event_id = c.relates_to
                 WHERE c.id = ANY(${ids}::uuid[]) AND c.type = 'cancel')`,
  );
}

/**
 * Store the advice (triage columns, triaged_at, status) of alarms locked in this transaction and append
 * their changes to the log, in that order, in one statement. The rows are locked, so their new state is
 * known before the UPDATE and each change's view can be built first. This is the one place that appends
 * to the log without db/changes.ts; the seq comes from the column's default, as there.
 */
export async function storeAdvice(trx: Trx, next: readonly AlarmRow[]): Promise<void> {
  if (next.length === 0) return;
  const col = <T>(f: (r: AlarmRow) => T) => next.map(f);
  await sql`
    WITH advice AS (
      SELECT * FROM unnest(${col((r) => r.id)}::uuid[], ${col((r) => r.triage_class)}::text[],
                           ${col((r) => r.triage_priority)}::smallint[], ${col((r) => r.triage_confidence)}::real[],
                           ${col((r) => JSON.stringify(r.triage_reasons ?? []))}::jsonb[], ${col((r) => r.triaged_at)}::timestamptz[],
                           ${col((r) => r.status)}::text[], ${col((r) => JSON.stringify(toAlarmView(r)))}::jsonb[])
             WITH ORDINALITY AS v(id, class, priority, confidence, reasons, triaged_at, status, view, ord)
    ),
    updated AS (
      UPDATE alarms a SET triage_class = v.class, triage_priority = v.priority, triage_confidence = v.confidence,
                          triage_reasons = ARRAY(SELECT r FROM jsonb_array_elements_text(v.reasons) WITH ORDINALITY AS e(r, n) ORDER BY n),
                          triaged_at = v.triaged_at, status = v.status
      FROM advice v WHERE a.id = v.id
      RETURNING a.id, a.municipality_id
    )
    INSERT INTO changes (kind, entity_id, municipality_id, payload)
    SELECT 'alarm', u.id, u.municipality_id, v.view
    FROM updated u JOIN advice v ON v.id = u.id
    ORDER BY v.ord`.execute(trx);
}
