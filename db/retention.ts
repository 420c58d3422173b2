// Retention of alarms' personal data (migrations/0011): past its municipality's retention_months, an
// alarm keeps what the statistics count and loses what tells about the person. Walked in (received_at,
// id) order per municipality through alarms_municipality_received, from a stored watermark, in short
// batches: each its own transaction, a few statements over a few hundred rows.
//
// Removed: the alarm's `details` (the gateway's payload), the operator's note, the note and team of its
// dispatch, the notes of its corrections, the same fields in the live feed's change log and in webhook
// deliveries. Pseudonymised (a keyed hash, retention_pseudonym): the citizen's and the device's id, in
// the alarm, its dispatch, the change log and webhook deliveries, so one citizen's alarms still count
// as one repeat caller. Kept: type, times, status, triage, outcome, who decided (staff, not the
// citizen), the incident, escalations. None of the columns changed here is one the statistics' stale
// triggers watch (migrations/0008), and none of them changes a figure.
import { sql } from 'kysely';
import type { Db } from './connect.js';

/** The municipalities and their retention, in id order. */
export async function retentionSettings(db: Db): Promise<{ id: string; retentionMonths: number }[]> {
  const rows = await db.selectFrom('municipalities').select(['id', 'retention_months']).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, retentionMonths: r.retention_months }));
}

export type BatchResult =
  /** Another worker holds this municipality's watermark: leave it to them. */
  { busy: true } | { busy: false; alarms: number; dispatches: number };

/**
 * Pseudonymise up to `limit` alarms of `municipality` received before `cutoff` and past the watermark,
 * oldest first, and move the watermark past them. One short transaction.
 */
export async function pseudonymiseBatch(
  db: Db,
  municipality: string,
  cutoff: Date,
  limit: number,
): Promise<BatchResult> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('retention_progress')
      .values({ municipality_id: municipality })
      .onConflict((oc) => oc.column('municipality_id').doNothing())
      .execute();
    // The watermark as text keeps Postgres' microseconds (a JavaScript Date has milliseconds).
    const mark = await sql<{ at: string; alarm_id: string }>`
      SELECT received_at::text AS at, alarm_id FROM retention_progress
      WHERE municipality_id = ${municipality} FOR UPDATE SKIP LOCKED`.execute(trx);
    const from = mark.rows[0];
    if (!from) return { busy: true };
    const batch = await sql<{ id: string }>`
      SELECT id FROM alarms
      WHERE municipality_id = ${municipality}
        AND (received_at, id) > (${from.at}::timestamptz, ${from.alarm_id}::uuid)
        AND received_at < ${cutoff}
      ORDER BY received_at, id
      LIMIT ${limit}`.execute(trx);
    const ids = batch.rows.map((r) => r.id);
    if (ids.length === 0) return { busy: false, alarms: 0, dispatches: 0 };
    await sql`
      UPDATE alarms SET details = '{}'::jsonb, note = NULL,
        citizen_id = retention_pseudonym(citizen_id), device_id = retention_pseudonym(device_id)
      WHERE id = ANY(${ids}::uuid[])`.execute(trx);
    const dispatches = await sql<{ id: string }>`
      UPDATE dispatches SET note = NULL, team = NULL, citizen_id = retention_pseudonym(citizen_id)
      WHERE alarm_id = ANY(${ids}::uuid[])
      RETURNING id`.execute(trx);
    const dispatchIds = dispatches.rows.map((r) => r.id);
    await sql`UPDATE alarm_corrections SET note = NULL WHERE alarm_id = ANY(${ids}::uuid[]) AND note IS NOT NULL`.execute(
      trx,
    );
    await sql`
      UPDATE changes SET payload = payload || jsonb_build_object(
          'citizenId', retention_pseudonym(payload->>'citizenId'),
          'deviceId', retention_pseudonym(payload->>'deviceId'))
      WHERE kind = 'alarm' AND entity_id = ANY(${ids}::uuid[])`.execute(trx);
    if (dispatchIds.length > 0) {
      await sql`
        UPDATE changes SET payload = payload || jsonb_build_object(
            'citizenId', retention_pseudonym(payload->>'citizenId'), 'note', NULL, 'team', NULL)
        WHERE kind = 'dispatch' AND entity_id = ANY(${dispatchIds}::uuid[])`.execute(trx);
      await sql`
        UPDATE webhook_deliveries SET dispatch = dispatch || jsonb_build_object(
            'citizenId', retention_pseudonym(dispatch->>'citizenId'), 'note', NULL, 'team', NULL)
        WHERE dispatch_id = ANY(${dispatchIds}::uuid[])`.execute(trx);
    }
    await sql`
      UPDATE retention_progress p SET received_at = a.received_at, alarm_id = a.id, updated_at = now()
      FROM alarms a WHERE a.id = ${ids.at(-1)!}::uuid AND p.municipality_id = ${municipality}`.execute(trx);
    return { busy: false, alarms: ids.length, dispatches: dispatchIds.length };
  });
}
