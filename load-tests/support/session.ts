// What a scenario runs against: the real services (three processes, demo registry imported, an
// operator's live feed connected, their CPU and memory measured) or one of the floors (a bare Fastify
// route with a bare `ws` push, or the naive one-commit-per-request route). Everything listens on
// 127.0.0.1 only, on ports and a database of the load benchmark's own.
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { login } from '../../services/simulator/console-client.js';
import { JsonClient } from '../../services/simulator/http.js';
import {
  ADMIN_LOGIN,
  ALL_MUNICIPALITIES_LOGIN,
  demoRegistry,
  registryBody,
  type DemoRegistry,
} from '../../services/simulator/registry.js';
import { BackendProbe, type BackendReport } from './backend-probe.js';
import { FeedWatch } from './feed-watch.js';
import { SMOKE } from './knobs.js';
import type { Progress } from './progress.js';
import { ProcessProbe } from './resources.js';
import {
  databaseUrl,
  dropDatabase,
  LOG_DIR,
  POSTGRES_SERVER,
  spawnScript,
  startStack,
  stopProcess,
  waitReady,
  type Role,
} from './stack.js';

export const HOST = '127.0.0.1';
const PORTS = { ingest: 18380, console: 18381, worker: 18382 };
const BARE_PORT = 18390;
const NAIVE_PORT = 18391;
const DATABASE = 'responscenter_load';
const NAIVE_DATABASE = 'responscenter_load_naive';
const REDIS_PREFIX = 'rc-load';
const ADMIN_PASSWORD = 'load-admin-password-1';
/** The services' stack as every scenario starts it (the roles aside). */
const STACK = { database: DATABASE, redisPrefix: REDIS_PREFIX, ports: PORTS, adminPassword: ADMIN_PASSWORD };
/** Idle is measured this long after start-up, registry import and the feed's connection. */
const SETTLE_MS = SMOKE ? 1_000 : 3_000;

/** Every request of the benchmark goes to this machine: refuse anything else. */
export function local(url: string): string {
  if (new URL(url).hostname !== HOST) throw new Error(`the load benchmark only targets ${HOST} (got ${url})`);
  return url;
}

export type Target = {
  kind: 'services' | 'floor';
  ingestUrl: string;
  /** The connected live feed (the services' console, or the bare server's ws). */
  feed: FeedWatch;
  reg: DemoRegistry;
  /** ` · rss ingest 120 worker 140 console 130 MB` for the progress line (services only). */
  memoryLine?: () => string;
};

export type ServicesTarget = Target & {
  kind: 'services';
  /** A query on the services' database, to count from outside what was stored. */
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
};

export type Resources = { rows: ResourceRow[]; backend: BackendReport };

export type ResourceRow = {
  process: string;
  pid: number | undefined;
  idleMb: number;
  peakMb: number;
  cpuSeconds: number;
  wallSeconds: number;
  alive: boolean;
};

export async function withServices<T>(
  progress: Progress,
  fn: (t: ServicesTarget) => Promise<T>,
): Promise<{ result: T; resources: Resources }> {
  progress.note(`starting ingest, worker and console (logs in ${LOG_DIR}) …`);
  const stack = await startStack(STACK);
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 3 });
  let feed: FeedWatch | undefined;
  try {
    const reg = await importRegistry(stack.consoleUrl);
    const probes = stack.processes.map((p) => ProcessProbe.of(p.role, p.child));
    const token = await login(stack.consoleUrl, ALL_MUNICIPALITIES_LOGIN.username, ALL_MUNICIPALITIES_LOGIN.password);
    feed = await FeedWatch.open(stack.consoleUrl, token);
    await sleep(SETTLE_MS);
    for (const p of probes) p.markIdle();
    const backend = new BackendProbe(pool, DATABASE);
    await backend.start();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const byRole = (r: Role) => probes.find((p) => p.role === r);
    const result = await fn({
      kind: 'services',
      ingestUrl: local(stack.ingestUrl),
      feed,
      reg,
      query: async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) =>
        (await pool.query<R>(sql, params)).rows,
      memoryLine: () =>
        ' · rss ' +
        (['ingest', 'worker', 'console'] as const)
          .map((r) => `${r} ${byRole(r)?.sample()?.rssMb.toFixed(0) ?? '—'}`)
          .join(' ') +
        ' MB',
    });
    const cpu = process.cpuUsage(cpu0);
    const wallSeconds = (performance.now() - t0) / 1000;
    const backendReport = await backend.stop();
    const rows: ResourceRow[] = (['ingest', 'worker', 'console'] as const).map((role) => {
      const p = byRole(role)!;
      const load = p.underLoad()!;
      return {
        process: role,
        pid: p.pid,
        idleMb: p.idle?.rssMb ?? NaN,
        peakMb: load.peakMb,
        cpuSeconds: load.cpuSeconds,
        wallSeconds: load.wallSeconds,
        alive: load.alive,
      };
    });
    rows.push({
      process: 'load generator (this process)',
      pid: process.pid,
      idleMb: NaN,
      // ru_maxrss covers the whole life of this process, floors included.
      peakMb: process.resourceUsage().maxRSS / 1024,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      wallSeconds,
      alive: true,
    });
    return { result, resources: { rows, backend: backendReport } };
  } finally {
    feed?.close();
    await pool.end();
    await stack.stop();
  }
}

/** Import the demo registry through the console, as its administrator. */
async function importRegistry(consoleUrl: string): Promise<DemoRegistry> {
  const reg = demoRegistry();
  const http = new JsonClient(local(consoleUrl));
  const admin = await login(consoleUrl, ADMIN_LOGIN.username, ADMIN_PASSWORD);
  const put = await http.request('PUT', '/v1/admin/registry', registryBody(reg), {
    authorization: `Bearer ${admin}`,
  });
  http.close();
  if (put.status !== 200) throw new Error(`registry import answered ${put.status}: ${JSON.stringify(put.body)}`);
  return reg;
}

/** What the ingest service alone spent: its CPU, and Postgres' and Redis' (withIngestAlone). */
export type AloneResources = { cpuSeconds: number; wallSeconds: number; backend: BackendReport };

/**
 * The ingest service alone: started with the console, which imports the registry and is then stopped,
 * so only ingest, Postgres and Redis share the cores. Nothing triages what it accepts or shows it on a
 * feed: this measures the durable accept itself (the group commit and the queueing after it), as the
 * naive floor measures its one commit per request, not the service as a whole.
 */
export async function withIngestAlone<T>(
  progress: Progress,
  fn: (ingestUrl: string) => Promise<T>,
): Promise<{ result: T; resources: AloneResources }> {
  progress.note(`starting ingest alone (the console imports the registry and stops; logs in ${LOG_DIR}) …`);
  const stack = await startStack({ ...STACK, roles: ['console', 'ingest'] });
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 3 });
  try {
    await importRegistry(stack.consoleUrl);
    await stopProcess(stack.processes.find((p) => p.role === 'console')!.child);
    const ingest = ProcessProbe.of('ingest', stack.processes.find((p) => p.role === 'ingest')!.child);
    await sleep(SETTLE_MS);
    ingest.markIdle();
    const backend = new BackendProbe(pool, DATABASE);
    await backend.start();
    const result = await fn(local(stack.ingestUrl));
    const load = ingest.underLoad()!;
    if (!load.alive) throw new Error(`the ingest service exited under load (logs in ${LOG_DIR})`);
    return {
      result,
      resources: { cpuSeconds: load.cpuSeconds, wallSeconds: load.wallSeconds, backend: await backend.stop() },
    };
  } finally {
    await pool.end();
    await stack.stop();
  }
}

/** The bare floor: a Fastify route that parses the same JSON and answers 202, and a bare `ws` push. */
export async function withBareFloor<T>(progress: Progress, fn: (t: Target) => Promise<T>): Promise<T> {
  progress.note('starting the bare floor (Fastify route + ws push) …');
  const bare = spawnScript('bare-server', ['load-tests/support/bare-server.ts', String(BARE_PORT)], {});
  let feed: FeedWatch | undefined;
  try {
    const url = local(`http://${HOST}:${BARE_PORT}`);
    await waitReady([url]);
    feed = await FeedWatch.open(url, 'none');
    await sleep(300);
    return await fn({ kind: 'floor', ingestUrl: url, feed, reg: demoRegistry() });
  } finally {
    feed?.close();
    await stopProcess(bare);
  }
}

/** The naive floor: each POST /v1/alarms one INSERT … ON CONFLICT in its own commit, a pg pool of `poolSize`. */
export async function withNaiveFloor<T>(
  progress: Progress,
  poolSize: number,
  fn: (ingestUrl: string) => Promise<T>,
): Promise<T> {
  progress.note(`starting the naive floor (one commit per request, pg pool ${poolSize}) …`);
  await dropDatabase(NAIVE_DATABASE, true);
  const naive = spawnScript('naive-server', ['load-tests/support/naive-server.ts', String(NAIVE_PORT)], {
    DATABASE_URL: databaseUrl(POSTGRES_SERVER, NAIVE_DATABASE),
    NAIVE_POOL: String(poolSize),
  });
  try {
    const url = local(`http://${HOST}:${NAIVE_PORT}`);
    await waitReady([url]);
    return await fn(url);
  } finally {
    await stopProcess(naive);
    await dropDatabase(NAIVE_DATABASE);
  }
}
