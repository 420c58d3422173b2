// Gateways' batches commit at most INGEST_BULK_COMMITS at a time in one ingest process; the others wait
// in memory, before their transaction begins, and are committed in their turn. /metrics shows how many
// commit and how many wait.
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewAlarm } from '../../db/accept.js';
import { ConfigError, loadConfig } from '../../platform/config.js';
import { buildIngestApp, type IngestApp } from '../../services/ingest/app.js';
import { createTestEnv, eventually, metricsText, seedRegistry, testEvent, type TestEnv } from '../support/env.js';

const opened: TestEnv[] = [];
afterAll(() => Promise.all(opened.map((te) => te.close())));

async function ingestWith(bulkCommits: number): Promise<{ te: TestEnv; ingest: IngestApp }> {
  const te = await createTestEnv({ INGEST_BULK_COMMITS: String(bulkCommits) });
  opened.push(te);
  await seedRegistry(te);
  const ingest = await buildIngestApp(te.rt);
  te.onClose(() => ingest.app.close());
  return { te, ingest };
}

const batch = (n: number): NewAlarm[] =>
  Array.from({ length: n }, (_, i) => ({ gatewayId: 'gw-aabenraa', ...testEvent('aabenraa', i % 10) }) as NewAlarm);

const gauge = (text: string, state: string) =>
  Number(new RegExp(`^rc_ingest_batches\\{state="${state}"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1]);

describe('INGEST_BULK_COMMITS', () => {
  it('is 1 by default and refuses 0', () => {
    expect(loadConfig({}).ingestBulkCommits).toBe(1);
    expect(loadConfig({ INGEST_BULK_COMMITS: '2' }).ingestBulkCommits).toBe(2);
    expect(() => loadConfig({ INGEST_BULK_COMMITS: '0' })).toThrow(ConfigError);
  });

  for (const bulkCommits of [1, 2]) {
    it(`commits at most ${bulkCommits} batch${bulkCommits > 1 ? 'es' : ''} at a time; the others wait their turn and are stored`, async () => {
      const { te, ingest } = await ingestWith(bulkCommits);
      const before = await metricsText(ingest.app);
      expect([gauge(before, 'committing'), gauge(before, 'waiting')]).toEqual([0, 0]);
      // Hold every accept at its insert into the reconciler's list, so the batches in their transaction stay there.
      const holder = new pg.Client({ connectionString: te.config.databaseUrl });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE triage_pending IN SHARE MODE');
        const batches = [batch(5), batch(5), batch(5)];
        const done = batches.map((b) => ingest.acceptor.acceptBatch(b));
        // Read outside the holder's transaction: within one, pg_stat_activity stays as it first read it.
        const inTransaction = async () =>
          (
            await sql<{ n: number }>`
              SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%prepared:accept%'`.execute(
              te.rt.db,
            )
          ).rows[0]!.n;
        // Nothing can move while the lock is held: this is where the batches stay.
        await eventually(async () => {
          const text = await metricsText(ingest.app);
          return (
            (await inTransaction()) === bulkCommits &&
            gauge(text, 'committing') === bulkCommits &&
            gauge(text, 'waiting') === 3 - bulkCommits
          );
        });
        await holder.query('COMMIT');
        const results = await Promise.all(done);
        expect(results.flat().filter((r) => 'alarmId' in r && !r.duplicate)).toHaveLength(15);
        const text = await metricsText(ingest.app);
        expect([gauge(text, 'committing'), gauge(text, 'waiting')]).toEqual([0, 0]);
      } finally {
        await holder.end();
      }
    });
  }
});
