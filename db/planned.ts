// Planned calls and night supervision: schedules, consent, occurrences and their attempts (domain/planned.ts
// says what they mean; migrations/0015 holds the tables).
//
// Due times are data. The worker materialises each schedule's occurrences ahead of time (one row per
// schedule and due time, `care_occurrences_once`), and at the due time raises the occurrence as an alarm
// row in the same transaction that marks it raised: a restart between the two is impossible, and a second
// worker skips what the first has locked. A not-reached attempt puts the occurrence back to pending with
// its retry time, so a retry is as durable as the first attempt.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { laneFor } from '../domain/events.js';
import {
  DEFAULT_RETRY_SETTINGS,
  missedBrief,
  nextStep,
  type CareKind,
  type CareResult,
  type FollowUp,
  type NextStep,
  type PlannedMonth,
  type Schedule,
  emptyPlannedMonth,
} from '../domain/planned.js';
import type { TriageClass } from '../domain/events.js';
import { addMonths, firstDay, type Month } from '../domain/statistics.js';
import { CENTRE_TIME_ZONE } from '../domain/time.js';
import { appendChanges } from './changes.js';
import { clock } from './clock.js';
import type { Db, Trx } from './connect.js';
import type { AlarmRow } from './schema.js';
import { toAlarmView } from './views.js';

/**
 * The namespace of the alarms the centre raises for its own planned work: the alarms' gateway_id. No
 * gateway sends under it; the event id of an attempt is `<occurrence id>:<attempt>`, so raising the same
 * attempt twice stores one alarm (the idempotency key, as for gateways' events).
 */
export const PLANNED_WORK_SOURCE = 'responscenter:planned';
/** Who resolved an item the centre settled by itself (a device check-in). */
export const CHECK_IN_RESOLVER = 'device check-in';

// ---- Consent ----

export type ConsentRow = {
  id: string;
  citizen_id: string;
  municipality_id: string;
  given_by: 'citizen' | 'representative';
  representative_name: string | null;
  given_at: Date;
  recorded_by: string;
  recorded_at: Date;
  withdrawn_at: Date | null;
  withdrawn_by: string | null;
};

const consentColumns = sql`c.id, c.citizen_id, z.municipality_id, c.given_by, c.representative_name, c.given_at,
  c.recorded_by, c.recorded_at, c.withdrawn_at, c.withdrawn_by`;

export async function listConsents(db: Db | Trx, citizenId: string): Promise<ConsentRow[]> {
  const r = await sql<ConsentRow>`
    SELECT ${consentColumns} FROM care_consents c JOIN citizens z ON z.id = c.citizen_id
    WHERE c.citizen_id = ${citizenId} ORDER BY c.recorded_at DESC, c.id`.execute(db);
  return r.rows;
}

export async function findConsent(db: Db, id: string): Promise<ConsentRow | undefined> {
  const r = await sql<ConsentRow>`
    SELECT ${consentColumns} FROM care_consents c JOIN citizens z ON z.id = c.citizen_id WHERE c.id = ${id}`.execute(
    db,
  );
  return r.rows[0];
}

export type NewConsent = {
  citizenId: string;
  givenBy: 'citizen' | 'representative';
  representativeName: string | null;
  givenAt: string | Date;
  recordedBy: string;
};

/**
 * Record consent; `undefined` when the citizen already has consent in force (one at a time). The citizen's
 * night-check schedules count as changed now, so they produce from now on: a time that passed while there
 * was no consent is not raised late (the worker makes occurrences from a schedule's last change on).
 */
export async function recordConsent(db: Db | Trx, c: NewConsent): Promise<string | undefined> {
  const id = randomUUID();
  const r = await sql<{ id: string }>`
    INSERT INTO care_consents (id, citizen_id, given_by, representative_name, given_at, recorded_by)
    VALUES (${id}, ${c.citizenId}, ${c.givenBy}, ${c.representativeName}, ${c.givenAt}, ${c.recordedBy})
    ON CONFLICT (citizen_id) WHERE withdrawn_at IS NULL DO NOTHING
    RETURNING id`.execute(db);
  if (r.rows[0] === undefined) return undefined;
  await sql`UPDATE care_schedules SET updated_at = now()
            WHERE citizen_id = ${c.citizenId} AND kind = 'night_check' AND deleted_at IS NULL`.execute(db);
  return r.rows[0].id;
}

/**
 * Withdraw a consent in force: from then on the citizen's night checks produce nothing; what was
 * materialised and not yet due is removed, and an item due but not raised yet, or a retry, is cancelled
 * when it comes up (raiseDue). The schedules stay (deleted by a supervisor, or producing again once
 * consent is recorded anew), and so does the record: who consented, when, who recorded it, and who
 * withdrew it and when. False when it was not in force.
 */
export async function withdrawConsent(db: Db, id: string, by: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const c = await sql<{ citizen_id: string }>`
      SELECT citizen_id FROM care_consents WHERE id = ${id} AND withdrawn_at IS NULL FOR UPDATE`.execute(trx);
    const citizen = c.rows[0]?.citizen_id;
    if (citizen === undefined) return false;
    await withdrawLocked(trx, id, citizen, by);
    return true;
  });
}

/** Withdraw the citizen's consent in force, if any (the registry import); false when there was none. */
export async function withdrawConsentOf(trx: Trx, citizenId: string, by: string): Promise<boolean> {
  const c = await sql<{ id: string }>`
    SELECT id FROM care_consents WHERE citizen_id = ${citizenId} AND withdrawn_at IS NULL FOR UPDATE`.execute(trx);
  const id = c.rows[0]?.id;
  if (id === undefined) return false;
  await withdrawLocked(trx, id, citizenId, by);
  return true;
}

async function withdrawLocked(trx: Trx, id: string, citizen: string, by: string): Promise<void> {
  // Bumping the schedules first makes a materialiser holding an old snapshot of them wait, then insert
  // nothing (see materialise), while consent is still in force for the consent trigger.
  await sql`UPDATE care_schedules SET updated_at = now()
            WHERE citizen_id = ${citizen} AND kind = 'night_check' AND deleted_at IS NULL`.execute(trx);
  await sql`UPDATE care_consents SET withdrawn_at = now(), withdrawn_by = ${by} WHERE id = ${id}`.execute(trx);
  await dropNotYetDue(trx, sql`o.citizen_id = ${citizen} AND o.kind = 'night_check'`);
}

// ---- Schedules ----

export type ScheduleRow = {
  id: string;
  citizen_id: string;
  municipality_id: string;
  kind: CareKind;
  times: string[];
  days: number[];
  window_minutes: number;
  active_from: string;
  active_to: string | null;
  note: string;
  created_by: string;
  created_at: Date;
  updated_at: Date;
};

const scheduleColumns = sql`s.id, s.citizen_id, z.municipality_id, s.kind, s.times, s.days, s.window_minutes,
  s.active_from::text AS active_from, s.active_to::text AS active_to, s.note, s.created_by, s.created_at, s.updated_at`;

/** Schedules in force (not deleted), of one citizen or of the municipalities given (null: all). */
export async function listSchedules(
  db: Db,
  by: { citizenId?: string | undefined; municipalities: readonly string[] | null },
): Promise<ScheduleRow[]> {
  if (by.municipalities !== null && by.municipalities.length === 0) return [];
  const r = await sql<ScheduleRow>`
    SELECT ${scheduleColumns} FROM care_schedules s JOIN citizens z ON z.id = s.citizen_id
    WHERE s.deleted_at IS NULL
      ${by.citizenId === undefined ? sql`` : sql`AND s.citizen_id = ${by.citizenId}`}
      ${by.municipalities === null ? sql`` : sql`AND z.municipality_id = ANY(${[...by.municipalities]}::text[])`}
    ORDER BY z.municipality_id, s.citizen_id, s.kind, s.id
    LIMIT 10000`.execute(db);
  return r.rows;
}

export async function findSchedule(db: Db, id: string): Promise<ScheduleRow | undefined> {
  const r = await sql<ScheduleRow>`
    SELECT ${scheduleColumns} FROM care_schedules s JOIN citizens z ON z.id = s.citizen_id
    WHERE s.id = ${id} AND s.deleted_at IS NULL`.execute(db);
  return r.rows[0];
}

export type ScheduleInput = Schedule & { note: string };

/** Refused by the database: a night check without consent in force (trigger care_schedules_consent). */
export class ConsentRequired extends Error {
  constructor(readonly citizenId: string) {
    super(`night supervision of citizen ${citizenId} has no consent on record`);
  }
}

const isConsentRefusal = (err: unknown) => (err as { constraint?: string }).constraint === 'care_schedules_consent';

async function consentEnforced<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // The trigger names the citizen (migrations/0015).
    if (isConsentRefusal(err))
      throw new ConsentRequired(/citizen (.*) has no consent/.exec((err as Error).message)?.[1] ?? '');
    throw err;
  }
}

/** Create or replace schedules by id (the registry import and the console); one statement. */
export async function upsertSchedules(
  db: Db | Trx,
  rows: (ScheduleInput & { id: string; citizenId: string; by: string })[],
): Promise<{ created: number; updated: number }> {
  if (rows.length === 0) return { created: 0, updated: 0 };
  const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
  return consentEnforced(async () => {
    const r = await sql<{ created: boolean }>`
      INSERT INTO care_schedules (id, citizen_id, kind, times, days, window_minutes, active_from, active_to, note, created_by)
      SELECT i.id, i.citizen_id, i.kind, ARRAY(SELECT jsonb_array_elements_text(i.times)),
             ARRAY(SELECT jsonb_array_elements_text(i.days)::smallint), i.window_minutes, i.active_from, i.active_to, i.note, i.by
      FROM unnest(${col((r) => r.id)}::text[], ${col((r) => r.citizenId)}::text[], ${col((r) => r.kind)}::text[],
                  ${col((r) => JSON.stringify(r.times))}::jsonb[], ${col((r) => JSON.stringify(r.days))}::jsonb[],
                  ${col((r) => r.windowMinutes)}::int[], ${col((r) => r.activeFrom)}::date[], ${col((r) => r.activeTo)}::date[],
                  ${col((r) => r.note)}::text[], ${col((r) => r.by)}::text[])
             AS i(id, citizen_id, kind, times, days, window_minutes, active_from, active_to, note, by)
      ON CONFLICT (id) DO UPDATE SET citizen_id = excluded.citizen_id, kind = excluded.kind, times = excluded.times,
        days = excluded.days, window_minutes = excluded.window_minutes, active_from = excluded.active_from,
        active_to = excluded.active_to, note = excluded.note, deleted_at = NULL, updated_at = now()
      RETURNING (xmax = 0) AS created`.execute(db);
    const ids = rows.map((r) => r.id);
    await dropNotYetDue(db, sql`o.schedule_id = ANY(${ids}::text[])`);
    const created = r.rows.filter((x) => x.created).length;
    return { created, updated: r.rows.length - created };
  });
}

/** Change a schedule in force; the occurrences not yet due are made again from the new one. */
export async function updateSchedule(db: Db, id: string, s: ScheduleInput): Promise<void> {
  await consentEnforced(() =>
    db.transaction().execute(async (trx) => {
      await sql`UPDATE care_schedules SET kind = ${s.kind}, times = ${s.times}::text[], days = ${s.days}::smallint[],
                  window_minutes = ${s.windowMinutes}, active_from = ${s.activeFrom}::date, active_to = ${s.activeTo}::date,
                  note = ${s.note}, updated_at = now()
                WHERE id = ${id} AND deleted_at IS NULL`.execute(trx);
      await dropNotYetDue(trx, sql`o.schedule_id = ${id}`);
    }),
  );
}

/** Delete a schedule: it produces nothing more; its history stays. False when there was none in force. */
export async function deleteSchedule(db: Db, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const r = await sql`UPDATE care_schedules SET deleted_at = now(), updated_at = now()
                        WHERE id = ${id} AND deleted_at IS NULL`.execute(trx);
    await dropNotYetDue(trx, sql`o.schedule_id = ${id}`);
    return Number(r.numAffectedRows ?? 0) > 0;
  });
}

/** Occurrences materialised but not yet due and never attempted: made again (or not) from the schedule. */
async function dropNotYetDue(db: Db | Trx, where: ReturnType<typeof sql>): Promise<void> {
  await sql`DELETE FROM care_occurrences o
            WHERE o.status = 'pending' AND o.attempts = 0 AND o.due_at > now() AND ${where}`.execute(db);
}

// ---- Materialising occurrences ----

/** `version`: the schedule's updated_at as Postgres prints it (microseconds, which a Date would lose). */
export type MaterialisableSchedule = ScheduleRow & { version: string };

/**
 * Schedules that may produce occurrences: in force, not ended before `since` (a local date), and for a
 * night check with consent in force.
 */
export async function producingSchedules(db: Db, since: string): Promise<MaterialisableSchedule[]> {
  const r = await sql<MaterialisableSchedule>`
    SELECT ${scheduleColumns}, s.updated_at::text AS version FROM care_schedules s JOIN citizens z ON z.id = s.citizen_id
    WHERE s.deleted_at IS NULL AND (s.active_to IS NULL OR s.active_to >= ${since}::date)
      AND (s.kind <> 'night_check' OR EXISTS (
            SELECT 1 FROM care_consents c WHERE c.citizen_id = s.citizen_id AND c.withdrawn_at IS NULL))`.execute(db);
  return r.rows;
}

export type NewOccurrence = {
  scheduleId: string;
  /** The schedule's updated_at when the occurrence was computed from it (MaterialisableSchedule). */
  version: string;
  municipality: string;
  citizenId: string;
  kind: CareKind;
  dueAt: Date;
  windowEndsAt: Date;
};

/**
 * Store occurrences once each (schedule, due time). Each is stored only if its schedule is still the
 * version it was computed from, still in force, and (night checks) consent still in force: the schedule
 * row is locked for share, so a change of it waits for this insert, or this insert for the change, and
 * either way no occurrence of an old version survives (the change drops what is not yet due).
 */
export async function storeOccurrences(db: Db, occ: NewOccurrence[]): Promise<number> {
  if (occ.length === 0) return 0;
  const col = <T>(f: (o: NewOccurrence) => T) => occ.map(f);
  const r = await sql`
    INSERT INTO care_occurrences (id, schedule_id, municipality_id, citizen_id, kind, due_at, window_ends_at, next_attempt_at)
    SELECT gen_random_uuid(), i.schedule_id, i.municipality_id, i.citizen_id, i.kind, i.due_at, i.window_ends_at, i.due_at
    FROM unnest(${col((o) => o.scheduleId)}::text[], ${col((o) => o.version)}::timestamptz[], ${col((o) => o.municipality)}::text[],
                ${col((o) => o.citizenId)}::text[], ${col((o) => o.kind)}::text[], ${col((o) => o.dueAt)}::timestamptz[],
                ${col((o) => o.windowEndsAt)}::timestamptz[])
           AS i(schedule_id, version, municipality_id, citizen_id, kind, due_at, window_ends_at)
    JOIN (SELECT s.id, s.updated_at FROM care_schedules s
          WHERE s.id = ANY(${[...new Set(col((o) => o.scheduleId))]}::text[]) AND s.deleted_at IS NULL
            AND (s.kind <> 'night_check' OR EXISTS (
                  SELECT 1 FROM care_consents c WHERE c.citizen_id = s.citizen_id AND c.withdrawn_at IS NULL))
          FOR SHARE OF s) s ON s.id = i.schedule_id AND s.updated_at = i.version
    ON CONFLICT ON CONSTRAINT care_occurrences_once DO NOTHING`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

// ---- Raising due items ----

type DueOccurrence = {
  id: string;
  schedule_id: string;
  municipality_id: string;
  citizen_id: string;
  kind: CareKind;
  due_at: Date;
  window_ends_at: Date;
  next_attempt_at: Date;
  attempts: number;
  allowed: boolean;
  incident_id: string | null;
};

/** At most this many items raised per call, oldest first; the next call takes the rest. */
export const RAISE_BATCH = 500;

/**
 * Raise every occurrence whose next attempt is due as an alarm row (type planned_call or night_check, in
 * PLANNED_WORK_SOURCE), with its stored answer deadline (the window's end; for a retry, its time plus the
 * window's length) and its change, in one transaction. A retry joins the incident of the first attempt.
 * A first attempt whose schedule was deleted meanwhile, or a night check whose consent was withdrawn, is
 * cancelled; a retry of a citizen not reached goes on after its schedule is deleted (someone is waiting
 * to know they are well), a night check's only with consent (no look without it).
 * Returns the alarms created; queueing them for triage and telling the consoles is the caller's.
 */
export async function raiseDue(db: Db, limit = RAISE_BATCH, at?: Date): Promise<AlarmRow[]> {
  return db.transaction().execute(async (trx) => {
    const due = await sql<DueOccurrence>`
      WITH due AS (
        SELECT o.* FROM care_occurrences o
        WHERE o.status = 'pending' AND o.next_attempt_at <= ${clock(at)}
        ORDER BY o.next_attempt_at
        LIMIT ${limit}
        FOR UPDATE OF o SKIP LOCKED
      )
      SELECT due.id, due.schedule_id, due.municipality_id, due.citizen_id, due.kind, due.due_at, due.window_ends_at,
             due.next_attempt_at, due.attempts,
             (s.deleted_at IS NULL OR due.attempts > 0) AND (due.kind <> 'night_check' OR EXISTS (
               SELECT 1 FROM care_consents c WHERE c.citizen_id = due.citizen_id AND c.withdrawn_at IS NULL)) AS allowed,
             (SELECT a.incident_id FROM care_attempts t JOIN alarms a ON a.id = t.alarm_id
              WHERE t.occurrence_id = due.id AND t.attempt = 1) AS incident_id
      FROM due JOIN care_schedules s ON s.id = due.schedule_id
      ORDER BY due.next_attempt_at`.execute(trx);
    const cancelled = due.rows.filter((o) => !o.allowed).map((o) => o.id);
    if (cancelled.length > 0)
      await sql`UPDATE care_occurrences SET status = 'cancelled', next_attempt_at = NULL
                WHERE id = ANY(${cancelled}::uuid[])`.execute(trx);
    const raise = due.rows.filter((o) => o.allowed);
    if (raise.length === 0) return [];
    const items = raise.map((o) => {
      const attempt = o.attempts + 1;
      const at = new Date(o.next_attempt_at);
      const windowMs = new Date(o.window_ends_at).getTime() - new Date(o.due_at).getTime();
      const answerBy = attempt === 1 ? new Date(o.window_ends_at) : new Date(at.getTime() + windowMs);
      return {
        id: randomUUID(),
        occurrence: o,
        attempt,
        occurredAt: attempt === 1 ? new Date(o.due_at) : at,
        answerBy,
        incident: o.incident_id ?? randomUUID(),
        details: {
          scheduleId: o.schedule_id,
          occurrenceId: o.id,
          attempt,
          dueAt: new Date(o.due_at).toISOString(),
          windowEndsAt: answerBy.toISOString(),
        },
      };
    });
    const col = <T>(f: (i: (typeof items)[number]) => T) => items.map(f);
    // With its row in the reconciler's list (triage_pending), as every alarm stored untriaged.
    const created = await sql<AlarmRow>`
      WITH inserted AS (
      INSERT INTO alarms (id, gateway_id, event_id, municipality_id, device_id, citizen_id, unknown_device, type, lane,
                          occurred_at, details, incident_id, answer_by)
      SELECT i.id, ${PLANNED_WORK_SOURCE}, i.event_id, i.municipality_id, i.device_id, i.citizen_id, false, i.type, i.lane,
             i.occurred_at, i.details, i.incident_id, i.answer_by
      FROM unnest(${col((i) => i.id)}::uuid[], ${col((i) => `${i.occurrence.id}:${i.attempt}`)}::text[],
                  ${col((i) => i.occurrence.municipality_id)}::text[], ${col((i) => `care:${i.occurrence.citizen_id}`)}::text[],
                  ${col((i) => i.occurrence.citizen_id)}::text[], ${col((i) => i.occurrence.kind)}::text[],
                  ${col((i) => laneFor(i.occurrence.kind))}::text[], ${col((i) => i.occurredAt)}::timestamptz[],
                  ${col((i) => JSON.stringify(i.details))}::jsonb[], ${col((i) => i.incident)}::uuid[],
                  ${col((i) => i.answerBy)}::timestamptz[])
             WITH ORDINALITY AS i(id, event_id, municipality_id, device_id, citizen_id, type, lane, occurred_at, details,
                                  incident_id, answer_by, ord)
      ORDER BY i.ord
      ON CONFLICT ON CONSTRAINT alarms_idempotency DO NOTHING
      RETURNING *
      ),
      pending AS (INSERT INTO triage_pending (alarm_id, received_at) SELECT id, received_at FROM inserted)
      SELECT * FROM inserted`.execute(trx);
    const stored = new Set(created.rows.map((r) => r.id));
    const attempts = items.filter((i) => stored.has(i.id));
    await sql`
      INSERT INTO care_attempts (alarm_id, occurrence_id, attempt)
      SELECT * FROM unnest(${attempts.map((i) => i.id)}::uuid[], ${attempts.map((i) => i.occurrence.id)}::uuid[],
                           ${attempts.map((i) => i.attempt)}::smallint[])`.execute(trx);
    await sql`UPDATE care_occurrences SET status = 'raised', next_attempt_at = NULL, attempts = attempts + 1
              WHERE id = ANY(${items.map((i) => i.occurrence.id)}::uuid[])`.execute(trx);
    const order = new Map<string, number>(items.map((it, n) => [it.id, n]));
    const rows = [...created.rows].sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    await appendChanges(
      trx,
      rows.map((row) => ({
        kind: 'alarm' as const,
        entityId: row.id,
        municipality: row.municipality_id,
        payload: toAlarmView(row),
      })),
    );
    return rows;
  });
}

// ---- Device check-ins ----

/**
 * Settle raised planned calls by a device check-in: a `planned_call` event from a gateway, from a device
 * of the same citizen, that occurred within the open attempt's window (its due time to its answer
 * deadline). The attempt's alarm and the check-in are resolved (result `checked_in`, resolved by
 * CHECK_IN_RESOLVER), the occurrence is done and names the check-in; each check-in settles one
 * occurrence. Returns the changed alarms (announcing them is the caller's).
 */
export async function settleByCheckIn(db: Db, limit = RAISE_BATCH): Promise<AlarmRow[]> {
  return db.transaction().execute(async (trx) => {
    const found = await sql<{ occurrence_id: string; item_id: string; check_in_id: string; checked_in_at: Date }>`
      SELECT o.id AS occurrence_id, a.id AS item_id, ci.id AS check_in_id, ci.occurred_at AS checked_in_at
      FROM care_occurrences o
      JOIN care_attempts t ON t.occurrence_id = o.id AND t.attempt = o.attempts
      JOIN alarms a ON a.id = t.alarm_id AND a.status <> 'resolved'
      JOIN LATERAL (
        SELECT ci.id, ci.occurred_at FROM alarms ci
        WHERE ci.citizen_id = o.citizen_id AND ci.type = 'planned_call' AND ci.gateway_id <> ${PLANNED_WORK_SOURCE}
          AND ci.received_at >= a.occurred_at - interval '1 day'
          AND ci.occurred_at BETWEEN a.occurred_at AND a.answer_by
          AND NOT EXISTS (SELECT 1 FROM care_occurrences u WHERE u.check_in_alarm_id = ci.id)
        ORDER BY ci.occurred_at LIMIT 1
      ) ci ON true
      WHERE o.status = 'raised' AND o.kind = 'planned_call'
      ORDER BY o.due_at
      LIMIT ${limit}
      FOR UPDATE OF o, a SKIP LOCKED`.execute(trx);
    // One check-in settles one occurrence (the earliest due); the rest wait for the next pass.
    const used = new Set<string>();
    const settle = found.rows.filter((f) => !used.has(f.check_in_id) && Boolean(used.add(f.check_in_id)));
    if (settle.length === 0) return [];
    await sql`
      UPDATE care_occurrences o SET status = 'done', result = 'checked_in', settled_by = 'check_in',
        check_in_alarm_id = s.check_in_id, answered_at = COALESCE(o.answered_at, s.checked_in_at), settled_at = now()
      FROM unnest(${settle.map((s) => s.occurrence_id)}::uuid[], ${settle.map((s) => s.check_in_id)}::uuid[],
                  ${settle.map((s) => s.checked_in_at)}::timestamptz[]) AS s(id, check_in_id, checked_in_at)
      WHERE o.id = s.id`.execute(trx);
    const ids = settle.flatMap((s) => [s.item_id, s.check_in_id]);
    const resolved = await sql<AlarmRow>`
      WITH target AS (SELECT id FROM alarms WHERE id = ANY(${ids}::uuid[]) AND status <> 'resolved' ORDER BY id FOR UPDATE)
      UPDATE alarms a SET status = 'resolved', outcome = 'phone_resolvable', result = 'checked_in',
        resolved_by = ${CHECK_IN_RESOLVER}, resolved_at = now()
      FROM target WHERE a.id = target.id
      RETURNING a.*`.execute(trx);
    await appendChanges(
      trx,
      resolved.rows.map((row) => ({
        kind: 'alarm' as const,
        entityId: row.id,
        municipality: row.municipality_id,
        payload: toAlarmView(row),
      })),
    );
    return resolved.rows;
  });
}

// ---- An operator's result on an attempt ----

export type AttemptDecision = {
  step: NextStep;
  /** The brief for the dispatch a missed occurrence sends, when it does. */
  brief: string | null;
};

/**
 * The attempt an alarm is, if it is one: its occurrence locked, with the municipality's retry settings.
 * Called inside the operator's decision (db/decisions.ts) so the occurrence changes with the alarm.
 */
export async function decideAttempt(
  trx: Trx,
  alarm: AlarmRow,
  decision: { outcome: TriageClass; result?: CareResult | undefined; followUp?: FollowUp | undefined },
): Promise<AttemptDecision | null> {
  const r = await sql<{
    occurrence_id: string;
    kind: CareKind;
    attempt: number;
    status: string;
    planned_call_retry_minutes: number | null;
    planned_call_retries: number | null;
    night_check_retry_minutes: number | null;
    night_check_retries: number | null;
  }>`
    SELECT o.id AS occurrence_id, o.kind, t.attempt, o.status, m.planned_call_retry_minutes, m.planned_call_retries,
           m.night_check_retry_minutes, m.night_check_retries
    FROM care_attempts t JOIN care_occurrences o ON o.id = t.occurrence_id
    LEFT JOIN municipalities m ON m.id = o.municipality_id
    WHERE t.alarm_id = ${alarm.id}
    FOR UPDATE OF o`.execute(trx);
  const a = r.rows[0];
  if (!a || a.status !== 'raised') return null;
  const d = DEFAULT_RETRY_SETTINGS;
  const step: NextStep = decision.result
    ? nextStep(
        a.kind,
        decision.result,
        a.attempt,
        {
          plannedCallRetryMinutes: a.planned_call_retry_minutes ?? d.plannedCallRetryMinutes,
          plannedCallRetries: a.planned_call_retries ?? d.plannedCallRetries,
          nightCheckRetryMinutes: a.night_check_retry_minutes ?? d.nightCheckRetryMinutes,
          nightCheckRetries: a.night_check_retries ?? d.nightCheckRetries,
        },
        decision.followUp,
      )
    : { step: 'done', outcome: decision.outcome, dispatch: decision.outcome === 'dispatch' };
  const answered = sql`COALESCE(answered_at, ${alarm.claimed_at ?? null}::timestamptz, now())`;
  if (step.step === 'retry') {
    await sql`UPDATE care_occurrences SET status = 'pending', answered_at = ${answered},
                next_attempt_at = now() + make_interval(mins => ${step.afterMinutes})
              WHERE id = ${a.occurrence_id}`.execute(trx);
  } else {
    await sql`UPDATE care_occurrences SET status = ${step.step === 'missed' ? 'missed' : 'done'}, answered_at = ${answered},
                result = ${decision.result ?? null}, settled_by = 'operator', dispatched = ${step.dispatch}, settled_at = now()
              WHERE id = ${a.occurrence_id}`.execute(trx);
  }
  return { step, brief: step.step === 'missed' ? missedBrief(a.kind, a.attempt) : null };
}

// ---- Statistics ----

/**
 * The planned work due in the months `from`…`to` (both included) of the municipalities, by the local
 * month of the due time, as domain/planned.ts `PlannedCounts` says; keyed `municipality|YYYY-MM`, months
 * without any absent. Occurrences not yet due and cancelled ones are left out.
 */
export async function countPlannedWork(
  db: Db | Trx,
  municipalities: readonly string[],
  from: Month,
  to: Month,
): Promise<Map<string, PlannedMonth>> {
  const out = new Map<string, PlannedMonth>();
  if (municipalities.length === 0) return out;
  const tz = sql.lit(CENTRE_TIME_ZONE);
  const r = await sql<{
    m: string;
    month: string;
    kind: CareKind;
    on_time: number;
    late: number;
    missed: number;
    open: number;
    dispatched: number;
  }>`
    SELECT municipality_id AS m, to_char(due_at AT TIME ZONE ${tz}, 'YYYY-MM') AS month, kind,
           count(*) FILTER (WHERE status = 'done' AND answered_at <= window_ends_at)::int AS on_time,
           count(*) FILTER (WHERE status = 'done' AND (answered_at IS NULL OR answered_at > window_ends_at))::int AS late,
           count(*) FILTER (WHERE status = 'missed')::int AS missed,
           count(*) FILTER (WHERE status IN ('pending', 'raised'))::int AS open,
           count(*) FILTER (WHERE dispatched)::int AS dispatched
    FROM care_occurrences
    WHERE municipality_id = ANY(${[...municipalities]}::text[]) AND status <> 'cancelled' AND due_at <= now()
      AND due_at >= (${firstDay(from)}::date::timestamp AT TIME ZONE ${tz})
      AND due_at < (${firstDay(addMonths(to, 1))}::date::timestamp AT TIME ZONE ${tz})
    GROUP BY 1, 2, 3`.execute(db);
  for (const row of r.rows) {
    const k = `${row.m}|${row.month}`;
    const month = out.get(k) ?? emptyPlannedMonth();
    month[row.kind] = {
      total: row.on_time + row.late + row.missed + row.open,
      onTime: row.on_time,
      late: row.late,
      missed: row.missed,
      open: row.open,
      dispatched: row.dispatched,
    };
    out.set(k, month);
  }
  return out;
}
