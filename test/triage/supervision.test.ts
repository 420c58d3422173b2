// A silent gateway leaves citizens unprotected: exactly one heartbeat_missed per municipality per silence.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRegistry } from '../../services/admin/registry.js';
import { superviseGateways } from '../../services/triage/supervision.js';
import { createTestEnv, seedRegistry, testRegistry, type TestEnv } from '../support/env.js';

let te: TestEnv;
beforeAll(async () => {
  te = await createTestEnv();
  const reg = testRegistry();
  // The registry's own gateways never fall silent while the file runs: each test supervises a gateway of its own.
  reg.gateways = reg.gateways.map((g) => ({ ...g, heartbeatSeconds: 86_400 }));
  await seedRegistry(te, reg);
});
afterAll(() => te.close());

/** A gateway of this test's own, serving both municipalities, heard from just now. */
async function ownGateway(heartbeatSeconds = 10): Promise<string> {
  const id = `gw-sup-${randomBytes(4).toString('hex')}`;
  await importRegistry(te.rt.db, {
    gateways: [
      { id, name: id, apiKey: `key-${id}-0123456789`, municipalities: ['aabenraa', 'toender'], heartbeatSeconds },
    ],
  });
  await heardFrom(id, 0);
  return id;
}
/** The gateway's last sign of life was `secondsAgo` seconds ago. */
const heardFrom = (gatewayId: string, secondsAgo: number) =>
  sql`UPDATE gateways SET last_heartbeat_at = now() - make_interval(secs => ${secondsAgo}) WHERE id = ${gatewayId}`.execute(
    te.rt.db,
  );
/** The gateway has never sent a heartbeat and was registered `seconds` ago. */
const silence = (gatewayId: string, seconds: number) =>
  sql`UPDATE gateways SET created_at = now() - make_interval(secs => ${seconds}), last_heartbeat_at = NULL WHERE id = ${gatewayId}`.execute(
    te.rt.db,
  );
const missed = (gatewayId: string) =>
  te.rt.db
    .selectFrom('alarms')
    .selectAll()
    .where('type', '=', 'heartbeat_missed')
    .where('gateway_id', '=', gatewayId)
    .orderBy('municipality_id')
    .orderBy('received_at')
    .execute();

describe('gateway supervision', () => {
  it('raises nothing for a gateway within its interval', async () => {
    // Whatever else in this database is overdue is raised first, so the count below is this gateway's.
    await superviseGateways(te.rt);
    const gw = await ownGateway(300);
    expect(await superviseGateways(te.rt)).toBe(0);
    expect(await missed(gw)).toHaveLength(0);
  });

  it('raises one heartbeat_missed per municipality the silent gateway serves, even with supervisors racing', async () => {
    const gw = await ownGateway();
    await silence(gw, 60);
    const other = te.runtime();
    await Promise.all([superviseGateways(te.rt), superviseGateways(other), superviseGateways(te.rt)]);
    const rows = await missed(gw);
    expect(rows.map((r) => r.municipality_id)).toEqual(['aabenraa', 'toender']);
    for (const r of rows)
      expect(r).toMatchObject({ gateway_id: gw, unknown_device: false, citizen_id: null, lane: 'technical' });
    expect(await superviseGateways(te.rt)).toBe(0);
    expect(await missed(gw)).toHaveLength(2);
  });

  it('stays quiet after a heartbeat and raises again after the next silence', async () => {
    const gw = await ownGateway();
    await silence(gw, 60);
    await superviseGateways(te.rt);
    expect(await missed(gw)).toHaveLength(2);
    await heardFrom(gw, 0);
    expect(await superviseGateways(te.rt)).toBe(0);
    await heardFrom(gw, 60);
    expect(await superviseGateways(te.rt)).toBe(2);
    const rows = await missed(gw);
    expect(rows).toHaveLength(4);
    // One per municipality for each of the two silences.
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(4);
  });
});
