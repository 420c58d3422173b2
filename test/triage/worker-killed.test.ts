// A worker process killed in the middle of a job loses nothing: BullMQ gives the job back once its lock
// expires, another worker triages the alarm, and the triage is stored and announced once.
//
// Its own file: waiting for the dead worker's lock takes 10–15 s, which other fault tests need not share.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/accept.js';
import { createTestEnv, eventually, seedRegistry, testEvent, type TestEnv } from '../support/env.js';
import { groupAlive, killGroup, startWorkerProcess } from '../support/processes.js';

let te: TestEnv;
const children: ChildProcess[] = [];
beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te);
});
afterAll(async () => {
  for (const c of children) killGroup(c);
  await te.close();
});

function startWorker(): ChildProcess {
  const child = startWorkerProcess(te.config);
  children.push(child);
  return child;
}

describe('a worker killed mid-job', () => {
  it('the worker killed mid-job loses nothing and triages once', async () => {
    const alarm = { gatewayId: 'gw-toender', ...testEvent('toender', 7, 'pendant', { voice: 'no_answer' }) };
    const { results } = await storeAlarms(te.rt.db, [alarm as NewAlarm]);
    const id = results[0]!.alarmId;

    // Hold the alarm's row: the worker's triage transaction blocks on it, so the worker is
    // deterministically mid-job when it is killed.
    const holder = await te.rt.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM alarms WHERE id = $1 FOR UPDATE', [id]);
      const first = startWorker();
      await te.rt.queues.enqueue([{ alarmId: id, lane: 'urgent' }]);
      await eventually(
        async () => (await te.rt.queues.alarmsIn('urgent', ['active'])).includes(id),
        20_000,
        'job active',
      );
      await eventually(
        async () => {
          // Not on the holder: inside a transaction Postgres serves pg_stat_activity from a snapshot.
          const r = await te.rt.pool.query(
            `SELECT 1 FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%alarms%'`,
          );
          return r.rowCount;
        },
        10_000,
        'worker blocked on the alarm row',
      );
      killGroup(first);
      await eventually(() => !groupAlive(first), 5_000, 'first worker gone');
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }

    startWorker();
    await eventually(
      async () =>
        (await te.rt.db.selectFrom('alarms').select('triaged_at').where('id', '=', id).executeTakeFirstOrThrow())
          .triaged_at,
      40_000,
      'alarm triaged by the second worker',
    );
    const row = await te.rt.db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ triage_class: 'dispatch', status: 'triaged' });
    const changes = await te.rt.db.selectFrom('changes').select('payload').where('entity_id', '=', id).execute();
    expect(changes.map((c) => (c.payload as { status: string }).status)).toEqual(['received', 'triaged']);
  }, 90_000);
});
