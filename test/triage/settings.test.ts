// A municipality's triage settings: set by an administrator (the registry or the admin endpoint, never a
// press among the types that close themselves), and used from the next alarm on: the incident window,
// the cancel window, and the tests and restored pairs that close themselves.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/accept.js';
import { triageAlarms } from '../../services/triage/triage-alarm.js';
import { bearer, consoleFixture, type TestUser } from '../console/helpers.js';
import { testEvent } from '../support/env.js';

const fx = consoleFixture({ citizens: 40 });

const alarm = (m: string, i: number, type: string, extra: Record<string, unknown> = {}): NewAlarm =>
  ({ gatewayId: `gw-${m}`, ...testEvent(m, i, type, extra) }) as NewAlarm;
const row = (id: string) => fx.te.rt.db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
async function triaged(...alarms: NewAlarm[]): Promise<string[]> {
  const ids = (await storeAlarms(fx.te.rt.db, alarms)).results.map((r) => r.alarmId);
  await triageAlarms(fx.te.rt, ids);
  return ids;
}
const setTriage = (user: TestUser, municipality: string, payload: Record<string, unknown>) =>
  fx.app.inject({
    method: 'PUT',
    url: `/v1/admin/municipalities/${municipality}/triage`,
    headers: bearer(fx.tokens[user]),
    payload,
  });

describe('triage settings', () => {
  it('are set by an administrator only, never letting a press close itself, and shown with the municipality', async () => {
    const r = await setTriage('admin', 'toender', {
      answerTargetSeconds: 90,
      cancelWindowSeconds: 120,
      selfClosingTypes: ['test'],
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({
      id: 'toender',
      answerTargetSeconds: 90,
      incidentWindowMinutes: 30,
      cancelWindowSeconds: 120,
      selfClosingTypes: ['test'],
    });
    expect((await setTriage('sup-all', 'toender', { cancelWindowSeconds: 10 })).statusCode).toBe(403);
    expect((await setTriage('admin', 'nowhere', { cancelWindowSeconds: 10 })).statusCode).toBe(404);
    expect((await setTriage('admin', 'toender', {})).statusCode).toBe(400);
    expect((await setTriage('admin', 'toender', { incidentWindowMinutes: 0 })).statusCode).toBe(400);
    const target = await setTriage('admin', 'toender', { answerTargetSeconds: 5 });
    expect(target.statusCode).toBe(400);
    expect(target.json().issues[0].path).toBe('answerTargetSeconds');
    const press = await setTriage('admin', 'toender', { selfClosingTypes: ['test', 'pendant'] });
    expect(press.statusCode).toBe(400);
    expect(press.json().issues[0].path).toBe('selfClosingTypes.1');
    expect(press.json().issues[0].message).toMatch(/never a press/);
    const heartbeat = await fx.app.inject({
      method: 'PUT',
      url: '/v1/admin/registry',
      headers: bearer(fx.tokens.admin),
      payload: {
        municipalities: [{ id: 'toender', name: 'Tønder', code: '550', selfClosingTypes: ['heartbeat_missed'] }],
      },
    });
    expect(heartbeat.statusCode).toBe(400);
    // Nothing changed by the refusals.
    const list = await fx.app.inject({
      method: 'GET',
      url: '/v1/municipalities',
      headers: bearer(fx.tokens['op-toe']),
    });
    expect(list.json().municipalities).toEqual([
      expect.objectContaining({
        id: 'toender',
        answerTargetSeconds: 90,
        cancelWindowSeconds: 120,
        selfClosingTypes: ['test'],
      }),
    ]);
  });

  it('close a test and a restored mains failure with its restore by default, and nothing the municipality does not list', async () => {
    const [test] = await triaged(alarm('aabenraa', 0, 'test'));
    expect(await row(test!)).toMatchObject({
      status: 'resolved',
      outcome: 'false_alarm',
      resolved_by: 'triage',
      triage_class: 'false_alarm',
    });
    expect((await row(test!)).triage_reason_keys!.map((k) => k.key)).toContain('closes_itself');
    const failure = alarm('aabenraa', 2, 'mains_failure');
    const [failureId] = await triaged(failure);
    expect((await row(failureId!)).status).toBe('triaged');
    const [restoreId] = await triaged(alarm('aabenraa', 2, 'mains_restored', { relatesTo: failure.eventId }));
    expect(await row(restoreId!)).toMatchObject({ status: 'resolved', resolved_by: 'triage' });
    expect(await row(failureId!)).toMatchObject({ status: 'resolved', outcome: 'false_alarm', resolved_by: 'triage' });
    // A pair where an operator has taken the failure: the failure stays theirs.
    const taken = alarm('aabenraa', 4, 'mains_failure');
    const [takenId] = await triaged(taken);
    await fx.te.rt.db
      .updateTable('alarms')
      .set({ status: 'claimed', claimed_by: 'op-aab', claimed_at: new Date() })
      .where('id', '=', takenId!)
      .execute();
    await triaged(alarm('aabenraa', 4, 'mains_restored', { relatesTo: taken.eventId }));
    expect(await row(takenId!)).toMatchObject({ status: 'claimed', outcome: null });
    // Tønder lists only tests: a restore there waits for an operator, and so does its failure.
    const toeFailure = alarm('toender', 1, 'mains_failure');
    const [toeFailureId] = await triaged(toeFailure);
    const [toeRestore] = await triaged(alarm('toender', 1, 'mains_restored', { relatesTo: toeFailure.eventId }));
    expect((await row(toeRestore!)).status).toBe('triaged');
    expect((await row(toeFailureId!)).status).toBe('triaged');
    // And a press never closes itself, whatever is stored.
    const [pressId] = await triaged(alarm('aabenraa', 6, 'pendant', { voice: 'connected' }));
    expect((await row(pressId!)).status).toBe('triaged');
  });

  it('leave a press cancelled after the municipality’s cancel window for a call', async () => {
    const t0 = Date.now();
    const late = alarm('toender', 3, 'pendant', {
      voice: 'connected',
      occurredAt: new Date(t0 - 200_000).toISOString(),
    });
    const soon = alarm('toender', 5, 'pendant', {
      voice: 'connected',
      occurredAt: new Date(t0 - 60_000).toISOString(),
    });
    const [lateId, soonId] = await triaged(late, soon);
    await triaged(
      alarm('toender', 3, 'cancel', { relatesTo: late.eventId, occurredAt: new Date(t0).toISOString() }),
      alarm('toender', 5, 'cancel', { relatesTo: soon.eventId, occurredAt: new Date(t0).toISOString() }),
    );
    // Tønder's window is 120 s: 200 s is too late to settle the press, 60 s is not.
    const after = await row(lateId!);
    expect(after.triage_class).toBe('phone_resolvable');
    expect(after.triage_reason_keys).toContainEqual({ key: 'cancelled_late', params: { seconds: 200, window: 120 } });
    expect((await row(soonId!)).triage_class).toBe('false_alarm');
  });

  it('group a unit’s presses into incidents by the municipality’s window', async () => {
    const [first] = (await storeAlarms(fx.te.rt.db, [alarm('aabenraa', 8, 'pendant')])).results.map((r) => r.alarmId);
    await sql`UPDATE alarms SET received_at = received_at - interval '5 minutes' WHERE id = ${first!}`.execute(
      fx.te.rt.db,
    );
    const [second] = (await storeAlarms(fx.te.rt.db, [alarm('aabenraa', 8, 'pendant')])).results.map((r) => r.alarmId);
    expect((await row(second!)).incident_id).toBe((await row(first!)).incident_id);
    expect((await setTriage('admin', 'aabenraa', { incidentWindowMinutes: 2 })).statusCode).toBe(200);
    await sql`UPDATE alarms SET received_at = received_at - interval '5 minutes' WHERE id = ${second!}`.execute(
      fx.te.rt.db,
    );
    const [third] = (await storeAlarms(fx.te.rt.db, [alarm('aabenraa', 8, 'pendant')])).results.map((r) => r.alarmId);
    expect((await row(third!)).incident_id).not.toBe((await row(second!)).incident_id);
  });
});
