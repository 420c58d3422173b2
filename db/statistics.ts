// Monthly statistics in SQL: the one query that counts months from the raw alarms (`countMonths`), the
// monthly rollups that store its result for ended months, and the reads that combine the two.
//
// How a month is read (migrations/0008_statistics.sql says why): an ended month with a rollup of the
// current version and no stale mark is read from stats_months; every other month (the current one, one
// not rolled up yet, one changed since) is counted from the alarms. Both in one REPEATABLE READ snapshot,
// so a change is either in the alarms and marked, or in neither. The rollup holds exactly what
// countMonths returned, so both ways give the same figures.
import { sql } from 'kysely';
import {
  addCounts,
  addMonths,
  ANSWER_TIMED_TYPES,
  COUNTED_TYPES,
  COUNTS_VERSION,
  emptyCounts,
  EMERGENCY_CALL_TYPES,
  firstDay,
  monthsFrom,
  REPEAT_CALLER_ALARMS,
  SETTLED_WITHOUT_VISIT,
  type Histogram,
  type Month,
  type MonthCounts,
  type TriageRow,
} from '../domain/statistics.js';
import { CENTRE_TIME_ZONE } from '../domain/time.js';
import type { TriageClass } from '../domain/events.js';
import type { Db, Trx } from './connect.js';

/** Counts by municipality and month: `key(municipality, month)`. */
export type CountsByMonth = Map<string, MonthCounts>;
export const key = (municipality: string, month: Month) => `${municipality}|${month}`;

type Queryable = Db | Trx;

/**
 * Part of a month, by time of receipt. `before`: the alarms received before that instant (what a
 * month-to-date rollup holds). `since`: those received at or after it, counted to be added to the
 * month-to-date rollup whose `until` it is (domain/statistics.ts, addCounts): repeat callers are the
 * citizens whose count before `since` (stats_month_to_date_citizens) was at most the threshold and is
 * above it with these alarms, and an incident already settled without a visit before `since` is not
 * counted again. Instants as RFC 3339 strings.
 */
export type MonthPart = { since?: string; before?: string };

type CountedRow = {
  m: string;
  month: string;
  total: number;
  false_alarm: number;
  phone_resolvable: number;
  dispatch: number;
  unresolved: number;
  answered: number;
  answerable: number;
  agreement: number;
  visits_avoided: number;
  night_checks: number;
  by_type: Record<string, number> | null;
  by_hour: [number, number, number][] | null;
  confusion: [TriageRow, TriageClass, number][] | null;
  answers: Histogram | null;
  dispatches: number | null;
  arrivals: Histogram | null;
  repeat_callers: number | null;
  corrections: number | null;
};

/**
 * The months `from`…`to` (both included) of the municipalities, counted from the raw alarms in one
 * statement: the "naive GROUP BY" that every other path must agree with. Months without alarms are
 * absent from the result (the caller fills in zeros).
 *
 * Every count is over the month's counted alarms (COUNTED_TYPES), except byType, which has every type,
 * and the answer times, which are over ANSWER_TIMED_TYPES (`answerable`, and the seconds of those
 * claimed). Seconds to answer and minutes to arrival are rounded up, so "within 60 s" is exact in whole seconds.
 *
 * With `part`, one month's alarms received from `since` and/or before `before` only: `before` counts a
 * month-to-date rollup; `since` (its `until`) counts the rest on top of it, see MonthPart.
 */
export async function countMonths(
  db: Queryable,
  municipalities: readonly string[],
  from: Month,
  to: Month,
  part: MonthPart = {},
): Promise<CountsByMonth> {
  const out: CountsByMonth = new Map();
  if (municipalities.length === 0) return out;
  if ((part.since !== undefined || part.before !== undefined) && from !== to)
    throw new Error('countMonths: part of a month is counted one month at a time');
  const tz = sql.lit(CENTRE_TIME_ZONE);
  const monthStart = sql`(${firstDay(from)}::date::timestamp AT TIME ZONE ${tz})`;
  const since = part.since === undefined ? sql`` : sql`AND a.received_at >= ${part.since}::timestamptz`;
  const before = part.before === undefined ? sql`` : sql`AND a.received_at < ${part.before}::timestamptz`;
  // After a month-to-date rollup's cut: incidents already counted before the cut are not counted again,
  // and a repeat caller is a citizen who crosses the threshold only with the alarms from the cut on.
  const notCountedBefore =
    part.since === undefined
      ? sql``
      : sql`AND NOT EXISTS (
          SELECT 1 FROM alarms p
          WHERE p.incident_id = a.incident_id AND p.municipality_id = a.m
            AND p.received_at >= ${monthStart} AND p.received_at < ${part.since}::timestamptz
            AND p.outcome = ANY(${[...SETTLED_WITHOUT_VISIT]}::text[])
            AND CASE WHEN a.type = 'night_check' THEN p.type = 'night_check'
                     ELSE p.type = ANY(${[...EMERGENCY_CALL_TYPES]}::text[]) END)`;
  const repeaters =
    part.since === undefined
      ? sql`
    repeaters AS (
      SELECT m, month, count(*) AS repeat_callers
      FROM (SELECT m, month FROM a WHERE counted AND citizen_id IS NOT NULL
            GROUP BY m, month, citizen_id HAVING count(*) > ${REPEAT_CALLER_ALARMS}) t
      GROUP BY m, month
    )`
      : sql`
    repeaters AS (
      SELECT t.m, t.month, count(*) AS repeat_callers
      FROM (SELECT m, month, citizen_id, count(*) AS n FROM a WHERE counted AND citizen_id IS NOT NULL
            GROUP BY m, month, citizen_id) t
      LEFT JOIN stats_month_to_date_citizens p
        ON p.municipality_id = t.m AND p.month = ${firstDay(from)}::date AND p.citizen_id = t.citizen_id
      WHERE COALESCE(p.alarms, 0) <= ${REPEAT_CALLER_ALARMS} AND COALESCE(p.alarms, 0) + t.n > ${REPEAT_CALLER_ALARMS}
      GROUP BY t.m, t.month
    )`;
  const r = await sql<CountedRow>`
    WITH bounds AS (
      -- The instants at which the second, third … month of the range begins: a row's month is the number
      -- of them at or before its receipt (width_bucket, a binary search), cheaper per row than converting
      -- every receipt to local time.
      SELECT COALESCE(array_agg((d::timestamp AT TIME ZONE ${tz}) ORDER BY d), '{}') AS starts
      FROM generate_series(${firstDay(addMonths(from, 1))}::timestamp, ${firstDay(to)}::timestamp, interval '1 month') AS d
    ),
    a AS MATERIALIZED (
      SELECT a.id, a.municipality_id AS m, width_bucket(a.received_at, (SELECT starts FROM bounds)) AS month, a.type,
             a.type = ANY(${[...COUNTED_TYPES]}::text[]) AS counted,
             a.type = ANY(${[...ANSWER_TIMED_TYPES]}::text[]) AS answer_timed,
             a.status = 'resolved' AS resolved, a.outcome, a.triage_class, a.citizen_id, a.incident_id,
             a.received_at, a.claimed_at, a.received_at AT TIME ZONE ${tz} AS local_at
      FROM alarms a
      WHERE a.municipality_id = ANY(${[...municipalities]}::text[])
        AND a.received_at >= ${monthStart}
        AND a.received_at < (${firstDay(addMonths(to, 1))}::date::timestamp AT TIME ZONE ${tz})
        ${since} ${before}
    ),
    main AS (
      SELECT m, month,
             count(*) FILTER (WHERE counted) AS total,
             count(*) FILTER (WHERE counted AND outcome = 'false_alarm') AS false_alarm,
             count(*) FILTER (WHERE counted AND outcome = 'phone_resolvable') AS phone_resolvable,
             count(*) FILTER (WHERE counted AND outcome = 'dispatch') AS dispatch,
             count(*) FILTER (WHERE counted AND NOT resolved) AS unresolved,
             count(*) FILTER (WHERE counted AND claimed_at IS NOT NULL) AS answered,
             count(*) FILTER (WHERE answer_timed) AS answerable,
             count(*) FILTER (WHERE counted AND resolved AND triage_class = outcome) AS agreement
      FROM a GROUP BY m, month
    ),
    -- Incidents settled without a visit; apart from main, so that main needs no sort for DISTINCT.
    visits AS (
      SELECT m, month,
             count(DISTINCT incident_id) FILTER (WHERE type <> 'night_check') AS visits_avoided,
             count(DISTINCT incident_id) FILTER (WHERE type = 'night_check') AS night_checks
      FROM a
      WHERE outcome = ANY(${[...SETTLED_WITHOUT_VISIT]}::text[])
        AND (type = ANY(${[...EMERGENCY_CALL_TYPES]}::text[]) OR type = 'night_check')
        ${notCountedBefore}
      GROUP BY m, month
    ),
    types AS (
      SELECT m, month, jsonb_object_agg(type, n) AS by_type
      FROM (SELECT m, month, type, count(*) AS n FROM a GROUP BY m, month, type) t
      GROUP BY m, month
    ),
    hours AS (
      SELECT m, month, jsonb_agg(jsonb_build_array(dow, hour, n)) AS by_hour
      FROM (SELECT m, month,
                   extract(isodow FROM local_at)::int - 1 AS dow,
                   extract(hour FROM local_at)::int AS hour,
                   count(*) AS n
            FROM a WHERE counted GROUP BY 1, 2, 3, 4) t
      GROUP BY m, month
    ),
    confusion AS (
      SELECT m, month, jsonb_agg(jsonb_build_array(triage, outcome, n)) AS confusion
      FROM (SELECT m, month, COALESCE(triage_class, 'untriaged') AS triage, outcome, count(*) AS n
            FROM a WHERE counted AND resolved GROUP BY 1, 2, 3, 4) t
      GROUP BY m, month
    ),
    answers AS (
      SELECT m, month, jsonb_agg(jsonb_build_array(s, n) ORDER BY s) AS answers
      FROM (SELECT m, month, greatest(0, ceil(date_part('epoch', claimed_at - received_at)))::int AS s, count(*) AS n
            FROM a WHERE answer_timed AND claimed_at IS NOT NULL GROUP BY 1, 2, 3) t
      GROUP BY m, month
    ),
    arrivals AS (
      SELECT m, month, sum(n)::bigint AS dispatches,
             jsonb_agg(jsonb_build_array(minutes, n) ORDER BY minutes) FILTER (WHERE minutes IS NOT NULL) AS arrivals
      FROM (SELECT a.m, a.month,
                   -- greatest() ignores a NULL: a dispatch that never arrived stays NULL here.
                   CASE WHEN d.arrived_at IS NOT NULL
                        THEN greatest(0, ceil(date_part('epoch', d.arrived_at - d.requested_at) / 60))::int END AS minutes,
                   count(*) AS n
            FROM a JOIN dispatches d ON d.alarm_id = a.id
            -- A dispatch is requested after its alarm was received: this lets Postgres read the
            -- municipalities' dispatches from the range's start by index and join them by hash.
            WHERE a.counted AND d.municipality_id = ANY(${[...municipalities]}::text[])
              AND d.requested_at >= ${part.since === undefined ? monthStart : sql`${part.since}::timestamptz`}
            GROUP BY 1, 2, 3) t
      GROUP BY m, month
    ),
    ${repeaters},
    corrections AS (
      SELECT a.m, a.month, count(*) AS corrections
      FROM a JOIN alarm_corrections c ON c.alarm_id = a.id
      WHERE a.counted GROUP BY 1, 2
    )
    SELECT main.m, to_char(${firstDay(from)}::date + make_interval(months => main.month), 'YYYY-MM') AS month, main.total, main.false_alarm, main.phone_resolvable,
           main.dispatch, main.unresolved, main.answered, main.answerable, main.agreement,
           COALESCE(visits.visits_avoided, 0) AS visits_avoided, COALESCE(visits.night_checks, 0) AS night_checks,
           types.by_type, hours.by_hour, confusion.confusion, answers.answers, arrivals.dispatches,
           arrivals.arrivals, repeaters.repeat_callers, corrections.corrections
    FROM main
    LEFT JOIN visits USING (m, month)
    LEFT JOIN types USING (m, month)
    LEFT JOIN hours USING (m, month)
    LEFT JOIN confusion USING (m, month)
    LEFT JOIN answers USING (m, month)
    LEFT JOIN arrivals USING (m, month)
    LEFT JOIN repeaters USING (m, month)
    LEFT JOIN corrections USING (m, month)`.execute(db);
  for (const row of r.rows) out.set(key(row.m, row.month), toCounts(row));
  return out;
}

function toCounts(r: CountedRow): MonthCounts {
  const c = emptyCounts();
  c.total = r.total;
  c.outcomes = {
    false_alarm: r.false_alarm,
    phone_resolvable: r.phone_resolvable,
    dispatch: r.dispatch,
    unresolved: r.unresolved,
  };
  c.byType = r.by_type ?? {};
  for (const [dow, hour, n] of r.by_hour ?? []) c.byWeekdayHour[dow]![hour] = n;
  c.answered = r.answered;
  c.answerable = r.answerable;
  c.answerSeconds = r.answers ?? [];
  c.agreement = r.agreement;
  for (const [triage, outcome, n] of r.confusion ?? []) c.confusion[triage][outcome] = n;
  c.dispatches = r.dispatches ?? 0;
  c.arrivalMinutes = r.arrivals ?? [];
  c.repeatCallers = r.repeat_callers ?? 0;
  c.visitsAvoided = r.visits_avoided;
  c.nightChecksRemote = r.night_checks;
  c.corrections = r.corrections ?? 0;
  return c;
}

/**
 * Months `from`…`to` counted from the raw alarms, one statement per run of at most `chunk` months, so
 * that months far apart are never counted together with everything between them.
 */
async function countRuns(db: Queryable, wanted: Map<Month, string[]>, chunk = 12): Promise<CountsByMonth> {
  const out: CountsByMonth = new Map();
  const months = [...wanted.keys()].sort();
  let i = 0;
  while (i < months.length) {
    // A run: consecutive months, at most `chunk` of them.
    let j = i + 1;
    while (j < months.length && j - i < chunk && addMonths(months[j - 1]!, 1) === months[j]) j++;
    const run = months.slice(i, j);
    const ms = [...new Set(run.flatMap((m) => wanted.get(m)!))];
    const counted = await countMonths(db, ms, run[0]!, run[run.length - 1]!);
    for (const month of run)
      for (const m of wanted.get(month)!) out.set(key(m, month), counted.get(key(m, month)) ?? emptyCounts());
    i = j;
  }
  return out;
}

export type MonthSource = 'rollup' | 'month-to-date' | 'alarms';

/**
 * The counts of every municipality and month asked for (empty months as zeros), from rollups where they
 * hold and from the alarms otherwise, in one snapshot. `source` says which, per key. `at` is the time of
 * the request (default: the transaction's now()): its month and the months after it are never read from
 * a monthly rollup.
 */
export async function readMonthCounts(
  db: Db,
  municipalities: readonly string[],
  from: Month,
  to: Month,
  at?: Date,
): Promise<{ counts: CountsByMonth; source: Map<string, MonthSource> }> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) => readMonthCountsIn(trx, municipalities, from, to, at));
}

/**
 * readMonthCounts in a transaction of the caller's, which must be REPEATABLE READ (one snapshot). A month
 * without a monthly rollup that holds (the current month, or one ended so recently that it has none yet)
 * but with a month-to-date rollup that holds is its month-to-date counts plus the alarms from its `until`
 * on; any other month is counted from its alarms.
 */
export async function readMonthCountsIn(
  trx: Trx,
  municipalities: readonly string[],
  from: Month,
  to: Month,
  at?: Date,
): Promise<{ counts: CountsByMonth; source: Map<string, MonthSource> }> {
  const counts: CountsByMonth = new Map();
  const source = new Map<string, MonthSource>();
  if (municipalities.length === 0) return { counts, source };
  const now = at === undefined ? sql`now()` : sql`${at.toISOString()}::timestamptz`;
  const held = await sql<{ m: string; month: string; counts: MonthCounts }>`
    SELECT r.municipality_id AS m, to_char(r.month, 'YYYY-MM') AS month, r.counts
    FROM stats_months r
    WHERE r.municipality_id = ANY(${[...municipalities]}::text[])
      AND r.month BETWEEN ${firstDay(from)}::date AND ${firstDay(to)}::date
      AND r.month < stats_month(${now})
      AND (r.counts->>'version')::int = ${COUNTS_VERSION}
      AND NOT EXISTS (SELECT 1 FROM stats_stale s WHERE s.municipality_id = r.municipality_id AND s.month = r.month)`.execute(
    trx,
  );
  for (const r of held.rows) {
    counts.set(key(r.m, r.month), r.counts);
    source.set(key(r.m, r.month), 'rollup');
  }
  // Month-to-date rollups of the months still missing, grouped by month and cut.
  const toDate = await sql<{ m: string; month: string; until: Date; counts: MonthCounts }>`
    SELECT r.municipality_id AS m, to_char(r.month, 'YYYY-MM') AS month, r.until, r.counts
    FROM stats_month_to_date r
    WHERE r.municipality_id = ANY(${[...municipalities]}::text[])
      AND r.month BETWEEN ${firstDay(from)}::date AND ${firstDay(to)}::date
      AND r.until <= ${now}
      AND (r.counts->>'version')::int = ${COUNTS_VERSION}
      AND NOT EXISTS (SELECT 1 FROM stats_stale s WHERE s.municipality_id = r.municipality_id AND s.month = r.month)`.execute(
    trx,
  );
  const cuts = new Map<string, { month: Month; since: string; ms: string[] }>();
  for (const r of toDate.rows) {
    if (counts.has(key(r.m, r.month))) continue;
    const since = new Date(r.until).toISOString();
    const group = cuts.get(`${r.month}|${since}`) ?? { month: r.month, since, ms: [] };
    group.ms.push(r.m);
    cuts.set(`${r.month}|${since}`, group);
    counts.set(key(r.m, r.month), r.counts);
    source.set(key(r.m, r.month), 'month-to-date');
  }
  for (const { month, since, ms } of cuts.values()) {
    const rest = await countMonths(trx, ms, month, month, { since });
    for (const m of ms) {
      const rest1 = rest.get(key(m, month));
      if (rest1) counts.set(key(m, month), addCounts(counts.get(key(m, month))!, rest1));
    }
  }
  const wanted = new Map<Month, string[]>();
  for (const month of monthsFrom(from, to))
    for (const m of municipalities) {
      if (counts.has(key(m, month))) continue;
      wanted.set(month, [...(wanted.get(month) ?? []), m]);
    }
  for (const [k, c] of await countRuns(trx, wanted)) {
    counts.set(k, c);
    source.set(k, 'alarms');
  }
  return { counts, source };
}

// ---- Keeping the rollups ----

/**
 * The instant before which everything has settled: the earlier of `at` (default now()) and the start of
 * the oldest transaction still running in this database, so no transaction can still add or change an
 * alarm received before it without the change marking its month stale (the trigger marks changes made
 * by transactions that began after the start of the day the alarm was received on). Sessions are read
 * from pg_stat_activity: the services' database role must see the others' sessions (one role for all
 * services, or pg_read_all_stats).
 */
function settledInstant(at?: Date) {
  return sql`least(${at === undefined ? sql`now()` : sql`${at.toISOString()}::timestamptz`}, (
             SELECT min(xact_start) FROM pg_stat_activity
             WHERE datname = current_database() AND backend_type = 'client backend'
               AND pid <> pg_backend_pid() AND xact_start IS NOT NULL))`;
}

/** The month before which every month has ended for good (see settledInstant). */
export async function settledBefore(db: Queryable, at?: Date): Promise<Month> {
  const r = await sql<{ month: string }>`
    SELECT to_char(stats_month(${settledInstant(at)}), 'YYYY-MM') AS month`.execute(db);
  return r.rows[0]!.month;
}

/**
 * Ended months that need their rollup computed (again): marked stale, missing, or of another version,
 * from each municipality's first alarm to the month before `settled`; oldest first, at most `limit`.
 * With `everything`, every such month whatever its rollup (a rebuild).
 */
export async function monthsToRollUp(
  db: Queryable,
  settled: Month,
  limit: number,
  everything = false,
): Promise<{ municipality: string; month: Month }[]> {
  const r = await sql<{ municipality: string; month: string }>`
    WITH firsts AS (
      SELECT m.id, stats_month((SELECT min(a.received_at) FROM alarms a WHERE a.municipality_id = m.id)) AS first
      FROM municipalities m
    ),
    wanted AS (
      SELECT f.id AS municipality, g.month::date AS month
      FROM firsts f, generate_series(f.first::timestamp, (${firstDay(settled)}::date - 1)::timestamp, interval '1 month') AS g(month)
      WHERE f.first IS NOT NULL
    )
    SELECT w.municipality, to_char(w.month, 'YYYY-MM') AS month FROM wanted w
    LEFT JOIN stats_months r ON r.municipality_id = w.municipality AND r.month = w.month
    WHERE ${everything} OR r.month IS NULL OR (r.counts->>'version')::int IS DISTINCT FROM ${COUNTS_VERSION}
    UNION
    SELECT DISTINCT s.municipality_id, to_char(s.month, 'YYYY-MM') FROM stats_stale s
    WHERE s.month < ${firstDay(settled)}::date
    ORDER BY 2, 1
    LIMIT ${limit}`.execute(db);
  return r.rows;
}

/** Advisory lock key under which one process at a time stores rollups. */
const ROLLUP_LOCK = 72_530_008;

/**
 * Count the given months from the alarms and store them as their rollups, clearing the stale marks the
 * same snapshot saw (a change committed meanwhile keeps its mark). False when another process holds the
 * rollup lock: it is doing the same work.
 */
export async function storeRollups(db: Db, keys: readonly { municipality: string; month: Month }[]): Promise<boolean> {
  if (keys.length === 0) return true;
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const locked = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${ROLLUP_LOCK}) AS ok`.execute(trx);
      if (!locked.rows[0]!.ok) return false;
      const wanted = new Map<Month, string[]>();
      for (const k of keys) wanted.set(k.month, [...(wanted.get(k.month) ?? []), k.municipality]);
      const counted = await countRuns(trx, wanted);
      const ms = keys.map((k) => k.municipality);
      const months = keys.map((k) => firstDay(k.month));
      const values = keys.map((k) => JSON.stringify(counted.get(key(k.municipality, k.month))!));
      await sql`
        INSERT INTO stats_months (municipality_id, month, counts, computed_at)
        SELECT u.m, u.month, u.counts, now()
        FROM unnest(${ms}::text[], ${months}::date[], ${values}::jsonb[]) AS u(m, month, counts)
        ON CONFLICT (municipality_id, month) DO UPDATE SET counts = excluded.counts, computed_at = excluded.computed_at`.execute(
        trx,
      );
      await sql`
        DELETE FROM stats_stale s
        USING unnest(${ms}::text[], ${months}::date[]) AS u(m, month)
        WHERE s.municipality_id = u.m AND s.month = u.month`.execute(trx);
      // The month's month-to-date rollup has served its time.
      await sql`
        DELETE FROM stats_month_to_date r
        USING unnest(${ms}::text[], ${months}::date[]) AS u(m, month)
        WHERE r.municipality_id = u.m AND r.month = u.month`.execute(trx);
      await sql`
        DELETE FROM stats_month_to_date_citizens r
        USING unnest(${ms}::text[], ${months}::date[]) AS u(m, month)
        WHERE r.municipality_id = u.m AND r.month = u.month`.execute(trx);
      return true;
    });
}

// ---- Keeping the month-to-date rollups ----

/** Advisory lock key (session level) under which one process at a time stores month-to-date rollups. */
const MONTH_TO_DATE_LOCK = 72_530_013;
/** Municipalities counted per statement when storing month-to-date rollups. */
const MONTH_TO_DATE_CHUNK = 4;

export type MonthToDateStored = {
  /** The month whose rollups are kept, and their cut: the start of the settled day (Copenhagen time). */
  month: Month;
  until: Date;
  /** Municipalities whose month-to-date rollup was stored in this call. */
  stored: number;
};

/**
 * Store the current month's month-to-date rollups: for every municipality whose rollup is missing, older
 * than the start of the settled day, of another version or marked stale (every one, with `everything`),
 * countMonths' counts of the alarms received from the month's start up to the start of that day, with
 * each citizen's count, clearing the stale marks of the month its snapshot saw (a change committed
 * meanwhile keeps its mark). `at` is now (default the database's). Nothing on the month's first day:
 * there is nothing before today to store.
 *
 * Exactly once across processes: the work is decided and done under a session-level advisory lock, in a
 * snapshot taken after it was granted, so a second process sees the first one's rollups and finds
 * nothing to do. False when another process holds the lock.
 */
export async function storeMonthToDate(
  db: Db,
  at?: Date,
  everything = false,
): Promise<MonthToDateStored | null | false> {
  return db.connection().execute(async (conn) => {
    const locked = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${MONTH_TO_DATE_LOCK}) AS ok`.execute(conn);
    if (!locked.rows[0]!.ok) return false;
    try {
      return await conn
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (trx) => {
          const tz = sql.lit(CENTRE_TIME_ZONE);
          const cut = await sql<{ until: Date; month: string; first: boolean }>`
            SELECT u.until, to_char(stats_month(u.until), 'YYYY-MM') AS month,
                   u.until = (date_trunc('month', u.until AT TIME ZONE ${tz}) AT TIME ZONE ${tz}) AS first
            FROM (SELECT date_trunc('day', ${settledInstant(at)} AT TIME ZONE ${tz}) AT TIME ZONE ${tz} AS until) u`.execute(
            trx,
          );
          const { until, month, first } = cut.rows[0]!;
          if (first) return null;
          const since = new Date(until).toISOString();
          const due = await sql<{ m: string }>`
            SELECT m.id AS m FROM municipalities m
            LEFT JOIN stats_month_to_date r ON r.municipality_id = m.id AND r.month = ${firstDay(month)}::date
            WHERE ${everything} OR r.month IS NULL OR r.until < ${since}::timestamptz
               OR (r.counts->>'version')::int IS DISTINCT FROM ${COUNTS_VERSION}
               OR EXISTS (SELECT 1 FROM stats_stale s WHERE s.municipality_id = m.id AND s.month = r.month)
            ORDER BY m.id`.execute(trx);
          const ms = due.rows.map((r) => r.m);
          if (ms.length === 0) return { month, until: new Date(until), stored: 0 };
          // A few municipalities per statement, so that no statement runs long (the services' statement
          // timeout) however many municipalities there are; all in one snapshot.
          for (let i = 0; i < ms.length; i += MONTH_TO_DATE_CHUNK) {
            const part = ms.slice(i, i + MONTH_TO_DATE_CHUNK);
            const counted = await countMonths(trx, part, month, month, { before: since });
            const values = part.map((m) => JSON.stringify(counted.get(key(m, month)) ?? emptyCounts()));
            await sql`
              INSERT INTO stats_month_to_date (municipality_id, month, until, counts, computed_at)
              SELECT u.m, ${firstDay(month)}::date, ${since}::timestamptz, u.counts, now()
              FROM unnest(${part}::text[], ${values}::jsonb[]) AS u(m, counts)
              ON CONFLICT (municipality_id, month) DO UPDATE
                SET until = excluded.until, counts = excluded.counts, computed_at = excluded.computed_at`.execute(trx);
            await sql`
              DELETE FROM stats_month_to_date_citizens
              WHERE municipality_id = ANY(${part}::text[]) AND month = ${firstDay(month)}::date`.execute(trx);
            await sql`
              INSERT INTO stats_month_to_date_citizens (municipality_id, month, citizen_id, alarms)
              SELECT a.municipality_id, ${firstDay(month)}::date, a.citizen_id, count(*)
              FROM alarms a
              WHERE a.municipality_id = ANY(${part}::text[])
                AND a.received_at >= (${firstDay(month)}::date::timestamp AT TIME ZONE ${tz})
                AND a.received_at < ${since}::timestamptz
                AND a.type = ANY(${[...COUNTED_TYPES]}::text[]) AND a.citizen_id IS NOT NULL
              GROUP BY a.municipality_id, a.citizen_id`.execute(trx);
          }
          // The month has no monthly rollup yet (it is the current one), so its marks concern only these.
          await sql`
            DELETE FROM stats_stale s
            WHERE s.municipality_id = ANY(${ms}::text[]) AND s.month = ${firstDay(month)}::date
              AND NOT EXISTS (SELECT 1 FROM stats_months r WHERE r.municipality_id = s.municipality_id AND r.month = s.month)`.execute(
            trx,
          );
          return { month, until: new Date(until), stored: ms.length };
        });
    } finally {
      await sql`SELECT pg_advisory_unlock(${MONTH_TO_DATE_LOCK})`.execute(conn);
    }
  });
}
