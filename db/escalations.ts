// Escalations: find deadlines that have passed, mark each escalated once, record it, and append the
// change the live feed carries (domain/escalation.ts says what escalates and when).
//
// Why a deadline is derived and not stored: it is a stored timestamp (received_at, claimed_at,
// requested_at) plus the municipality's stored limit, compared with the database clock (db/clock.ts; a
// test may give the time instead). Storing a
// due_at would put a lookup of the municipality into the ingest accept statement, and go stale when an
// administrator changes a limit; derived, a changed limit applies at once to what is waiting, and a
// restart of any process loses nothing, since every input is in Postgres. Alarms of a municipality
// missing from the registry get the default limits.
//
// Each scan reads a partial index holding only what is still waiting for that deadline (alarms
// unclaimed and not escalated; claimed and not escalated as unresolved; dispatches requested), so it
// costs what is waiting, not the history. Several workers may scan at once: the rows are locked with
// SKIP LOCKED, and a row another transaction changed meanwhile is judged again on its new version by the
// locking read (a claimed or already escalated row drops out), so each deadline escalates exactly once;
// `escalations` has a unique key on (entity, reason) besides. The row update, the record and the change are one
// transaction: a console sees the escalation as soon as it is committed.
import { sql, type RawBuilder } from 'kysely';
import { DEFAULT_LIMITS, LANE_WITHOUT_ANSWER_TARGET, type EscalationReason } from '../domain/escalation.js';
import { appendChanges, type Change } from './changes.js';
import { clock } from './clock.js';
import { alarmRow } from './open.js';
import type { Db, Trx } from './connect.js';
import type { AlarmRow, DispatchRow } from './schema.js';
import { toAlarmView, toDispatchView } from './views.js';

export type Escalated = {
  kind: 'alarm' | 'dispatch';
  id: string;
  municipality: string;
  reason: EscalationReason;
  dueAt: Date;
};

type Due<Row> = Row & { due_at: Date };

/** At most this many of each deadline per call, oldest first; the next call takes the rest. */
export const ESCALATION_BATCH = 500;

/**
 * Alarms waiting for an operator past their answer target (a due item of planned work: past its window's
 * end, `answer_by`): received or triaged (triage may be behind;
 * it does not matter), not escalated, with an answer target (not technical or test). Index
 * alarms_answer_due, whose predicate this WHERE repeats word for word so the planner can use it.
 */
function escalateUnanswered(trx: Trx, limit: number, now: RawBuilder<Date>) {
  // A due item of planned work carries its own deadline, its window's end (migrations/0015).
  const deadline = sql`COALESCE(a.answer_by, a.received_at + make_interval(secs => COALESCE(m.answer_target_seconds, ${DEFAULT_LIMITS.answerTargetSeconds})))`;
  return sql<Due<AlarmRow>>`
    WITH due AS (
      SELECT a.id, ${deadline} AS due_at
      FROM alarms a LEFT JOIN municipalities m ON m.id = a.municipality_id
      WHERE ${alarmRow('a').isWaiting} AND NOT a.escalated AND a.lane <> ${sql.lit(LANE_WITHOUT_ANSWER_TARGET)}
        AND ${deadline} <= ${now}
      ORDER BY a.received_at
      LIMIT ${limit}
      FOR UPDATE OF a SKIP LOCKED
    )
    UPDATE alarms a SET escalated = true, escalation_reason = 'unanswered', escalated_at = now()
    FROM due WHERE a.id = due.id
    RETURNING a.*, due.due_at`.execute(trx);
}

/** Claimed alarms still open past the municipality's limit, not yet escalated as unresolved (index alarms_resolution_due). */
function escalateUnresolved(trx: Trx, limit: number, now: RawBuilder<Date>) {
  const deadline = sql`a.claimed_at + make_interval(mins => COALESCE(m.unresolved_after_minutes, ${DEFAULT_LIMITS.unresolvedAfterMinutes}))`;
  return sql<Due<AlarmRow>>`
    WITH due AS (
      SELECT a.id, ${deadline} AS due_at
      FROM alarms a LEFT JOIN municipalities m ON m.id = a.municipality_id
      WHERE ${alarmRow('a').isClaimed} AND a.escalation_reason IS DISTINCT FROM 'unresolved'
        AND ${deadline} <= ${now}
      ORDER BY a.claimed_at
      LIMIT ${limit}
      FOR UPDATE OF a SKIP LOCKED
    )
    UPDATE alarms a SET escalated = true, escalation_reason = 'unresolved', escalated_at = now()
    FROM due WHERE a.id = due.id
    RETURNING a.*, due.due_at`.execute(trx);
}

/** Dispatches still requested past the municipality's limit, not yet escalated (index dispatches_requested). */
function escalateNotAccepted(trx: Trx, limit: number, now: RawBuilder<Date>) {
  const deadline = sql`d.requested_at + make_interval(mins => COALESCE(m.dispatch_accept_minutes, ${DEFAULT_LIMITS.dispatchAcceptMinutes}))`;
  return sql<Due<DispatchRow>>`
    WITH due AS (
      SELECT d.id, ${deadline} AS due_at
      FROM dispatches d LEFT JOIN municipalities m ON m.id = d.municipality_id
      WHERE d.status = 'requested' AND d.escalated_at IS NULL
        AND ${deadline} <= ${now}
      ORDER BY d.requested_at
      LIMIT ${limit}
      FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE dispatches d SET escalated_at = now(), version = d.version + 1
    FROM due WHERE d.id = due.id
    RETURNING d.*, due.due_at`.execute(trx);
}

async function record(trx: Trx, escalated: Escalated[], changes: Change[]): Promise<void> {
  if (escalated.length === 0) return;
  await sql`
    INSERT INTO escalations (kind, entity_id, municipality_id, reason, due_at)
    SELECT * FROM unnest(${escalated.map((e) => e.kind)}::text[], ${escalated.map((e) => e.id)}::uuid[],
                         ${escalated.map((e) => e.municipality)}::text[], ${escalated.map((e) => e.reason)}::text[],
                         ${escalated.map((e) => e.dueAt)}::timestamptz[])
    ON CONFLICT ON CONSTRAINT escalations_once DO NOTHING`.execute(trx);
  await appendChanges(trx, changes);
}

const alarmEscalation = (reason: 'unanswered' | 'unresolved') => (r: Due<AlarmRow>) => {
  const { due_at, ...row } = r;
  return {
    escalated: { kind: 'alarm', id: row.id, municipality: row.municipality_id, reason, dueAt: due_at } as Escalated,
    change: { kind: 'alarm', entityId: row.id, municipality: row.municipality_id, payload: toAlarmView(row) } as Change,
  };
};

const dispatchEscalation = (r: Due<DispatchRow>) => {
  const { due_at, ...row } = r;
  return {
    escalated: {
      kind: 'dispatch',
      id: row.id,
      municipality: row.municipality_id,
      reason: 'not_accepted',
      dueAt: due_at,
    } as Escalated,
    change: {
      kind: 'dispatch',
      entityId: row.id,
      municipality: row.municipality_id,
      payload: toDispatchView(row),
    } as Change,
  };
};

/**
 * Escalate every deadline that has passed (up to `limit` of each kind), each in one transaction with its
 * record and its change. Returns what was escalated; announcing it to the consoles is the caller's.
 */
export async function escalateDue(db: Db, limit = ESCALATION_BATCH, at?: Date): Promise<Escalated[]> {
  const out: Escalated[] = [];
  const now = clock(at);
  const steps = [
    async (trx: Trx) => (await escalateUnanswered(trx, limit, now)).rows.map(alarmEscalation('unanswered')),
    async (trx: Trx) => (await escalateUnresolved(trx, limit, now)).rows.map(alarmEscalation('unresolved')),
    async (trx: Trx) => (await escalateNotAccepted(trx, limit, now)).rows.map(dispatchEscalation),
  ];
  for (const step of steps) {
    const done = await db.transaction().execute(async (trx) => {
      const found = await step(trx);
      await record(
        trx,
        found.map((f) => f.escalated),
        found.map((f) => f.change),
      );
      return found.map((f) => f.escalated);
    });
    out.push(...done);
  }
  return out;
}
