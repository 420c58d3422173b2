import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/accept.js';
import { appendChanges, currentSeq, readChangesSince, type Change } from '../../db/changes.js';
import type { AlarmRow } from '../../db/schema.js';
import { toAlarmView } from '../../db/views.js';
import { createTestEnv, eventually, seedRegistry, testEvent, type TestEnv } from '../support/env.js';

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
 * A reader of the change log, as a console reads it (readChangesSince, the console's own read): every
 * read takes the final seqs since it started. A seq it finds below the highest it had already seen
 * is a violation of the log's order.
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
    heldBack: false,
    async read(): Promise<number[]> {
      const { rows, heldBack } = await readChangesSince(te.rt.db, start, 100_000);
      r.heldBack = heldBack;
      const known = new Set(seen);
      const found = rows.map((x) => x.seq).filter((seq) => !known.has(seq));
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
    /**
     * Reads until `ready`. The horizon is the whole Postgres cluster's: a transaction of another test's
     * database may hold a final read back for a moment.
     */
    readUntil: (ready: () => boolean, what: string) => eventually(async () => (await r.read(), ready()), 10_000, what),
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

  it('holds back a change committed while an older transaction is still open, then serves both in order', async () => {
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
    const b = await storeAlarms(te.rt.db, [alarm('gw-toender', 'toender', 7)]);
    // B is committed, but A could still commit a lower seq: B is not served yet.
    expect(await reader.read()).toEqual([]);
    expect(reader.heldBack).toBe(true);
    expect(await currentSeq(te.rt.db)).toBe(reader.start);
    release();
    await a;
    await reader.readUntil(() => reader.seen.length === 2, 'both changes served');
    const both = reader.seen;
    const seqOf = async (id: string) =>
      Number(
        (await te.rt.db.selectFrom('changes').select('seq').where('entity_id', '=', id).executeTakeFirstOrThrow()).seq,
      );
    expect(both).toEqual([both[0], await seqOf(b.created[0]!.id)]);
    expect(reader.violations).toEqual([]);
  });

  it('serves every change once its older transactions end, also when one of them rolls back', async () => {
    const { created } = await storeAlarms(te.rt.db, [alarm('gw-toender', 'toender', 9)]);
    const reader = logReader(await currentSeq(te.rt.db));
    let appended!: () => void;
    let rollBack!: () => void;
    const isAppended = new Promise<void>((r) => (appended = r));
    const rolledBack = new Promise<void>((r) => (rollBack = r));
    const a = te.rt.db
      .transaction()
      .execute(async (trx) => {
        await appendChanges(trx, [changeOf(created[0]!)]);
        appended();
        await rolledBack;
        throw new Error('rolled back on purpose');
      })
      .catch(() => undefined);
    await isAppended;
    const b = await storeAlarms(te.rt.db, [alarm('gw-toender', 'toender', 11)]);
    expect(await reader.read()).toEqual([]);
    rollBack();
    await a;
    await reader.readUntil(() => reader.seen.length === 1, 'the committed change served');
    const [seq] = await te.rt.db
      .selectFrom('changes')
      .select('seq')
      .where('entity_id', '=', b.created[0]!.id)
      .execute();
    expect(reader.seen).toEqual([Number(seq!.seq)]);
    expect(await currentSeq(te.rt.db)).toBeGreaterThanOrEqual(reader.highest);
  });

  it('never lets a reader that has seen seq N find a seq below N committed later, under concurrent writers', async () => {
    const reader = logReader(await currentSeq(te.rt.db));
    let writing = true;
    let readingOn = true;
    // The reader reads the log over and over while the writers run.
    const reading = (async () => {
      while (readingOn) await reader.read();
    })();
    // Quick writers commit at once, on three connections of their own, and count their commits.
    let quickCommits = 0;
    const commitWaiters: { until: number; resolve: () => void }[] = [];
    const quick = [te.runtime(), te.runtime(), te.runtime()].map(async (rt, w) => {
      let n = 0;
      while (writing) {
        await storeAlarms(rt.db, [alarm('gw-toender', 'toender', ((w * 7 + n++) % 10) * 2 + 1)]);
        quickCommits++;
        for (const cw of [...commitWaiters])
          if (quickCommits >= cw.until) {
            commitWaiters.splice(commitWaiters.indexOf(cw), 1);
            cw.resolve();
          }
      }
    });
    const quickCommitted = (more: number) =>
      new Promise<void>((resolve) => commitWaiters.push({ until: quickCommits + more, resolve }));
    // Slow writers append, stay open while the quick writers commit several times, then commit: the
    // interleaving in which a later transaction commits a higher seq before an earlier one's lower seq.
    const held: number[] = [];
    const slow = [te.runtime(), te.runtime(), te.runtime(), te.runtime()].map(async (rt, w) => {
      for (let round = 0; round < 5; round++) {
        const { created } = await storeAlarms(rt.db, [alarm('gw-aabenraa', 'aabenraa', (w * 5 + round) % 10)]);
        await rt.db.transaction().execute(async (trx) => {
          await appendChanges(trx, [changeOf(created[0]!)]);
          await quickCommitted(3);
        });
        held.push(round);
      }
    });
    await Promise.all(slow);
    writing = false;
    await Promise.all(quick);
    readingOn = false;
    await reading;
    await reader.readUntil(() => !reader.heldBack, 'nothing held back');

    expect(held).toHaveLength(20);
    expect(reader.violations).toEqual([]);
    // Every committed change has its seq, and the reader saw every one of them.
    const all = await te.rt.db
      .selectFrom('changes')
      .select('seq')
      .where('seq', '>', reader.start)
      .orderBy('seq')
      .execute();
    expect(all.map((r) => Number(r.seq))).toEqual(reader.seen);
  });

  it('logs each new alarm with the view toAlarmView makes of its row, in input order, and lists it for the reconciler', async () => {
    // Device times with microseconds, as a gateway may send them; the view carries milliseconds.
    const at = (ms: number, us: string) => `${new Date(Date.now() - ms).toISOString().slice(0, 23)}${us}Z`;
    const press = alarm('gw-aabenraa', 'aabenraa', 4, 'pendant', { occurredAt: at(1_000, '999') });
    const items: NewAlarm[] = [
      press,
      alarm('gw-aabenraa', 'toender', 5, 'fall', { occurredAt: at(2_000, '001'), voice: 'no_answer' }),
      alarm('gw-aabenraa', 'aabenraa', 6, 'low_battery', { batteryPercent: 7, details: { note: 'x' } }),
      alarm('gw-aabenraa', 'aabenraa', 4, 'cancel', { relatesTo: press.eventId }),
      { ...alarm('gw-aabenraa', 'aabenraa', 7, 'heartbeat_missed'), system: true, municipality: 'aabenraa' },
    ];
    const out = await storeAlarms(te.rt.db, items);
    expect(out.created.map((r) => r.type)).toEqual(['pendant', 'fall', 'low_battery', 'cancel', 'heartbeat_missed']);
    const logged = await te.rt.db
      .selectFrom('changes')
      .select(['seq', 'entity_id', 'municipality_id', 'payload'])
      .where(
        'entity_id',
        'in',
        out.created.map((r) => r.id),
      )
      .orderBy('seq')
      .execute();
    expect(logged.map((c) => c.entity_id)).toEqual(out.created.map((r) => r.id));
    expect(logged.map((c) => c.municipality_id)).toEqual(out.created.map((r) => r.municipality_id));
    expect(logged.map((c) => c.payload)).toEqual(out.created.map((r) => JSON.parse(JSON.stringify(toAlarmView(r)))));
    const pending = await sql<{ alarm_id: string; received_at: Date }>`
      SELECT alarm_id, received_at FROM triage_pending WHERE alarm_id = ANY(${out.created.map((r) => r.id)}::uuid[])`.execute(
      te.rt.db,
    );
    expect(new Map(pending.rows.map((p) => [p.alarm_id, p.received_at.getTime()]))).toEqual(
      new Map(out.created.map((r) => [r.id, new Date(r.received_at).getTime()])),
    );
  });

  it('finds the alarms a large batch relates to by their key, without reading the whole alarms table', async () => {
    // Enough alarms, analysed, that hashing the whole table looks cheap to the planner beside a thousand probes.
    const earlier = Array.from({ length: 2000 }, (_, i) => alarm('gw-aabenraa', 'aabenraa', i % 50));
    await storeAlarms(te.rt.db, earlier);
    await sql`ANALYZE alarms`.execute(te.rt.db);
    const presses = earlier.slice(0, 10);
    const cancels = presses.map((p) =>
      alarm('gw-aabenraa', 'aabenraa', 0, 'cancel', { relatesTo: p.eventId, deviceId: p.deviceId }),
    );
    const batch = [...Array.from({ length: 990 }, (_, i) => alarm('gw-toender', 'toender', i % 50)), ...cancels];
    const { out, seqScans } = await te.rt.db.transaction().execute(async (trx) => {
      const out = await storeAlarms(trx, batch);
      const stats = await sql<{ seq_scan: number }>`
        SELECT seq_scan::int FROM pg_stat_xact_user_tables WHERE relname = 'alarms'`.execute(trx);
      return { out, seqScans: stats.rows[0]!.seq_scan };
    });
    expect(out.created).toHaveLength(1000);
    expect(seqScans).toBe(0);
    // Each cancel joins its press's incident.
    const incidents = await te.rt.db
      .selectFrom('alarms')
      .select(['event_id', 'incident_id'])
      .where('gateway_id', '=', 'gw-aabenraa')
      .where(
        'event_id',
        'in',
        presses.map((p) => p.eventId),
      )
      .execute();
    const pressIncident = new Map(incidents.map((r) => [r.event_id, r.incident_id]));
    expect(out.created.slice(990).map((r) => r.incident_id)).toEqual(presses.map((p) => pressIncident.get(p.eventId)));
  });

  it('puts repeated presses of one device into one incident', async () => {
    const a = await storeAlarms(te.rt.db, [alarm('gw-toender', 'toender', 3)]);
    const b = await storeAlarms(te.rt.db, [alarm('gw-toender', 'toender', 3)]);
    expect(b.created[0]!.incident_id).toBe(a.created[0]!.incident_id);
  });
});
