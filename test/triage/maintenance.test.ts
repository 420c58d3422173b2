// Technical alarms are work, not emergencies: each opens (or adds to) one maintenance task per unit,
// the matching restore or a person closes it, and nobody sees another municipality's tasks.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/accept.js';
import { maintenanceTaskView, type MaintenanceTaskView } from '../../domain/views.js';
import { superviseGateways } from '../../services/triage/supervision.js';
import { triageAlarm, triageAlarms } from '../../services/triage/triage-alarm.js';
import { bearer, consoleFixture, type TestUser } from '../console/helpers.js';
import { testEvent, testRegistry } from '../support/env.js';

const fx = consoleFixture({ citizens: 40 });

const alarm = (m: string, i: number, type: string, extra: Record<string, unknown> = {}): NewAlarm =>
  ({ gatewayId: `gw-${m}`, ...testEvent(m, i, type, extra) }) as NewAlarm;
async function triaged(...alarms: NewAlarm[]): Promise<string[]> {
  const ids = (await storeAlarms(fx.te.rt.db, alarms)).results.map((r) => r.alarmId);
  await triageAlarms(fx.te.rt, ids);
  return ids;
}
async function tasks(user: TestUser, query = ''): Promise<MaintenanceTaskView[]> {
  const r = await fx.app.inject({ method: 'GET', url: `/v1/maintenance${query}`, headers: bearer(fx.tokens[user]) });
  expect(r.statusCode, r.body).toBe(200);
  return (r.json() as { tasks: unknown[] }).tasks.map((t) => maintenanceTaskView.parse(t));
}
const ofDevice = async (user: TestUser, device: string, query = '?status=all') =>
  (await tasks(user, query)).filter((t) => t.deviceId === device);
const close = (user: TestUser, id: string, payload: Record<string, unknown> = {}) =>
  fx.app.inject({ method: 'POST', url: `/v1/maintenance/${id}/close`, headers: bearer(fx.tokens[user]), payload });

describe('maintenance tasks', () => {
  it('opens one task per unit for its low batteries, counting each alarm once, as a false alarm for triage', async () => {
    const [first] = await triaged(alarm('aabenraa', 0, 'low_battery'));
    await triaged(alarm('aabenraa', 0, 'low_battery'), alarm('aabenraa', 0, 'low_battery'));
    // Triaged again (a job delivered twice): counted once.
    await triageAlarm(fx.te.rt, first!);
    const [task, ...more] = await ofDevice('op-aab', 'dev-aabenraa-0');
    expect(more).toEqual([]);
    expect(task).toMatchObject({
      kind: 'low_battery',
      municipality: 'aabenraa',
      citizenId: 'c-aabenraa-0',
      openedBy: first,
      alarms: 3,
      closedAt: null,
    });
    const row = await fx.te.rt.db.selectFrom('alarms').selectAll().where('id', '=', first!).executeTakeFirstOrThrow();
    expect(row.triage_class).toBe('false_alarm');
  });

  it('closes a mains failure’s task with its restore, and opens none when the restore came first', async () => {
    const [failure] = await triaged(alarm('aabenraa', 2, 'mains_failure'));
    expect(await ofDevice('op-aab', 'dev-aabenraa-2', '')).toHaveLength(1);
    const [restore] = await triaged(alarm('aabenraa', 2, 'mains_restored'));
    const [task] = await ofDevice('op-aab', 'dev-aabenraa-2');
    expect(task).toMatchObject({ openedBy: failure, closedBy: 'restore', closedByAlarm: restore });
    expect(task!.closedAt).not.toBeNull();
    expect(await ofDevice('op-aab', 'dev-aabenraa-2', '')).toEqual([]);
    // A failure and its restore triaged together: nothing left to do.
    await triaged(alarm('aabenraa', 4, 'mains_failure'), alarm('aabenraa', 4, 'mains_restored'));
    expect(await ofDevice('op-aab', 'dev-aabenraa-4', '')).toEqual([]);
  });

  it('is closed by hand once, within the user’s municipalities only', async () => {
    await triaged(alarm('toender', 1, 'tamper'));
    const [task] = await ofDevice('sup-all', 'dev-toender-1');
    expect(task).toMatchObject({ kind: 'tamper', closedAt: null });
    // Another municipality's task does not exist for this operator, in the list or by id.
    expect(await ofDevice('op-aab', 'dev-toender-1')).toEqual([]);
    expect((await close('op-aab', task!.id)).statusCode).toBe(404);
    expect((await close('plan-aab', task!.id)).statusCode).toBe(403);
    expect((await close('op-toe', 'not-a-uuid')).statusCode).toBe(404);
    expect((await close('op-toe', task!.id, { note: 'x'.repeat(2001) })).statusCode).toBe(400);
    const r = await close('op-toe', task!.id, { note: 'batteri skiftet' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ closedBy: 'op-toe', note: 'batteri skiftet' });
    expect((await close('op-toe', task!.id)).statusCode).toBe(409);
    // A new tamper alarm after it was closed opens a new task.
    await triaged(alarm('toender', 1, 'tamper'));
    expect((await ofDevice('op-toe', 'dev-toender-1', '?status=open')).map((t) => t.id)).not.toContain(task!.id);
    expect(await ofDevice('op-toe', 'dev-toender-1', '?status=open')).toHaveLength(1);
    expect(
      (await fx.app.inject({ method: 'GET', url: '/v1/maintenance?status=nope', headers: bearer(fx.tokens['op-toe']) }))
        .statusCode,
    ).toBe(400);
  });

  it('advises a silent gateway as at least a call and closes its task when the gateway is heard again', async () => {
    const reg = testRegistry(40);
    await sql`UPDATE gateways SET heartbeat_seconds = 10, last_heartbeat_at = now() - interval '1 hour' WHERE id = 'gw-toender'`.execute(
      fx.te.rt.db,
    );
    try {
      await superviseGateways(fx.te.rt);
      const alarms = await fx.te.rt.db
        .selectFrom('alarms')
        .select('id')
        .where('type', '=', 'heartbeat_missed')
        .where('device_id', '=', 'gw-toender')
        .execute();
      expect(alarms).toHaveLength(1);
      await triageAlarm(fx.te.rt, alarms[0]!.id);
      const advised = await fx.te.rt.db
        .selectFrom('alarms')
        .selectAll()
        .where('id', '=', alarms[0]!.id)
        .executeTakeFirstOrThrow();
      expect(advised.triage_class).toBe('phone_resolvable');
      expect(advised.triage_reason_keys!.map((k) => k.key)).toContain('floor_heartbeat');
      const [task] = await ofDevice('op-toe', 'gw-toender', '?status=open');
      expect(task).toMatchObject({ kind: 'heartbeat_missed', municipality: 'toender' });
      await sql`UPDATE gateways SET last_heartbeat_at = now() WHERE id = 'gw-toender'`.execute(fx.te.rt.db);
      await superviseGateways(fx.te.rt);
      const [after] = await ofDevice('op-toe', 'gw-toender');
      expect(after).toMatchObject({ id: task!.id, closedBy: 'restore' });
    } finally {
      await sql`UPDATE gateways SET heartbeat_seconds = ${reg.gateways[1]!.heartbeatSeconds}, last_heartbeat_at = now() WHERE id = 'gw-toender'`.execute(
        fx.te.rt.db,
      );
    }
  });
});
