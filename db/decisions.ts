// The operator's two decisions on an alarm: claim and resolve (the reads are in alarms.ts).
//
// Decisions are race-safe by construction: each is one UPDATE … WHERE <the state it may leave>, so of
// two operators acting at once exactly one matches the row; the other finds it changed and is told
// so. The change is appended as the last statement before COMMIT (see changes.ts).
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { TriageClass } from '../domain/events.js';
import { appendChanges, type Change } from './changes.js';
import type { Db } from './connect.js';
import type { AlarmRow, DispatchRow } from './schema.js';
import { toAlarmView, toDispatchView } from './views.js';

export type Decision<T> =
  /** Changed by this call (announce it after commit). */
  | { outcome: 'changed'; value: T }
  /** Already in the asked-for state by the same user: nothing changed (a retried request). */
  | { outcome: 'unchanged'; value: T }
  /** Held by someone else, or already final. */
  | { outcome: 'conflict'; value: T }
  | { outcome: 'missing' };

/** Claim an alarm for `username`: from received or triaged only. Claiming one's own claim again is a no-op. */
export async function claimAlarm(db: Db, id: string, username: string): Promise<Decision<AlarmRow>> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('alarms')
      .set({ status: 'claimed', claimed_by: username, claimed_at: sql<Date>`now()` })
      .where('id', '=', id)
      .where('status', 'in', ['received', 'triaged'])
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      const current = await trx.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirst();
      if (!current) return { outcome: 'missing' };
      const mine = current.status === 'claimed' && current.claimed_by === username;
      return { outcome: mine ? 'unchanged' : 'conflict', value: current };
    }
    await appendChanges(trx, [alarmChange(row)]);
    return { outcome: 'changed', value: row };
  });
}

export type Resolution = { alarm: AlarmRow; dispatch: DispatchRow | null };

/**
 * Record the operator's decision. Allowed on an alarm the user holds, or on an unclaimed one, which it
 * then claims in the same update. Outcome `dispatch` requests a dispatch in the same transaction, so
 * there is never a dispatch decision without a dispatch.
 */
export async function resolveAlarm(
  db: Db,
  id: string,
  username: string,
  decision: { outcome: TriageClass; note?: string | undefined },
): Promise<Decision<Resolution>> {
  return db.transaction().execute(async (trx) => {
    const alarm = await trx
      .updateTable('alarms')
      .set({
        status: 'resolved',
        outcome: decision.outcome,
        note: decision.note ?? null,
        resolved_by: username,
        resolved_at: sql<Date>`now()`,
        claimed_by: sql<string>`COALESCE(claimed_by, ${username})`,
        claimed_at: sql<Date>`COALESCE(claimed_at, now())`,
      })
      .where('id', '=', id)
      .where((eb) =>
        eb.or([
          eb('status', 'in', ['received', 'triaged']),
          eb.and([eb('status', '=', 'claimed'), eb('claimed_by', '=', username)]),
        ]),
      )
      .returningAll()
      .executeTakeFirst();
    if (!alarm) {
      const current = await trx.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirst();
      return current ? { outcome: 'conflict', value: { alarm: current, dispatch: null } } : { outcome: 'missing' };
    }
    let dispatch: DispatchRow | null = null;
    const changes: Change[] = [alarmChange(alarm)];
    if (decision.outcome === 'dispatch') {
      dispatch = await trx
        .insertInto('dispatches')
        .values({
          id: randomUUID(),
          alarm_id: alarm.id,
          municipality_id: alarm.municipality_id,
          citizen_id: alarm.citizen_id,
          alarm_type: alarm.type,
          note: alarm.note,
          status: 'requested',
          requested_by: username,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      changes.push({
        kind: 'dispatch',
        entityId: dispatch.id,
        municipality: dispatch.municipality_id,
        payload: toDispatchView(dispatch),
      });
    }
    await appendChanges(trx, changes);
    return { outcome: 'changed', value: { alarm, dispatch } };
  });
}

const alarmChange = (row: AlarmRow): Change => ({
  kind: 'alarm',
  entityId: row.id,
  municipality: row.municipality_id,
  payload: toAlarmView(row),
});
