import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/accept.js';
import { createTestEnv, seedRegistry, testEvent, type TestEnv } from '../support/env.js';

let te: TestEnv;
beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te);
});
afterAll(() => te.close());

const alarm = (gatewayId: string, m: string, i: number, type = 'pendant', extra = {}): NewAlarm =>
  ({ gatewayId, ...testEvent(m, i, type, extra) }) as NewAlarm;

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

  it('gives every change its own seq under concurrent transactions', async () => {
    const before = await te.rt.db
      .selectFrom('changes')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => storeAlarms(te.rt.db, [alarm('gw-toender', 'toender', (i % 10) * 2 + 1)])),
    );
    const rows = await te.rt.db.selectFrom('changes').select(['seq']).orderBy('seq').execute();
    expect(rows.length).toBe(Number(before.n) + 20);
    const seqs = rows.map((r) => Number(r.seq));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('puts repeated presses of one device into one incident', async () => {
    const a = await storeAlarms(te.rt.db, [alarm('gw-toender', 'toender', 3)]);
    const b = await storeAlarms(te.rt.db, [alarm('gw-toender', 'toender', 3)]);
    expect(b.created[0]!.incident_id).toBe(a.created[0]!.incident_id);
  });
});
