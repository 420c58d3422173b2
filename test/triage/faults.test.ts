// Faults of the fast path lose nothing: Redis emptied, a job parked in failed, a storm of technical
// alarms. (A worker process killed mid-job: worker-killed.test.ts.)
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/accept.js';
import { acceptAlarms } from '../../services/intake/accept-alarms.js';
import { bullPrefix, queueName } from '../../platform/queue.js';
import { blockingRedis, deleteByPrefix } from '../../platform/redis.js';
import { createTriageWorker } from '../../services/triage/worker.js';
import { createTestEnv, eventually, seedRegistry, testEvent, type TestEnv } from '../support/env.js';

let te: TestEnv;
beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te);
});
afterAll(() => te.close());

const alarm = (m: string, i: number, type = 'pendant', extra: Record<string, unknown> = {}): NewAlarm =>
  ({ gatewayId: `gw-${m}`, ...testEvent(m, i, type, extra) }) as NewAlarm;
const untriaged = async (ids: string[]) =>
  (await te.rt.db.selectFrom('alarms').select('id').where('id', 'in', ids).where('triaged_at', 'is', null).execute())
    .length;
const triageChanges = async (id: string) =>
  (await te.rt.db.selectFrom('changes').select('payload').where('entity_id', '=', id).execute()).filter(
    (c) => (c.payload as { triage: unknown }).triage !== null,
  ).length;

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

  it('an alarm whose job is parked in failed is triaged by the reconciler', async () => {
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

  it('a storm of technical alarms does not delay a fall', async () => {
    const storm = await acceptAlarms(
      te.rt,
      Array.from({ length: 2000 }, (_, i) => alarm('aabenraa', (i % 10) * 2, 'mains_failure')),
    );
    const fall = await acceptAlarms(te.rt, [alarm('toender', 9, 'fall')]);
    const fallId = fall.results[0]!.alarmId;
    const worker = createTriageWorker(te.rt, { reconcileEveryMs: 60_000, superviseEveryMs: 60_000 });
    const stormIds = storm.results.map((r) => r.alarmId);
    try {
      await eventually(async () => (await untriaged([fallId])) === 0, 10_000, 'fall triaged');
      // Counted at the fall's own triage (by the triage times stored), not whenever the poll noticed it.
      const { triaged_at: fallTriagedAt } = await te.rt.db
        .selectFrom('alarms')
        .select('triaged_at')
        .where('id', '=', fallId)
        .executeTakeFirstOrThrow();
      const { n: stormTriagedFirst } = await te.rt.db
        .selectFrom('alarms')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('id', 'in', stormIds)
        .where('triaged_at', '<=', fallTriagedAt!)
        .executeTakeFirstOrThrow();
      const stormLeft = stormIds.length - Number(stormTriagedFirst);
      expect(stormLeft).toBeGreaterThan(1000);
      // The storm is triaged too before the worker stops, so no later test inherits a backlog.
      await eventually(async () => (await untriaged(stormIds)) === 0, 40_000, 'the storm triaged');
    } finally {
      await worker.close();
    }
  }, 60_000);
});
