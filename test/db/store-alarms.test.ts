import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/accept.js';
import { appendChanges, currentSeq, type Change } from '../../db/changes.js';
import type { AlarmRow } from '../../db/schema.js';
import { toAlarmView } from '../../db/views.js';
import { createTestEnv, seedRegistry, testEvent, type TestEnv } from '../support/env.js';

let te: TestEnv;
beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te);
});
afterAll(() => te.close());

const alarm = (gatewayId: string, m: string, i: number, type = 'pendant', extra = {}): NewAlarm =>
  ({ gatewayId, ...testEvent(m, i, type, extra) }) as NewAlarm;
const changeOf = (row: AlarmRow): Change => ({
  kind: 'alarm',
  entityId: row.id,
  municipality: row.municipality_id,
  payload: toAlarmView(row),
});

/**
 * A reader of the change log, as a console reads it: every read takes the seqs committed since it
 * started. A seq it finds below the highest it had already seen is a violation of commit order.
 */
function logReader(start: number) {
  const seen: number[] = [];
  const violations: { seq: number; highestBefore: number }[] = [];
  const waiters: { ready: () => boolean; resolve: () => void }[] = [];
  const r = {
    start,
    seen,
    violations,
    highest: start,
    /** Read the log; returns the seqs this read found that earlier reads had not. */
    async read(): Promise<number[]> {
      const rows = await te.rt.db.selectFrom('changes').select('seq').where('seq', '>', start).orderBy('seq').execute();
      const known = new Set(seen);
      const found = rows.map((x) => Number(x.seq)).filter((seq) => !known.has(seq));
      for (const seq of found) if (seq < r.highest) violations.push({ seq, highestBefore: r.highest });
      seen.push(...found);
      seen.sort((x, y) => x - y);
      r.highest = Math.max(r.highest, ...found);
      for (const w of [...waiters])
        if (w.ready()) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      return found;
    },
    /** Resolves after a read that makes `ready` true. */
    until: (ready: () => boolean) =>
      ready() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ ready, resolve })),
  };
  return r;
}

describe('storeAlarms', () => {
  it('links a device to its citizen when the gateway serves the citizen’s municipality', async () => {
    const out = await storeAlarms(te.rt.db, [alarm('gw-aabenraa', 'aabenraa', 0)]);
    expect(out.results[0]).toMatchObject({ duplicate: false, lane: 'urgent' });
    expect(out.created[0]).toMatchObject({
      citizen_id: 'c-aabenraa-0',
      unknown_device: false,
      municipality_id: 'aabenraa',
    });
    const changes = await te.rt.db
      .selectFrom('changes')
      .select(['seq', 'payload'])
      .where('entity_id', '=', out.created[0]!.id)
      .execute();
    expect(changes).toHaveLength(1);
    expect(changes[0]!.seq).toBeGreaterThan(0);
  });

  it('never links another municipality’s citizen: the device counts as unknown in the gateway’s first municipality', async () => {
    const out = await storeAlarms(te.rt.db, [alarm('gw-aabenraa', 'toender', 1)]);
    expect(out.created[0]).toMatchObject({ citizen_id: null, unknown_device: true, municipality_id: 'aabenraa' });
  });

  it('returns the first alarm for a re-sent event, within one call and across calls', async () => {
    const a = alarm('gw-aabenraa', 'aabenraa', 2);
    const first = await storeAlarms(te.rt.db, [a, a]);
    expect(first.results[0]!.duplicate).toBe(false);
    expect(first.results[1]).toEqual({ ...first.results[0], duplicate: true });
    const again = await storeAlarms(te.rt.db, [a]);
    expect(again.results[0]).toEqual({ ...first.results[0], duplicate: true });
    expect(again.created).toHaveLength(0);
  });

  it('sequences a change by its commit: one appended first but committed last comes after one committed before it', async () => {
    const { created } = await storeAlarms(te.rt.db, [alarm('gw-toender', 'toender', 5)]);
    const reader = logReader(await currentSeq(te.rt.db));
    // A appends a change and stays open; B appends after it and commits first.
    let appended!: () => void;
    let release!: () => void;
    const isAppended = new Promise<void>((r) => (appended = r));
    const released = new Promise<void>((r) => (release = r));
    const a = te.rt.db.transaction().execute(async (trx) => {
      await appendChanges(trx, [changeOf(created[0]!)]);
      appended();
      await released;
    });
    await isAppended;
    await storeAlarms(te.rt.db, [alarm('gw-toender', 'toender', 7)]);
    const [b] = await reader.read();
    expect(reader.seen).toEqual([b]);
    release();
    await a;
    const [late] = await reader.read();
    expect(reader.seen).toEqual([b, late]);
    expect(late).toBeGreaterThan(b!);
    expect(reader.violations).toEqual([]);
  });

  it('never lets a reader that has seen seq N find a seq below N committed later, under concurrent writers', async () => {
    const reader = logReader(await currentSeq(te.rt.db));
    let writing = true;
    let readingOn = true;
    // The reader reads the log over and over while the writers run.
    const reading = (async () => {
      while (readingOn) await reader.read();
    })();
    // Writers that commit at once, on three connections of their own...
    const quick = [te.runtime(), te.runtime(), te.runtime()].map(async (rt, w) => {
      let n = 0;
      while (writing) await storeAlarms(rt.db, [alarm('gw-toender', 'toender', ((w * 7 + n++) % 10) * 2 + 1)]);
    });
    // ...and writers that append, wait until the reader has seen a later commit, then commit: the
    // interleaving in which a seq taken at append would arrive behind what the reader has seen.
    const held: { seq: number; seenBeforeCommit: number }[] = [];
    const slow = [te.runtime(), te.runtime(), te.runtime(), te.runtime()].map(async (rt, w) => {
      for (let round = 0; round < 5; round++) {
        const { created } = await storeAlarms(rt.db, [alarm('gw-aabenraa', 'aabenraa', (w * 5 + round) % 10)]);
        let seenBeforeCommit = 0;
        await rt.db.transaction().execute(async (trx) => {
          await appendChanges(trx, [changeOf(created[0]!)]);
          const seenAtAppend = reader.highest;
          await reader.until(() => reader.highest > seenAtAppend);
          seenBeforeCommit = reader.highest;
        });
        const [row] = await rt.db
          .selectFrom('changes')
          .select('seq')
          .where('entity_id', '=', created[0]!.id)
          .orderBy('seq', 'desc')
          .limit(1)
          .execute();
        held.push({ seq: Number(row!.seq), seenBeforeCommit });
      }
    });
    await Promise.all(slow);
    writing = false;
    await Promise.all(quick);
    readingOn = false;
    await reading;
    await reader.read();

    expect(held).toHaveLength(20);
    for (const h of held) expect(h.seq).toBeGreaterThan(h.seenBeforeCommit);
    expect(reader.violations).toEqual([]);
    // Every committed change has its seq, and the reader saw every one of them.
    const all = await te.rt.db
      .selectFrom('changes')
      .select('seq')
      .where((eb) => eb.or([eb('seq', 'is', null), eb('seq', '>', reader.start)]))
      .orderBy('seq')
      .execute();
    expect(all.map((r) => r.seq)).toEqual(reader.seen);
  });

  it('puts repeated presses of one device into one incident', async () => {
    const a = await storeAlarms(te.rt.db, [alarm('gw-toender', 'toender', 3)]);
    const b = await storeAlarms(te.rt.db, [alarm('gw-toender', 'toender', 3)]);
    expect(b.created[0]!.incident_id).toBe(a.created[0]!.incident_id);
  });
});
