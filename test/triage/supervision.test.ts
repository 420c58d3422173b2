// A silent gateway leaves citizens unprotected: exactly one heartbeat_missed per municipality per silence.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { superviseGateways } from '../../services/triage/supervision.js';
import { createTestEnv, seedRegistry, testRegistry, type TestEnv } from '../support/env.js';

let te: TestEnv;
beforeAll(async () => {
  te = await createTestEnv();
  const reg = testRegistry();
  reg.gateways = reg.gateways.map((g) => ({ ...g, heartbeatSeconds: g.id === 'gw-both' ? 10 : 300 }));
  await seedRegistry(te, reg);
});
afterAll(() => te.close());

const missed = () =>
  te.rt.db.selectFrom('alarms').selectAll().where('type', '=', 'heartbeat_missed').orderBy('municipality_id').execute();
const silence = (seconds: number) =>
  sql`UPDATE gateways SET created_at = now() - make_interval(secs => ${seconds}), last_heartbeat_at = NULL WHERE id = 'gw-both'`.execute(
    te.rt.db,
  );

describe('gateway supervision', () => {
  it('raises nothing for a gateway within its interval', async () => {
    expect(await superviseGateways(te.rt)).toBe(0);
    expect(await missed()).toHaveLength(0);
  });

  it('raises one heartbeat_missed per municipality the silent gateway serves, even with supervisors racing', async () => {
    await silence(60);
    const other = te.runtime();
    await Promise.all([superviseGateways(te.rt), superviseGateways(other), superviseGateways(te.rt)]);
    const rows = await missed();
    expect(rows.map((r) => r.municipality_id)).toEqual(['aabenraa', 'toender']);
    for (const r of rows)
      expect(r).toMatchObject({ gateway_id: 'gw-both', unknown_device: false, citizen_id: null, lane: 'technical' });
    expect(await superviseGateways(te.rt)).toBe(0);
  });

  it('stays quiet after a heartbeat and raises again after the next silence', async () => {
    await sql`UPDATE gateways SET last_heartbeat_at = now() WHERE id = 'gw-both'`.execute(te.rt.db);
    expect(await superviseGateways(te.rt)).toBe(0);
    await sql`UPDATE gateways SET last_heartbeat_at = now() - interval '1 minute' WHERE id = 'gw-both'`.execute(
      te.rt.db,
    );
    expect(await superviseGateways(te.rt)).toBe(2);
    expect(await missed()).toHaveLength(4);
  });
});
