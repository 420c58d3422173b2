// A silent gateway leaves citizens unprotected: exactly one heartbeat_missed per municipality per silence.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setGatewayDisabled } from '../../db/gateway-keys.js';
import { importRegistry } from '../../services/admin/registry.js';
import { buildIngestApp } from '../../services/ingest/app.js';
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
    // One per municipality for each of the two silences, each a system event: no event id, a key of its own.
    expect(new Set(rows.map((r) => r.system_key)).size).toBe(4);
    expect(rows.map((r) => r.event_id)).toEqual([null, null, null, null]);
  });

  it('raises the alarm of a silent gateway that sent, beforehand, the event ids and cancels the system would use', async () => {
    const gw = await ownGateway();
    const key = `key-${gw}-0123456789`;
    const ingest = await buildIngestApp(te.rt);
    te.onClose(ingest.close);
    const post = (url: string, payload: object) =>
      ingest.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload });
    // A heartbeat first: for the next 30 s the gateway's events are not written as signs of life.
    expect((await post('/v1/gateways/heartbeat', {})).statusCode).toBe(200);
    await heardFrom(gw, 60);
    const [{ since }] = (
      await sql<{ since: Date }>`SELECT last_heartbeat_at AS since FROM gateways WHERE id = ${gw}`.execute(te.rt.db)
    ).rows as [{ since: Date }];
    // Every id the system's own events of this silence were once given, sent by the gateway first, and a
    // cancel of each.
    for (const m of ['aabenraa', 'toender']) {
      const eventId = `heartbeat-missed:${m}:${since.getTime()}`;
      const at = new Date().toISOString();
      for (const event of [
        { eventId, deviceId: gw, type: 'heartbeat_missed', occurredAt: at },
        { eventId: `${eventId}-cancel`, deviceId: gw, type: 'cancel', occurredAt: at, relatesTo: eventId },
      ])
        expect((await post('/v1/alarms', event)).statusCode).toBe(202);
    }
    expect(await superviseGateways(te.rt)).toBe(2);
    const raised = (await missed(gw)).filter((r) => r.system_key !== null);
    expect(raised.map((r) => r.municipality_id)).toEqual(['aabenraa', 'toender']);
    // The gateway's own events are stored as its own, beside them.
    expect((await missed(gw)).filter((r) => r.event_id !== null)).toHaveLength(2);
  });

  it('does not supervise a disabled gateway', async () => {
    const gw = await ownGateway();
    await setGatewayDisabled(te.rt.db, gw, true);
    await silence(gw, 60);
    await superviseGateways(te.rt);
    expect(await missed(gw)).toHaveLength(0);
    await setGatewayDisabled(te.rt.db, gw, false);
    await superviseGateways(te.rt);
    expect(await missed(gw)).toHaveLength(2);
  });
});
