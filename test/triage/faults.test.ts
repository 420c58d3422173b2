// Faults of the fast path lose nothing: Redis emptied, a job parked in failed, a worker killed mid-job,
// a storm of technical alarms.
import { spawn, type ChildProcess } from 'node:child_process';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/alarms.js';
import { acceptAlarms } from '../../services/platform/accept.js';
import { bullPrefix, queueName } from '../../services/platform/queue.js';
import { blockingRedis, deleteByPrefix } from '../../services/platform/redis.js';
import { createTriageWorker } from '../../services/triage/index.js';
import { createTestEnv, eventually, seedRegistry, testEvent, type TestEnv } from '../support/env.js';

let te: TestEnv;
const children: ChildProcess[] = [];
beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te);
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await te.close();
});

const alarm = (m: string, i: number, type = 'pendant', extra: Record<string, unknown> = {}): NewAlarm =>
  ({ gatewayId: `gw-${m}`, ...testEvent(m, i, type, extra) }) as NewAlarm;
const untriaged = async (ids: string[]) =>
  (await te.rt.db.selectFrom('alarms').select('id').where('id', 'in', ids).where('triaged_at', 'is', null).execute())
    .length;
const triageChanges = async (id: string) =>
  (await te.rt.db.selectFrom('changes').select('payload').where('entity_id', '=', id).execute()).filter(
    (c) => (c.payload as { triage: unknown }).triage !== null,
  ).length;

function startWorkerProcess(): ChildProcess {
  const child = spawn('node_modules/.bin/tsx', ['services/main.ts', 'worker'], {
    env: {
      ...process.env,
      DATABASE_URL: te.config.databaseUrl,
      REDIS_URL: te.config.redisUrl,
      REDIS_PREFIX: te.config.redisPrefix,
      WORKER_PORT: '0',
      LOG_LEVEL: 'warn',
      RECONCILE_AFTER_SECONDS: '1',
    },
    stdio: 'ignore',
    detached: false,
  });
  children.push(child);
  return child;
}

describe('faults on the fast path', () => {
  it('an acknowledged alarm survives an emptied Redis', async () => {
    const out = await acceptAlarms(
      te.rt,
      Array.from({ length: 30 }, (_, i) =>
        alarm(i % 2 ? 'toender' : 'aabenraa', i % 20, i % 3 ? 'pendant' : 'low_battery'),
      ),
    );
    const ids = out.results.map((r) => r.alarmId);
    const redis = blockingRedis(te.config.redisUrl);
    expect(await deleteByPrefix(redis, te.config.redisPrefix)).toBeGreaterThan(0);
    redis.disconnect();
    const worker = createTriageWorker(te.rt, { reconcileEveryMs: 200, superviseEveryMs: 60_000 });
    try {
      await eventually(
        async () => (await untriaged(ids)) === 0,
        15_000,
        'all 30 alarms triaged after Redis was emptied',
      );
    } finally {
      await worker.close();
    }
  });

  it('an alarm whose job is parked in failed is retried and triaged', async () => {
    const { results } = await storeAlarms(te.rt.db, [alarm('aabenraa', 6, 'fall')]);
    const id = results[0]!.alarmId;
    const connection = blockingRedis(te.config.redisUrl);
    const queue = new Queue(queueName('urgent'), { connection, prefix: bullPrefix(te.config.redisPrefix) });
    await queue.add('triage', { alarmId: id }, { jobId: id, attempts: 1 });
    const failing = new Worker(
      queueName('urgent'),
      async () => {
        throw new Error('simulated crash in triage');
      },
      { connection: blockingRedis(te.config.redisUrl), prefix: bullPrefix(te.config.redisPrefix) },
    );
    await eventually(async () => (await queue.getJob(id))?.isFailed(), 10_000, 'job failed');
    await failing.close();
    await queue.close();
    connection.disconnect();

    const worker = createTriageWorker(te.rt, { reconcileEveryMs: 200, superviseEveryMs: 60_000 });
    try {
      await eventually(async () => (await untriaged([id])) === 0, 15_000, 'failed alarm triaged');
      expect(await triageChanges(id)).toBe(1);
    } finally {
      await worker.close();
    }
  });

  it('the worker killed mid-job loses nothing and triages once', async () => {
    const { results } = await storeAlarms(te.rt.db, [alarm('toender', 7, 'pendant', { voice: 'no_answer' })]);
    const id = results[0]!.alarmId;
    // Hold the alarm's row: the worker's UPDATE blocks, so it is deterministically mid-job when killed.
    const holder = await te.rt.pool.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM alarms WHERE id = $1 FOR UPDATE', [id]);
    const first = startWorkerProcess();
    await te.rt.queues.enqueue([{ alarmId: id, lane: 'urgent' }]);
    await eventually(
      async () => (await (await te.rt.queues.queues.urgent.getJob(id))?.getState()) === 'active',
      20_000,
      'job active',
    );
    await eventually(
      async () => {
        // Not on the holder: inside a transaction Postgres serves pg_stat_activity from a snapshot.
        const r = await te.rt.pool.query(
          "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'update \"alarms\"%'",
        );
        return r.rowCount;
      },
      10_000,
      'worker blocked in its UPDATE',
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await holder.query('ROLLBACK');
    holder.release();

    startWorkerProcess();
    await eventually(async () => (await untriaged([id])) === 0, 40_000, 'alarm triaged by the second worker');
    expect(await triageChanges(id)).toBe(1);
    const row = await te.rt.db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ triage_class: 'dispatch', status: 'triaged' });
  }, 90_000);

  it('a storm of technical alarms does not delay a fall', async () => {
    const storm = await acceptAlarms(
      te.rt,
      Array.from({ length: 2000 }, (_, i) => alarm('aabenraa', (i % 10) * 2, 'mains_failure')),
    );
    const fall = await acceptAlarms(te.rt, [alarm('toender', 9, 'fall')]);
    const fallId = fall.results[0]!.alarmId;
    const worker = createTriageWorker(te.rt, { reconcileEveryMs: 60_000, superviseEveryMs: 60_000 });
    try {
      await eventually(async () => (await untriaged([fallId])) === 0, 10_000, 'fall triaged');
      const stormLeft = await untriaged(storm.results.map((r) => r.alarmId));
      expect(stormLeft).toBeGreaterThan(1000);
    } finally {
      await worker.close();
    }
  }, 60_000);
});
