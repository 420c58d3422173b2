// stats: monthly statistics on a seeded history, through the console as production runs it (compiled,
// its own process), beside the naive GROUP BY over the raw alarms in the same run. Cases: one
// municipality's year, and every municipality of the database side by side, each for the last full
// calendar year (ended months: rollups), for the twelve months up to now (the current month is always
// counted from the alarms), and for the twelve months to the last ended month with that month marked
// stale, so that a full month is counted from its alarms: what the current month cost at its end before
// the month-to-date rollup, and then the same months with that month's own rollup set aside and its
// month-to-date rollup stored up to its last day (by the worker's own code, with the clock at the
// month's last minute), so that only its last day is counted from the alarms: what the current month
// costs at its end now. Every answer is checked against the naive query's figures.
// Targets (p95, through HTTP): one municipality's year < 100 ms; seven side by side < 300 ms; the whole
// country (98) < 1 s.
//
// Seed first (minutes), then run:
//   DATABASE_URL=postgres://postgres@127.0.0.1:5433/responscenter_stats npm run seed:history -- --years 10 --municipalities 7
//   LOAD_STATS_POSTGRES=postgres://postgres@127.0.0.1:5433/postgres npm run load -- stats
// LOAD_STATS_DATABASE [responscenter_stats], LOAD_STATS_POSTGRES (the server) [127.0.0.1:5432], LOAD_SAMPLES
// [40; 5], LOAD_WARMUP [5; 1], LOAD_NAIVE_SAMPLES [10; 2], LOAD_STATS_CASES (which: `year` the last full year,
// `now` the 12 months to now, `end` the current month at its end, before and after; comma-separated)
// [year,now,end].
import { sql } from 'kysely';
import { createDb, createPool, type Db } from '../../db/connect.js';
import { listMunicipalities } from '../../db/municipalities.js';
import { countMonths, key, storeMonthToDate } from '../../db/statistics.js';
import {
  addMonths,
  canonicalJson,
  emptyCounts,
  firstDay,
  monthFigures,
  monthOf,
  monthsFrom,
  type Month,
} from '../../domain/statistics.js';
import { settingsOf, monthlyStatistics } from '../../services/statistics/monthly.js';
import { ADMIN_LOGIN } from '../../services/simulator/registry.js';
import { knob } from '../support/knobs.js';
import type { Progress } from '../support/progress.js';
import { int, target } from '../support/report.js';
import { databaseUrl, POSTGRES_SERVER, startStack } from '../support/stack.js';
import { ms, summarise, type Summary } from '../support/stats.js';
import type { Scenario } from './types.js';

const TARGETS = { one: 100, seven: 300, national: 1000 };
const PORTS = { ingest: 18383, console: 18384, worker: 18385 };

type Case = {
  kind: 'year' | 'now' | 'end';
  what: string;
  municipalities: string[];
  from: string;
  to: string;
  targetMs: number | null;
  /** A month to mark stale for the case, so it is counted from its alarms like a full current month. */
  stale?: string;
  /**
   * A month whose own rollup is set aside for the case and whose month-to-date rollup is stored up to its
   * last day, so it is read as the current month is at its end.
   */
  toDate?: string;
};
type Measured = { http: Summary; inProcess: Summary; naive: Summary; same: boolean; note?: string };

/** The last minute of a month in Copenhagen time: the clock at which its month-to-date rollup is stored. */
async function lastMinute(db: Db, month: Month): Promise<Date> {
  const r = await sql<{ at: Date }>`
    SELECT ((${firstDay(addMonths(month, 1))}::date::timestamp - interval '1 minute') AT TIME ZONE 'Europe/Copenhagen') AS at`.execute(
    db,
  );
  return r.rows[0]!.at;
}

/**
 * Read the month as the current month at its end: its own rollups set aside (kept here and put back by
 * the returned function) and its month-to-date rollups stored by the worker's code with the clock at its
 * last minute. Returns how long storing them took (the daily work of the worker at that scale).
 */
async function asCurrentMonthAtItsEnd(db: Db, municipalities: string[], month: Month) {
  const day = firstDay(month);
  const kept = await sql<{ m: string; counts: unknown; computed_at: Date }>`
    DELETE FROM stats_months WHERE month = ${day}::date AND municipality_id = ANY(${municipalities}::text[])
    RETURNING municipality_id AS m, counts, computed_at`.execute(db);
  const restore = async () => {
    await sql`DELETE FROM stats_month_to_date WHERE month = ${day}::date`.execute(db);
    await sql`DELETE FROM stats_month_to_date_citizens WHERE month = ${day}::date`.execute(db);
    await sql`
      INSERT INTO stats_months (municipality_id, month, counts, computed_at)
      SELECT u.m, ${day}::date, u.counts, u.at
      FROM unnest(${kept.rows.map((r) => r.m)}::text[], ${kept.rows.map((r) => JSON.stringify(r.counts))}::jsonb[],
                  ${kept.rows.map((r) => r.computed_at)}::timestamptz[]) AS u(m, counts, at)
      ON CONFLICT DO NOTHING`.execute(db);
  };
  try {
    const t = performance.now();
    const stored = await storeMonthToDate(db, await lastMinute(db, month), true);
    const ms = performance.now() - t;
    if (!stored) throw new Error(`no month-to-date rollup stored for ${month}`);
    return {
      restore,
      note: `${stored.stored} month-to-date rollups to ${stored.until.toISOString()} stored in ${(ms / 1000).toFixed(1)} s (the worker's daily work at this scale)`,
    };
  } catch (err) {
    await restore();
    throw err;
  }
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** The figures by the naive way: one GROUP BY over the raw alarms for the whole range, then the same derivation. */
async function naiveFigures(db: Db, c: Case) {
  const rows = await listMunicipalities(db, c.municipalities);
  const counts = await countMonths(db, c.municipalities, c.from, c.to);
  return rows.map((m) => ({
    id: m.id,
    months: monthsFrom(c.from, c.to).map((month) =>
      monthFigures(month, counts.get(key(m.id, month)) ?? emptyCounts(), settingsOf(m)),
    ),
  }));
}

async function measure(db: Db, consoleUrl: string, token: string, c: Case, progress: Progress): Promise<Measured> {
  const samples = knob('SAMPLES', { normal: 40, smoke: 5, max: 1000, integer: true });
  const warmup = knob('WARMUP', { normal: 5, smoke: 1, max: 100, integer: true, min: 0 });
  const naiveSamples = knob('NAIVE_SAMPLES', { normal: 10, smoke: 2, max: 200, integer: true });
  const query = `municipality=${c.municipalities.join(',')}&from=${c.from}&to=${c.to}`;
  let body: { municipalities: { id: string; months: unknown[] }[] } | undefined;
  // A 503 is the console's statement timeout (10 s) on a busy machine: counted and reported, not timed.
  let unavailable = 0;
  let asked = 0;
  const get = async () => {
    asked++;
    const r = await fetch(`${consoleUrl}/v1/stats/monthly?${query}`, { headers: { authorization: `Bearer ${token}` } });
    if (r.status === 503) {
      unavailable++;
      await r.text();
      return false;
    }
    if (r.status !== 200) throw new Error(`GET /v1/stats/monthly?${query} answered ${r.status}: ${await r.text()}`);
    body = (await r.json()) as typeof body;
    return true;
  };
  const rows = await listMunicipalities(db, c.municipalities);
  const served = () => monthlyStatistics(db, rows, c.from, c.to);
  const out = { http: [] as number[], inProcess: [] as number[], naive: [] as number[] };
  let done = 0;
  progress.phase(`stats: ${c.what}`, () => `${done} samples`);
  for (let i = 0; i < warmup; i++) {
    await get();
    await served();
  }
  // Interleaved, so a busy moment of the shared machine falls on both ways alike.
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    if (await get()) out.http.push(performance.now() - t);
    out.inProcess.push(await time(served));
    if (i < naiveSamples) out.naive.push(await time(() => naiveFigures(db, c)));
    done++;
  }
  progress.end();
  const naive = await naiveFigures(db, c);
  const byId = <T extends { id: string }>(list: T[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));
  // The answer through HTTP when there was one, else the same figures computed in this process.
  const answer = body ?? { municipalities: (await served()).municipalities };
  const same =
    canonicalJson(byId(answer.municipalities.map((m) => ({ id: m.id, months: m.months })))) ===
    canonicalJson(byId(naive));
  return {
    http: summarise(out.http),
    inProcess: summarise(out.inProcess),
    naive: summarise(out.naive),
    same,
    ...(unavailable > 0
      ? {
          note: `${unavailable} of ${asked} HTTP requests answered 503 (the console's 10 s statement timeout), left out of the HTTP figures${body ? '' : '; figures checked in-process'}`,
        }
      : {}),
  };
}

export const stats: Scenario = {
  title: 'monthly statistics on a seeded history, beside the naive GROUP BY over raw alarms',
  summary:
    'GET /v1/stats/monthly on a seeded database (npm run seed:history first): a year of one, and of all side by side',
  async run(progress) {
    const database = process.env.LOAD_STATS_DATABASE || 'responscenter_stats';
    // The big seeded databases may live in a cluster of their own (their long COPY transactions would
    // hold back the change-log horizon of everyone else's databases on a shared one).
    const server = process.env.LOAD_STATS_POSTGRES || POSTGRES_SERVER;
    const url = databaseUrl(server, database);
    const pool = createPool(url, { max: 2, statementTimeoutMs: 600_000, applicationName: 'responscenter-load-stats' });
    const db = createDb(pool);
    try {
      const facts = await sql<{ alarms: number; first: string | null; rollups: number }>`
        SELECT (SELECT count(*) FROM alarms)::bigint AS alarms,
               (SELECT to_char(min(received_at), 'YYYY-MM') FROM alarms) AS first,
               (SELECT count(*) FROM stats_months)::bigint AS rollups`
        .execute(db)
        .catch(() => ({ rows: [] as { alarms: number; first: string | null; rollups: number }[] }));
      const f = facts.rows[0];
      if (!f || Number(f.alarms) === 0)
        throw new Error(
          `database ${database} holds no history: DATABASE_URL=${url} npm run seed:history -- --years 10 --municipalities 7`,
        );
      const kinds = (process.env.LOAD_STATS_CASES || 'year,now,end').split(',').map((k) => k.trim());
      for (const k of kinds)
        if (!['year', 'now', 'end'].includes(k))
          throw new Error(`LOAD_STATS_CASES: unknown case ${k} (year, now, end; comma-separated)`);
      const all = (await listMunicipalities(db, null)).map((m) => m.id).sort();
      const one = all.includes('aabenraa') ? 'aabenraa' : all[0]!;
      const now = monthOf(new Date());
      const lastYear = String(Number(now.slice(0, 4)) - 1);
      const sideBySide = all.length >= 98 ? TARGETS.national : all.length <= 7 ? TARGETS.seven : null;
      const ended = addMonths(now, -1);
      const fullLive = `the 12 months to ${ended}, ${ended} counted from its alarms (as a full current month was)`;
      const toDate = `the 12 months to ${ended}, ${ended} from its month-to-date rollup and its last day's alarms (as a full current month is)`;
      const cases = ([
        { kind: 'year', what: `${one}, ${lastYear}`, municipalities: [one], from: `${lastYear}-01`, to: `${lastYear}-12`, targetMs: TARGETS.one },
        { kind: 'now', what: `${one}, the 12 months to ${now}`, municipalities: [one], from: addMonths(now, -11), to: now, targetMs: TARGETS.one },
        { kind: 'end', what: `${one}, ${fullLive}`, municipalities: [one], from: addMonths(ended, -11), to: ended, targetMs: TARGETS.one, stale: ended },
        { kind: 'end', what: `${one}, ${toDate}`, municipalities: [one], from: addMonths(ended, -11), to: ended, targetMs: TARGETS.one, toDate: ended },
        { kind: 'year', what: `all ${all.length}, ${lastYear}`, municipalities: all, from: `${lastYear}-01`, to: `${lastYear}-12`, targetMs: sideBySide },
        { kind: 'now', what: `all ${all.length}, the 12 months to ${now}`, municipalities: all, from: addMonths(now, -11), to: now, targetMs: sideBySide },
        { kind: 'end', what: `all ${all.length}, ${fullLive}`, municipalities: all, from: addMonths(ended, -11), to: ended, targetMs: sideBySide, stale: ended },
        { kind: 'end', what: `all ${all.length}, ${toDate}`, municipalities: all, from: addMonths(ended, -11), to: ended, targetMs: sideBySide, toDate: ended },
      ] satisfies Case[]).filter((c) => kinds.includes(c.kind)) as Case[]; // prettier-ignore

      const stack = await startStack({
        database,
        postgresUrl: server,
        keepDatabase: true,
        redisPrefix: 'rc-load-stats',
        ports: PORTS,
        roles: ['console'],
        adminPassword: ADMIN_LOGIN.password,
      });
      try {
        const login = await fetch(`${stack.consoleUrl}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: ADMIN_LOGIN.username, password: ADMIN_LOGIN.password }),
        });
        if (login.status !== 200) throw new Error(`login as ${ADMIN_LOGIN.username} answered ${login.status}`);
        const { token } = (await login.json()) as { token: string };
        const results: [Case, Measured][] = [];
        for (const c of cases) {
          // A stale mark, as a correction leaves it: the month is then counted from its alarms.
          if (c.stale)
            await sql`INSERT INTO stats_stale (municipality_id, month, xid)
                      SELECT unnest(${c.municipalities}::text[]), ${`${c.stale}-01`}::date, pg_current_xact_id()`.execute(
              db,
            );
          const current = c.toDate ? await asCurrentMonthAtItsEnd(db, c.municipalities, c.toDate) : undefined;
          try {
            const measured = await measure(db, stack.consoleUrl, token, c, progress);
            const note = [measured.note, current?.note].filter((n) => n !== undefined).join('; ');
            results.push([c, note ? { ...measured, note } : measured]);
          } finally {
            if (c.stale)
              await sql`DELETE FROM stats_stale WHERE month = ${`${c.stale}-01`}::date
                        AND municipality_id = ANY(${c.municipalities}::text[])`.execute(db);
            await current?.restore();
          }
        }

        const lines = [
          `Database \`${database}\`: ${int(Number(f.alarms))} alarms since ${f.first}, ${all.length} municipalities, ` +
            `${int(Number(f.rollups))} monthly rollups. Milliseconds; "served" is GET /v1/stats/monthly through the ` +
            'console (HTTP, JSON) and the same figures computed in this process the way the console does (rollups ' +
            'for ended months, the alarms for the rest); "naive" is one GROUP BY over the raw alarms for the whole ' +
            'range, then the same derivation, in this process. A shared 2-core machine: see the load average above.',
          '',
          '| case | served HTTP p50 | p95 | p99 | served in-process p50 | p95 | naive p50 | p95 | speed-up (naive ÷ served HTTP, p50) | same figures |',
          '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
          ...results.map(
            ([c, m]) =>
              `| ${c.what} | ${ms(m.http.p50)} | ${ms(m.http.p95)} | ${ms(m.http.p99)} | ${ms(m.inProcess.p50)} | ${ms(m.inProcess.p95)} | ` +
              `${ms(m.naive.p50)} | ${ms(m.naive.p95)} | ${Number.isFinite(m.http.p50) ? `${(m.naive.p50 / m.http.p50).toFixed(1)}×` : '—'} | ${m.same ? 'yes' : 'NO'} |`,
          ),
          '',
          ...results.filter(([, m]) => m.note !== undefined).map(([c, m]) => `- ${c.what}: ${m.note}.`),
          '',
          ...results
            .filter(([c]) => c.targetMs !== null)
            .map(([c, m]) =>
              target(`${c.what}: p95 < ${c.targetMs} ms`, m.http.p95 < c.targetMs!, `${ms(m.http.p95)} ms`),
            ),
        ];
        return { body: lines.join('\n'), ok: results.every(([, m]) => m.same) };
      } finally {
        await stack.stop();
      }
    } finally {
      await db.destroy();
    }
  },
};
