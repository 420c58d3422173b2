// triage: the speed of triage itself, on a database holding a year of one municipality's history
// (`npm run seed:history`, run by the scenario when the database holds no alarm yet).
//  (a) classify including its history lookup: the worker's own statement (db/triage.ts
//      `lockAlarmsForTriage`: lock the alarm, count the earlier alarms of its incident, look for its
//      cancel) in a transaction, then `classify` on what it read, as services/triage/triage-alarm.ts
//      does, for alarms of the history drawn at random; beside it, interleaved, the floor: a transaction
//      holding `SELECT 1` (the same round trips, no work). Target p99 < 2 ms.
//  (b) alarms/s through one worker process: fresh untriaged alarms (copies of the history's, new ids,
//      each its own incident), one job per alarm as ingest enqueues a single POST, all queued before
//      the worker starts, then the compiled worker (`dist/bin/server.js worker`) drains them; beside
//      it, on the same queues in the same run, the queue floor: a process whose jobs do nothing
//      (support/noop-worker.ts). Target ≥ 2,000 alarms/s.
//
// LOAD_TRIAGE_DATABASE [responscenter_triage], LOAD_TRIAGE_POSTGRES [postgres://postgres@127.0.0.1:5432/postgres]
// (the server to use, e.g. a cluster of its own on port 5433), LOAD_SAMPLES [3000; 200], LOAD_ALARMS
// [20000; 1000], LOAD_CONCURRENCY (TRIAGE_CONCURRENCY of both processes) [64, the product's default], LOAD_SEED [1].
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { sql } from 'kysely';
import pg from 'pg';
import { createDb, createPool } from '../../db/connect.js';
import { lockAlarmsForTriage } from '../../db/triage.js';
import { LANES, type Lane } from '../../domain/events.js';
import { bullPrefix, queueName, TRIAGE_JOB_OPTIONS } from '../../platform/queue.js';
import { deleteByPrefix, fastFailRedis, redisReady } from '../../platform/redis.js';
import { advise } from '../../services/triage/triage-alarm.js';
import { knob, seed } from '../support/knobs.js';
import type { Progress } from '../support/progress.js';
import { int, target } from '../support/report.js';
import { cpuSecondsOf } from '../support/resources.js';
import { databaseUrl, spawnScript, startStack, stopProcess } from '../support/stack.js';
import { ms, ratio, summarise, type Summary } from '../support/stats.js';
import type { Scenario } from './types.js';

const TARGET_P99_MS = 2;
const TARGET_RATE = 2000;
const REDIS_URL = 'redis://127.0.0.1:6379/0';
const REDIS_PREFIX = 'rc-load-triage';
const PORTS = { ingest: 18386, console: 18387, worker: 18388 };
/** The history's end: fixed, so a seeded database is the same whenever it was made. */
const HISTORY_END = '2026-11-01T00:00:00Z';

async function ensureDatabase(server: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: databaseUrl(server, 'postgres') });
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (r.rowCount === 0) await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await c.end();
  }
}

/** A year of one municipality, loaded with `npm run seed:history` (COPY in chunks) when none is there. */
async function seedWhenEmpty(url: string, progress: Progress): Promise<number> {
  const count = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const t = await c.query(`SELECT to_regclass('alarms') IS NOT NULL AS ok`);
      if (!t.rows[0].ok) return 0;
      return Number((await c.query('SELECT count(*) AS n FROM alarms')).rows[0].n);
    } finally {
      await c.end();
    }
  };
  const n = await count();
  if (n > 0) return n;
  progress.note(`triage: seeding a year of one municipality into ${url} (npm run seed:history) …`);
  const child = spawn(
    'node_modules/.bin/tsx',
    ['bin/seed-history.ts', '--years', '1', '--municipalities', '1', '--seed', String(seed()), '--end', HISTORY_END],
    { env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' }, stdio: ['ignore', 2, 2] },
  );
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`seed:history exited with ${code}`);
  return count();
}

type Latency = { lookup: Summary; floor: Summary; committed: Summary; classifyOnly: Summary; rows: number };

const ROLLBACK = new Error('rolled back on purpose');

async function measureLatency(url: string, samples: number, progress: Progress): Promise<Latency> {
  const pool = createPool(url, { max: 2, applicationName: 'responscenter-load-triage' });
  const db = createDb(pool);
  try {
    const ids = (
      await sql<{
        id: string;
      }>`SELECT id FROM alarms TABLESAMPLE SYSTEM (10) WHERE lane <> 'technical' LIMIT ${samples}`.execute(db)
    ).rows.map((r) => r.id);
    if (ids.length === 0) throw new Error('the database holds no alarm to triage');
    const lookup: number[] = [];
    const floor: number[] = [];
    const classifyOnly: number[] = [];
    let done = 0;
    progress.phase('triage: classify with its lookup', () => `${done}/${samples * 2} samples`);
    const committed: number[] = [];
    /**
     * The lookup and classify inside a transaction, then the floor's statement in the same transaction,
     * rolled back: a lock makes a commit wait for the WAL to reach the disk, which is the cost of storing
     * the advice, not of the lookup. Every tenth sample also the whole transaction committed, for scale.
     */
    const once = async (id: string, record: boolean, commit: boolean) => {
      await db
        .transaction()
        .execute(async (trx) => {
          let t = performance.now();
          for (const l of await lockAlarmsForTriage(trx, [id])) advise(l);
          if (record) lookup.push(performance.now() - t);
          t = performance.now();
          await sql`SELECT 1`.execute(trx);
          if (record) floor.push(performance.now() - t);
          throw ROLLBACK;
        })
        .catch((err: unknown) => {
          if (err !== ROLLBACK) throw err;
        });
      if (!commit) return;
      const t = performance.now();
      await db.transaction().execute(async (trx) => {
        for (const l of await lockAlarmsForTriage(trx, [id])) advise(l);
      });
      if (record) committed.push(performance.now() - t);
    };
    // Warm-up: connections, plans, caches.
    for (const id of ids.slice(0, 100)) await once(id, false, true);
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < Math.min(samples, ids.length); i++) {
        await once(ids[(i + round * 7919) % ids.length]!, true, i % 10 === 0);
        done++;
      }
    progress.end();
    // classify alone, on the same inputs, for scale.
    const locked = await db.transaction().execute((trx) => lockAlarmsForTriage(trx, ids.slice(0, 500)));
    for (let round = 0; round < 20; round++)
      for (const l of locked) {
        const t = performance.now();
        advise(l);
        classifyOnly.push(performance.now() - t);
      }
    return {
      lookup: summarise(lookup),
      floor: summarise(floor),
      committed: summarise(committed),
      classifyOnly: summarise(classifyOnly),
      rows: Number((await sql<{ n: string }>`SELECT count(*) AS n FROM alarms`.execute(db)).rows[0]!.n),
    };
  } finally {
    await db.destroy();
  }
}

/**
 * Remove the benchmark's fresh alarms (event ids `bench-…`) and their changes, so the database holds the
 * history alone again, also after an interrupted run.
 */
async function removeFresh(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(`DELETE FROM changes WHERE entity_id IN (SELECT id FROM alarms WHERE event_id LIKE 'bench-%')`);
    await c.query(`DELETE FROM alarms WHERE event_id LIKE 'bench-%'`);
    await c.query('COMMIT');
  } finally {
    await c.end();
  }
}

/** Fresh untriaged alarms for the worker: copies of the history's (a realistic mix), new ids, new incidents. */
async function freshAlarms(url: string, n: number): Promise<{ id: string; lane: Lane }[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const run = Date.now().toString(36);
    const r = await c.query<{ id: string; lane: Lane }>(
      `INSERT INTO alarms (id, gateway_id, event_id, municipality_id, device_id, citizen_id, unknown_device, type, lane,
                           occurred_at, received_at, voice, battery_percent, details, incident_id, status)
       SELECT gen_random_uuid(), gateway_id, 'bench-' || $2 || '-' || row_number() OVER (), municipality_id, device_id,
              citizen_id, unknown_device, type, lane, now(), now(), voice, battery_percent, details, gen_random_uuid(),
              'received'
       FROM (SELECT * FROM alarms WHERE type <> 'cancel' ORDER BY random() LIMIT $1) s
       RETURNING id, lane`,
      [n, run],
    );
    return r.rows;
  } finally {
    await c.end();
  }
}

type Drain = { alarms: number; seconds: number; rate: number; cpuSeconds: number };

/**
 * Queue one job per alarm (as ingest does for single POSTs), start the process that works the queues,
 * and time from its first completed job to its last.
 */
async function drain(
  what: string,
  alarms: { id: string; lane: Lane }[],
  start: () => Promise<{ pid: number; stop: () => Promise<void> }>,
  progress: Progress,
): Promise<Drain> {
  const redis = fastFailRedis(REDIS_URL);
  await redisReady(redis);
  await deleteByPrefix(redis, REDIS_PREFIX);
  const queues = Object.fromEntries(
    LANES.map((lane) => [lane, new Queue(queueName(lane), { connection: redis, prefix: bullPrefix(REDIS_PREFIX) })]),
  ) as Record<Lane, Queue>;
  try {
    for (const lane of LANES) {
      const mine = alarms.filter((a) => a.lane === lane);
      for (let i = 0; i < mine.length; i += 1000)
        await queues[lane].addBulk(
          mine
            .slice(i, i + 1000)
            .map((a) => ({ name: 'triage', data: { alarmIds: [a.id] }, opts: TRIAGE_JOB_OPTIONS })),
        );
    }
    const left = async () => {
      let n = 0;
      for (const lane of LANES) {
        const c = await queues[lane].getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        n += Object.values(c).reduce((s, x) => s + x, 0);
      }
      return n;
    };
    const queued = await left();
    if (queued !== alarms.length) throw new Error(`${what}: ${queued} jobs queued of ${alarms.length}`);
    let remaining = queued;
    progress.phase(`triage: ${what}`, () => `${int(alarms.length - remaining)}/${int(alarms.length)} jobs done`);
    const proc = await start();
    const cpuAtStart = cpuSecondsOf(proc.pid) ?? NaN;
    let first = NaN;
    let firstLeft = queued;
    let last = NaN;
    const deadline = Date.now() + 30 * 60_000;
    for (;;) {
      remaining = await left();
      const now = performance.now();
      if (Number.isNaN(first) && remaining < queued) {
        first = now;
        firstLeft = remaining;
      }
      if (remaining === 0) {
        last = now;
        break;
      }
      if (Date.now() > deadline) throw new Error(`${what}: ${remaining} jobs still queued after 30 min`);
      await sleep(20);
    }
    const cpuSeconds = (cpuSecondsOf(proc.pid) ?? NaN) - cpuAtStart;
    progress.end();
    await proc.stop();
    const seconds = (last - first) / 1000;
    return { alarms: firstLeft, seconds, rate: firstLeft / seconds, cpuSeconds };
  } finally {
    await Promise.all(Object.values(queues).map((q) => q.close()));
    redis.disconnect();
  }
}

export const triage: Scenario = {
  title: 'triage: classify with its history lookup, and alarms/s through one worker process',
  summary:
    'classify + its lookup on a seeded year (p99 < 2 ms; floor: a transaction doing SELECT 1); alarms/s through one worker (≥ 2,000/s; floor: no-op jobs on the same queues)',
  async run(progress) {
    const samples = knob('SAMPLES', { normal: 3000, smoke: 200, max: 100_000, integer: true });
    const n = knob('ALARMS', { normal: 20_000, smoke: 1000, max: 500_000, integer: true });
    // TRIAGE_CONCURRENCY of the worker (and of the floor): jobs per lane at once.
    const concurrency = knob('CONCURRENCY', { normal: 64, smoke: 64, max: 256, integer: true });
    const server = process.env.LOAD_TRIAGE_POSTGRES || 'postgres://postgres@127.0.0.1:5432/postgres';
    const database = process.env.LOAD_TRIAGE_DATABASE || 'responscenter_triage';
    const url = databaseUrl(server, database);
    await ensureDatabase(server, database);
    await seedWhenEmpty(url, progress);
    await removeFresh(url);

    const latency = await measureLatency(url, samples, progress);

    // The floor first: the same number of jobs, on the same queues, through a process that does nothing.
    const fakeIds = Array.from({ length: n }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      lane: LANES[i % 3]!,
    }));
    const floor = await drain(
      'queue floor (no-op jobs)',
      fakeIds,
      async () => {
        const child = spawnScript('noop-worker', ['load-tests/support/noop-worker.ts'], {
          REDIS_URL,
          REDIS_PREFIX,
          TRIAGE_CONCURRENCY: String(concurrency),
        });
        // tsx runs the script in a node child of its own: the CPU figure is the tsx process's children too.
        await sleep(200);
        return { pid: child.pid!, stop: () => stopProcess(child) };
      },
      progress,
    );

    progress.note(`triage: ${int(n)} fresh untriaged alarms …`);
    const alarms = await freshAlarms(url, n);
    const worker = await drain(
      'one worker process',
      alarms,
      async () => {
        const stack = await startStack({
          database,
          postgresUrl: server,
          keepDatabase: true,
          redisUrl: REDIS_URL,
          redisPrefix: REDIS_PREFIX,
          ports: PORTS,
          adminPassword: 'load-triage-admin-1',
          roles: ['worker'],
          // The queue is what is measured: the reconciler only for alarms left behind for a minute.
          env: { RECONCILE_AFTER_SECONDS: '60', TRIAGE_CONCURRENCY: String(concurrency) },
        });
        return { pid: stack.processes[0]!.child.pid!, stop: () => stack.stop() };
      },
      progress,
    );
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const untriaged = Number(
      (
        await c.query('SELECT count(*) AS n FROM alarms WHERE id = ANY($1::uuid[]) AND triaged_at IS NULL', [
          alarms.map((a) => a.id),
        ])
      ).rows[0].n,
    );
    await c.end();
    await removeFresh(url);

    const row = (what: string, s: Summary) =>
      `| ${what} | ${s.n} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ms(s.max)} |`;
    const us = (x: number) => `${(x * 1000).toFixed(1)} µs`;
    const body = `Database ${database} on ${new URL(server).host}: ${int(latency.rows)} alarms (a year of one municipality from
\`npm run seed:history\`). Latency: alarms of the history drawn at random (urgent and
routine lanes), each measured twice, the statement and its floor timed inside one transaction that is then rolled
back (a lock makes a commit wait for the WAL flush: that is the cost of storing the advice, measured apart),
after 100 warm-up rounds.

| measured | samples | p50 ms | p95 ms | p99 ms | max ms |
| --- | --- | --- | --- | --- | --- |
${row('classify with its lookup: lockAlarmsForTriage, then classify', latency.lookup)}
${row('floor: SELECT 1 in the same transaction', latency.floor)}
${row('for scale, every tenth: BEGIN; lockAlarmsForTriage; classify; COMMIT', latency.committed)}

p50 ÷ floor ${ratio(latency.lookup.p50, latency.floor.p50)}, p99 ÷ floor ${ratio(latency.lookup.p99, latency.floor.p99)};
\`classify\` alone on the same inputs: p50 ${us(latency.classifyOnly.p50)}, p99 ${us(latency.classifyOnly.p99)}.
${target(`p99 of classify with its lookup < ${TARGET_P99_MS} ms`, latency.lookup.p99 < TARGET_P99_MS, `${ms(latency.lookup.p99)} ms`)}

One process on the triage queues (BullMQ on Redis, concurrency ${concurrency} per lane), ${int(n)} jobs of one alarm each queued
before it starts; rate from its first completed job to its last:

| process | jobs | seconds | alarms/s | CPU s of the process | ÷ floor |
| --- | --- | --- | --- | --- | --- |
| compiled worker (\`dist/bin/server.js worker\`): lock, classify, store the advice and its change | ${int(worker.alarms)} | ${worker.seconds.toFixed(1)} | ${int(worker.rate)} | ${worker.cpuSeconds.toFixed(1)} | ${ratio(worker.rate, floor.rate)} |
| floor: no-op jobs on the same queues (support/noop-worker.ts) | ${int(floor.alarms)} | ${floor.seconds.toFixed(1)} | ${int(floor.rate)} | — | 1× |

${int(alarms.length - untriaged)} of ${int(alarms.length)} fresh alarms triaged.
${target(`≥ ${int(TARGET_RATE)} alarms/s through one worker process`, worker.rate >= TARGET_RATE, `${int(worker.rate)}/s`)}`;
    return { body, ok: untriaged === 0 };
  },
};
