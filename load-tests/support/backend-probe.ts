// Where the time goes behind the services, sampled once a second while a scenario runs: the CPU of the
// Postgres backends serving the benchmark's database (found by their process title, which names the
// database), the CPU of the Redis server (shared with anything else using it), what the benchmark
// database's active backends are waiting on (pg_stat_activity), and the commits in that database.
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
};

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
    };
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
