// Where the time goes behind the services, sampled once a second while a scenario runs: the CPU of the
// Postgres backends serving the benchmark's database (found by their process title, which names the
// database), the CPU of the Redis server (shared with anything else using it), what the benchmark
// database's active backends are waiting on (pg_stat_activity), and the commits in that database. When
// the server loads pg_stat_statements (shared_preload_libraries; `pg_stat_statements.track_planning` on
// for planning times), the statements of the benchmark's database that took the most time during the
// run, from the difference of two snapshots (nothing is reset, so other work on the server is left as
// it is).
import type pg from 'pg';
import { allPids, cmdline, cpuSecondsOf } from './resources.js';

const EVERY_MS = 1_000;

export type BackendReport = {
  postgresCpuSeconds: number;
  postgresBackends: number;
  redisCpuSeconds: number;
  commits: number;
  wallSeconds: number;
  /** Mean number of the database's active backends in each state, over the samples, largest first. */
  waits: { what: string; mean: number; max: number }[];
  samples: number;
  /** The statements that took the most time during the run (null: pg_stat_statements not loaded). */
  statements: StatementTimes[] | null;
};

export type StatementTimes = { query: string; calls: number; rows: number; execMs: number; planMs: number };

const TOP_STATEMENTS = 6;

export class BackendProbe {
  /** pid → CPU seconds when first seen (0 for a backend started after the mark) and last seen. */
  private readonly backends = new Map<number, { first: number; last: number }>();
  private readonly redisPid: number | undefined;
  private redisFirst = 0;
  private commitsFirst = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly waitSums = new Map<string, { sum: number; max: number }>();
  private samples = 0;
  private sampling: Promise<void> = Promise.resolve();
  private statementsFirst: Map<string, StatementTimes> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly database: string,
  ) {
    this.redisPid = allPids().find((p) => cmdline(p).startsWith('redis-server'));
  }

  async start(): Promise<void> {
    this.startedAt = performance.now();
    this.scanBackends(true);
    this.redisFirst = this.redisPid === undefined ? 0 : (cpuSecondsOf(this.redisPid) ?? 0);
    this.commitsFirst = await this.commits();
    // Its view answers only when the server loads it (shared_preload_libraries); statements() says so.
    await this.pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').catch(() => {});
    this.statementsFirst = await this.statements();
    this.timer = setInterval(() => {
      this.sampling = this.sample().catch(() => {});
    }, EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<BackendReport> {
    clearInterval(this.timer);
    await this.sampling;
    this.scanBackends(false);
    const commits = (await this.commits()) - this.commitsFirst;
    const statementsLast = this.statementsFirst && (await this.statements());
    const redisNow = this.redisPid === undefined ? NaN : (cpuSecondsOf(this.redisPid) ?? NaN);
    return {
      postgresCpuSeconds: [...this.backends.values()].reduce((s, b) => s + b.last - b.first, 0),
      postgresBackends: this.backends.size,
      redisCpuSeconds: redisNow - this.redisFirst,
      commits,
      wallSeconds: (performance.now() - this.startedAt) / 1000,
      waits: [...this.waitSums]
        .map(([what, w]) => ({ what, mean: w.sum / Math.max(1, this.samples), max: w.max }))
        .sort((a, b) => b.mean - a.mean),
      samples: this.samples,
      statements: statementsLast && topStatements(this.statementsFirst!, statementsLast),
    };
  }

  /** pg_stat_statements' totals for the benchmark's database, by query id; null when it is not loaded. */
  private async statements(): Promise<Map<string, StatementTimes> | null> {
    try {
      const { rows } = await this.pool.query<{
        id: string;
        query: string;
        calls: string;
        rows: string;
        exec_ms: number;
        plan_ms: number;
      }>(
        `SELECT s.queryid::text || '/' || s.userid::text AS id, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 90) AS query,
                s.calls, s.rows, s.total_exec_time AS exec_ms, s.total_plan_time AS plan_ms
           FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname = $1 AND s.query NOT LIKE '%pg_stat_statements%'`,
        [this.database],
      );
      return new Map(
        rows.map((r) => [
          r.id,
          { query: r.query, calls: Number(r.calls), rows: Number(r.rows), execMs: r.exec_ms, planMs: r.plan_ms },
        ]),
      );
    } catch {
      // Not in shared_preload_libraries (or not installed): the report says so.
      return null;
    }
  }

  private scanBackends(atMark: boolean): void {
    const title = ` ${this.database} `;
    for (const pid of allPids()) {
      const known = this.backends.get(pid);
      if (!known && !cmdline(pid).startsWith('postgres:')) continue;
      if (!known && !cmdline(pid).includes(title)) continue;
      const cpu = cpuSecondsOf(pid);
      if (cpu === undefined) continue;
      if (known) known.last = cpu;
      else this.backends.set(pid, { first: atMark ? cpu : 0, last: cpu });
    }
  }

  private async sample(): Promise<void> {
    this.scanBackends(false);
    const { rows } = await this.pool.query<{ what: string; n: string }>(
      `SELECT coalesce(wait_event_type || '/' || wait_event, 'running (no wait)') AS what, count(*) AS n
         FROM pg_stat_activity
        WHERE datname = $1 AND state NOT IN ('idle') AND pid <> pg_backend_pid()
        GROUP BY 1`,
      [this.database],
    );
    this.samples++;
    for (const r of rows) {
      const w = this.waitSums.get(r.what) ?? { sum: 0, max: 0 };
      w.sum += Number(r.n);
      w.max = Math.max(w.max, Number(r.n));
      this.waitSums.set(r.what, w);
    }
  }

  private async commits(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1',
      [this.database],
    );
    return Number(rows[0]?.n ?? NaN);
  }
}

/** The statements with the most execution and planning time between two snapshots. */
function topStatements(first: Map<string, StatementTimes>, last: Map<string, StatementTimes>): StatementTimes[] {
  const zero = { calls: 0, rows: 0, execMs: 0, planMs: 0 };
  return [...last]
    .map(([id, l]) => {
      const f = first.get(id) ?? zero;
      return {
        query: l.query,
        calls: l.calls - f.calls,
        rows: l.rows - f.rows,
        execMs: l.execMs - f.execMs,
        planMs: l.planMs - f.planMs,
      };
    })
    .filter((t) => t.calls > 0)
    .sort((a, b) => b.execMs + b.planMs - (a.execMs + a.planMs))
    .slice(0, TOP_STATEMENTS);
}
