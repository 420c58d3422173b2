// The centre's status (GET /v1/centre), polled every few seconds by every console: each query reads an
// index range bounded by what is open now or by received_at within today, never the history.
import { sql, type RawBuilder } from 'kysely';
import { ANSWERED_WITHIN_SECONDS, STAFF_ROLES } from '../domain/centre.js';
import { LANE_WITHOUT_ANSWER_TARGET } from '../domain/escalation.js';
import { CENTRE_TIME_ZONE } from '../domain/time.js';
import type { Db } from './connect.js';
import { alarmRow } from './open.js';

/** null: every municipality. */
type Scope = readonly string[] | null;

const inScope = (column: string, scope: Scope): RawBuilder<boolean> =>
  scope === null ? sql<boolean>`true` : sql<boolean>`${sql.ref(column)} = ANY(${[...scope]}::text[])`;

/** Whole seconds from `at` to now (null stays null). */
const secondsSince = (at: RawBuilder<unknown>) => sql<number | null>`floor(extract(epoch FROM now() - ${at}))::int`;

/** Open alarms waiting for an operator: not claimed yet, triaged or not. */
const WAITING = sql`a.status IN ('received', 'triaged')`;
/**
 * The alarm's escalation still asks for someone (domain/escalation.ts): unanswered while unclaimed,
 * unresolved while claimed.
 */
const ESCALATION_CURRENT = sql`((a.escalation_reason = 'unanswered' AND ${WAITING}) OR (a.escalation_reason = 'unresolved' AND a.status = 'claimed'))`;

export type OpenAlarmFigures = {
  municipality: string;
  waiting: number;
  longestWaitSeconds: number | null;
  untriaged: number;
  oldestUntriagedSeconds: number | null;
  escalated: number;
};

/**
 * Per municipality in scope with open alarms: those waiting for an operator and the longest wait, those
 * still untriaged (status received) and the oldest, and those whose escalation is current. One pass
 * over the open alarms (index alarms_open), with the database's now.
 */
export async function openAlarmFigures(db: Db, scope: Scope): Promise<{ now: Date; rows: OpenAlarmFigures[] }> {
  if (scope !== null && scope.length === 0) return { now: await databaseNow(db), rows: [] };
  const r = await sql<{
    municipality_id: string;
    now: Date;
    waiting: number;
    longest: number | null;
    untriaged: number;
    oldest_untriaged: number | null;
    escalated: number;
  }>`
    SELECT a.municipality_id, now() AS now,
           count(*) FILTER (WHERE ${WAITING})::int AS waiting,
           ${secondsSince(sql`min(a.received_at) FILTER (WHERE ${WAITING})`)} AS longest,
           count(*) FILTER (WHERE a.status = 'received')::int AS untriaged,
           ${secondsSince(sql`min(a.received_at) FILTER (WHERE a.status = 'received')`)} AS oldest_untriaged,
           count(*) FILTER (WHERE ${ESCALATION_CURRENT})::int AS escalated
    FROM alarms a
    WHERE ${alarmRow('a').isOpen} AND ${inScope('a.municipality_id', scope)}
    GROUP BY a.municipality_id`.execute(db);
  return {
    now: r.rows[0]?.now ?? (await databaseNow(db)),
    rows: r.rows.map((x) => ({
      municipality: x.municipality_id,
      waiting: x.waiting,
      longestWaitSeconds: x.longest,
      untriaged: x.untriaged,
      oldestUntriagedSeconds: x.oldest_untriaged,
      escalated: x.escalated,
    })),
  };
}

async function databaseNow(db: Db): Promise<Date> {
  return (await sql<{ now: Date }>`SELECT now() AS now`.execute(db)).rows[0]!.now;
}

/** Per municipality in scope: dispatches still requested whose not_accepted escalation is current (index dispatches_requested). */
export async function escalatedDispatchCounts(db: Db, scope: Scope): Promise<Map<string, number>> {
  if (scope !== null && scope.length === 0) return new Map();
  const r = await sql<{ municipality_id: string; n: number }>`
    SELECT d.municipality_id, count(*)::int AS n FROM dispatches d
    WHERE d.status = 'requested' AND d.escalated_at IS NOT NULL AND ${inScope('d.municipality_id', scope)}
    GROUP BY d.municipality_id`.execute(db);
  return new Map(r.rows.map((x) => [x.municipality_id, x.n]));
}

export type AnswerCounts = { answered: number; decided: number };
export type AnswerFigures = { municipality: string; lastHour: AnswerCounts; today: AnswerCounts };

/**
 * Per municipality in scope: of the alarms received in the last hour, and since midnight in the
 * centre's time zone, how many were claimed within ANSWERED_WITHIN_SECONDS of receipt (`answered`) out
 * of those already decided (`decided`: claimed, or received longer ago than that, so the answer is
 * known). Technical events and tests are left out, as the contract's answer statistics do (they are
 * the technical lane), and so are planned calls and night checks, as in the monthly statistics
 * (domain/statistics.ts ANSWER_TIMED_TYPES): they are measured against their window. A range of received_at on alarms_municipality_received (alarms_received for all).
 */
export async function answerFigures(db: Db, scope: Scope): Promise<AnswerFigures[]> {
  if (scope !== null && scope.length === 0) return [];
  const within = sql`make_interval(secs => ${ANSWERED_WITHIN_SECONDS})`;
  const hourStart = sql`now() - interval '1 hour'`;
  const dayStart = sql`(date_trunc('day', now() AT TIME ZONE ${CENTRE_TIME_ZONE}) AT TIME ZONE ${CENTRE_TIME_ZONE})`;
  const decided = sql`(a.claimed_at IS NOT NULL OR a.received_at <= now() - ${within})`;
  const answered = sql`(a.claimed_at <= a.received_at + ${within})`;
  const r = await sql<{
    municipality_id: string;
    hour_answered: number;
    hour_decided: number;
    day_answered: number;
    day_decided: number;
  }>`
    SELECT a.municipality_id,
           count(*) FILTER (WHERE a.received_at >= ${hourStart} AND ${answered})::int AS hour_answered,
           count(*) FILTER (WHERE a.received_at >= ${hourStart} AND ${decided})::int AS hour_decided,
           count(*) FILTER (WHERE a.received_at >= ${dayStart} AND ${answered})::int AS day_answered,
           count(*) FILTER (WHERE a.received_at >= ${dayStart} AND ${decided})::int AS day_decided
    FROM alarms a
    WHERE a.received_at >= least(${hourStart}, ${dayStart})
      AND a.lane <> ${sql.lit(LANE_WITHOUT_ANSWER_TARGET)} AND a.type NOT IN ('planned_call', 'night_check')
      AND ${inScope('a.municipality_id', scope)}
    GROUP BY a.municipality_id`.execute(db);
  return r.rows.map((x) => ({
    municipality: x.municipality_id,
    lastHour: { answered: x.hour_answered, decided: x.hour_decided },
    today: { answered: x.day_answered, decided: x.day_decided },
  }));
}

export type StaffRow = { username: string; role: string; municipalities: string[] };

/** Of these users, the operators and supervisors, with their current role and scope. */
export async function findStaff(db: Db, usernames: readonly string[]): Promise<StaffRow[]> {
  if (usernames.length === 0) return [];
  return db
    .selectFrom('users')
    .select(['username', 'role', 'municipalities'])
    .where('username', 'in', [...usernames])
    .where('role', 'in', [...STAFF_ROLES])
    .execute();
}
