// What the ingest tests share: an ingest app on a private database with the test registry, and a count
// of stored alarms by event id.
import { afterAll, beforeAll } from 'vitest';
import { buildIngestApp, type IngestApp } from '../../services/ingest/app.js';
import { createTestEnv, seedRegistry, type TestEnv } from '../support/env.js';

/** Built before the file's tests and closed after them; read its parts inside tests (they exist only then). */
export function ingestFixture() {
  let te: TestEnv | undefined;
  let built: IngestApp | undefined;
  beforeAll(async () => {
    te = await createTestEnv();
    await seedRegistry(te);
    built = await buildIngestApp(te.rt);
    te.onClose(() => built!.app.close());
  });
  afterAll(() => te?.close());
  return {
    get te() {
      return te!;
    },
    get app() {
      return built!.app;
    },
    get acceptor() {
      return built!.acceptor;
    },
  };
}

/** How many of these event ids are stored as alarms. */
export async function countStored(te: TestEnv, eventIds: string[]): Promise<number> {
  const r = await te.rt.db
    .selectFrom('alarms')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('event_id', 'in', eventIds)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
