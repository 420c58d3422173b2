// The operator's two decisions on an alarm: claim and resolve (the reads are in alarms.ts).
//
// Decisions are race-safe by construction: each is one UPDATE … WHERE <the state it may leave>, so of
// two operators acting at once exactly one matches the row; the other finds it changed and is told
// so. The change is appended as the last statement before COMMIT (see changes.ts).
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { TriageClass } from '../domain/events.js';
import type { AuditAction } from '../domain/audit.js';
import { recordAudit, type AuditActor } from './audit.js';
import { unscheduledOutcome, type CareResult, type FollowUp } from '../domain/planned.js';
import { appendChanges, type Change } from './changes.js';
import type { Db, Trx } from './connect.js';
import { alarmRow } from './open.js';
import { decideAttempt } from './planned.js';
import type { AlarmRow, DispatchRow } from './schema.js';
import { learnFromDecision } from './triage-evidence.js';
import { toAlarmView, toDispatchView } from './views.js';

export type Decision<T> =
  /** Changed by this call (announce it after commit). */
  | { outcome: 'changed'; value: T }
  /** Already in the asked-for state by the same user: nothing changed (a retried request). */
  | { outcome: 'unchanged'; value: T }
  /** Held by someone else, or already final. */
  | { outcome: 'conflict'; value: T }
  | { outcome: 'missing' };

/**
 * The alarm and the other open alarms of its incident, locked in id order (as triage locks them, so
 * the two never deadlock). The alarm itself comes first in the result; it is absent when it does not
 * exist.
 */
async function lockIncident(trx: Trx, id: string): Promise<AlarmRow[]> {
  const rows = await trx
    .selectFrom('alarms')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('id', '=', id),
        eb.and([
          eb('incident_id', '=', eb.selectFrom('alarms as t').select('t.incident_id').where('t.id', '=', id)),
          alarmRow('alarms').isOpen,
        ]),
      ]),
    )
    .orderBy('id')
    .forUpdate()
    .execute();
  const target = rows.find((r) => r.id === id);
  return target ? [target, ...rows.filter((r) => r !== target)] : [];
}

/** Whoever other than `username` holds an open alarm of the incident, if anyone. */
const otherHolder = (rows: AlarmRow[], username: string): string | null =>
  rows.find((r) => r.status === 'claimed' && r.claimed_by !== username)?.claimed_by ?? null;

export type Held = { holder: string | null };

/**
 * The decision's audit row, written in the decision's own transaction (so a decision is never stored
 * without it): allowed when it took effect or was already so, refused when it came too late.
 */
export async function auditDecision(
  trx: Trx,
  by: AuditActor | undefined,
  action: AuditAction,
  id: string,
  target: AlarmRow | undefined,
  refused: boolean,
): Promise<void> {
  if (!by) return;
  await recordAudit(trx, [
    {
      ...by,
      action,
      alarmId: id,
      citizenId: target?.citizen_id ?? null,
      municipality: target?.municipality_id ?? null,
      outcome: refused || !target ? 'refused' : 'allowed',
      reason: !target ? 'not_found' : refused ? 'conflict' : null,
    },
  ]);
}

/**
 * Claim an alarm for `username`, and with it the other open alarms of its incident nobody holds: an
 * incident (repeated presses, a cancel) is one call for the operator. From received or triaged only;
 * claiming one's own claim again is a no-op. Refused when the alarm is resolved or another operator
 * holds the alarm or any open alarm of its incident (`holder` names them).
 */
export async function claimAlarm(
  db: Db,
  id: string,
  username: string,
  by?: AuditActor,
): Promise<Decision<AlarmRow> & Partial<Held>> {
  return db.transaction().execute(async (trx) => {
    const rows = await lockIncident(trx, id);
    const target = rows[0];
    const holder = target ? otherHolder(rows, username) : null;
    const refused = !target || target.status === 'resolved' || holder !== null;
    await auditDecision(trx, by, 'alarm.claim', id, target, refused);
    if (!target) return { outcome: 'missing' };
    if (refused) return { outcome: 'conflict', value: target, holder };
    const unclaimed = rows.filter((r) => r.status === 'received' || r.status === 'triaged').map((r) => r.id);
    if (unclaimed.length === 0) return { outcome: 'unchanged', value: target };
    const claimed = await trx
      .updateTable('alarms')
      .set({ status: 'claimed', claimed_by: username, claimed_at: sql<Date>`now()` })
      .where('id', 'in', unclaimed)
      .returningAll()
      .execute();
    await appendChanges(trx, claimed.map(alarmChange));
    return { outcome: 'changed', value: claimed.find((r) => r.id === id) ?? target };
  });
}

export type Resolution = { alarm: AlarmRow; dispatch: DispatchRow | null };

/** An operator's decision: one of the three outcomes, or a planned call's or night check's result. */
export type ResolveDecision = {
  outcome: TriageClass;
  note?: string | undefined;
  /** The result on a planned call or night check (its type checked by the caller); it decides the outcome. */
  result?: CareResult | undefined;
  followUp?: FollowUp | undefined;
};

/**
 * Record the operator's decision on an alarm and the other open alarms of its incident: one situation,
 * one decision. Allowed when the user holds them or nobody does (they are then claimed by the user in
 * the same update). Outcome `dispatch` requests one dispatch, for this alarm, in the same transaction,
 * so there is never a dispatch decision without a dispatch. On an attempt of a planned call or night
 * check its occurrence moves on in the same transaction (db/planned.ts `decideAttempt`): done, a retry
 * planned, or missed with a dispatch; its result decides the outcome. The decision updates what triage
 * has learned about the citizen and the municipality in the same transaction (db/triage-evidence.ts).
 */
export async function resolveAlarm(
  db: Db,
  id: string,
  username: string,
  asked: ResolveDecision,
  by?: AuditActor,
): Promise<Decision<Resolution> & Partial<Held>> {
  return db.transaction().execute(async (trx) => {
    const rows = await lockIncident(trx, id);
    const target = rows[0];
    const holder = target ? otherHolder(rows, username) : null;
    const refused = !target || target.status === 'resolved' || holder !== null;
    await auditDecision(trx, by, 'alarm.resolve', id, target, refused);
    if (!target) return { outcome: 'missing' };
    if (refused) return { outcome: 'conflict', value: { alarm: target, dispatch: null }, holder };
    const attempt = await decideAttempt(trx, target, asked);
    const outcome: TriageClass = attempt
      ? attempt.step.outcome
      : asked.result
        ? unscheduledOutcome(asked.result, asked.followUp)
        : asked.outcome;
    const decision = {
      outcome,
      note: attempt?.brief ? [attempt.brief, asked.note].filter(Boolean).join('\n') : asked.note,
    };
    const resolved = await trx
      .updateTable('alarms')
      .set({
        status: 'resolved',
        outcome: decision.outcome,
        result:
          asked.result === undefined
            ? null
            : sql<string | null>`CASE WHEN type = ${target.type} THEN ${asked.result} END`,
        note: decision.note ?? null,
        resolved_by: username,
        resolved_at: sql<Date>`now()`,
        claimed_by: sql<string>`COALESCE(claimed_by, ${username})`,
        claimed_at: sql<Date>`COALESCE(claimed_at, now())`,
      })
      .where(
        'id',
        'in',
        rows.filter((r) => r.status !== 'resolved').map((r) => r.id),
      )
      .returningAll()
      .execute();
    const alarm = resolved.find((r) => r.id === id)!;
    let dispatch: DispatchRow | null = null;
    const changes: Change[] = resolved.map(alarmChange);
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
    // What the decision teaches triage, in its transaction (once per incident).
    await learnFromDecision(trx, resolved, decision.outcome);
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
