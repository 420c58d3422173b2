// Dispatches for home-care planners, and the audited citizen card.
import { describe, expect, it } from 'vitest';
import { consoleFixture, newAlarm, storeAlarms, type TestUser } from './helpers.js';

const fx = consoleFixture();
const { get, post } = fx;
const setStatus = (user: TestUser, id: string, status: string, team?: string | null) =>
  post(user, `/v1/dispatches/${id}/status`, team === undefined ? { status } : { status, team });
const audits = (citizenId: string) =>
  fx.te.rt.db.selectFrom('citizen_reads').selectAll().where('citizen_id', '=', citizenId).orderBy('id').execute();
/** The audit rows of a citizen written since `before` (a result of `audits`) was read. */
const auditsSince = async (citizenId: string, before: { id: string | number }[]) => {
  const seen = new Set(before.map((r) => String(r.id)));
  return (await audits(citizenId)).filter((r) => !seen.has(String(r.id)));
};

/** An alarm of device i resolved with outcome dispatch; returns the dispatch view. */
async function dispatched(
  m: 'aabenraa' | 'toender',
  i: number,
): Promise<{ id: string; alarmId: string; citizenId: string; status: string }> {
  const [alarmId] = await storeAlarms(fx.te.rt, newAlarm(m, i));
  const r = await post(m === 'aabenraa' ? 'op-aab' : 'op-toe', `/v1/alarms/${alarmId}/resolve`, {
    outcome: 'dispatch',
  });
  expect(r.statusCode).toBe(200);
  return r.json().dispatch;
}

describe('GET /v1/dispatches', () => {
  it('a planner sees its own municipality’s open dispatches, newest first, never another’s', async () => {
    const a1 = await dispatched('aabenraa', 0);
    const a2 = await dispatched('aabenraa', 1);
    const t1 = await dispatched('toender', 0);
    const r = await get('plan-aab', '/v1/dispatches');
    expect(r.statusCode).toBe(200);
    const ids = r.json().dispatches.map((d: { id: string }) => d.id);
    expect(ids.indexOf(a2.id)).toBeLessThan(ids.indexOf(a1.id));
    expect(ids.indexOf(a1.id)).toBeGreaterThanOrEqual(0);
    expect(ids).not.toContain(t1.id);
    expect(r.json().dispatches[0]).toEqual({
      id: a2.id,
      alarmId: a2.alarmId,
      municipality: 'aabenraa',
      citizenId: 'c-aabenraa-2',
      status: 'requested',
      team: null,
      requestedAt: expect.any(String),
      updatedAt: expect.any(String),
      alarmType: 'pendant',
      note: null,
      escalation: null,
      // No webhook registered for Aabenraa in this file (test/webhooks/ covers the delivery status).
      webhook: null,
    });
    expect((await get('plan-aab', '/v1/dispatches?municipality=toender')).json()).toEqual({
      dispatches: [],
      next: null,
    });
    const both = (await get('op-both', '/v1/dispatches?municipality=toender'))
      .json()
      .dispatches.map((d: { id: string }) => d.id);
    expect(both).toContain(t1.id);
  });

  it('filters by status (open by default, one status, or all) and pages with a cursor', async () => {
    const d = await dispatched('aabenraa', 2);
    expect((await setStatus('plan-aab', d.id, 'completed')).statusCode).toBe(200);
    const open = (await get('plan-aab', '/v1/dispatches')).json().dispatches.map((x: { id: string }) => x.id);
    expect(open).not.toContain(d.id);
    const completed = (await get('plan-aab', '/v1/dispatches?status=completed')).json().dispatches;
    expect(completed.map((x: { id: string }) => x.id)).toContain(d.id);
    expect(completed.every((x: { status: string }) => x.status === 'completed')).toBe(true);
    // Exactly the municipality's completed dispatches, newest first.
    const expected = await fx.te.rt.db
      .selectFrom('dispatches')
      .select('id')
      .where('municipality_id', '=', 'aabenraa')
      .where('status', '=', 'completed')
      .orderBy('requested_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    expect(completed.map((x: { id: string }) => x.id)).toEqual(expected.map((x) => x.id));
    const all = (await get('plan-aab', '/v1/dispatches?status=all')).json().dispatches.map((x: { id: string }) => x.id);
    const seen: string[] = [];
    let url = '/v1/dispatches?status=all&limit=1';
    for (;;) {
      const body = (await get('plan-aab', url)).json();
      seen.push(...body.dispatches.map((x: { id: string }) => x.id));
      if (!body.next) break;
      url = `/v1/dispatches?status=all&limit=1&before=${body.next}`;
    }
    expect(seen).toEqual(all);
    expect((await get('plan-aab', '/v1/dispatches?status=lost')).statusCode).toBe(400);
  });

  it('is refused to analysts (403)', async () => {
    expect((await get('ana-toe', '/v1/dispatches')).statusCode).toBe(403);
  });
});

describe('POST /v1/dispatches/:id/status', () => {
  it('moves a dispatch forward, sets the team, and appends a change for the live feed', async () => {
    const d = await dispatched('aabenraa', 3);
    const accepted = await setStatus('plan-aab', d.id, 'accepted', 'Hjemmepleje Syd');
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ id: d.id, status: 'accepted', team: 'Hjemmepleje Syd' });
    const arrived = await setStatus('op-aab', d.id, 'arrived');
    expect(arrived.json()).toMatchObject({ status: 'arrived', team: 'Hjemmepleje Syd' });
    const changes = await fx.te.rt.db
      .selectFrom('changes')
      .selectAll()
      .where('entity_id', '=', d.id)
      .orderBy('seq')
      .execute();
    expect(changes.map((c) => (c.payload as { status: string }).status)).toEqual(['requested', 'accepted', 'arrived']);
    expect(changes.every((c) => c.kind === 'dispatch' && c.municipality_id === 'aabenraa')).toBe(true);
  });

  it('answers a repeated status with 200 and no new change, a step back or a change after completion with 409', async () => {
    const d = await dispatched('aabenraa', 4);
    await setStatus('plan-aab', d.id, 'en_route');
    const count = async () =>
      (await fx.te.rt.db.selectFrom('changes').select('seq').where('entity_id', '=', d.id).execute()).length;
    const before = await count();
    expect((await setStatus('plan-aab', d.id, 'en_route')).statusCode).toBe(200);
    expect(await count()).toBe(before);
    const back = await setStatus('plan-aab', d.id, 'accepted');
    expect(back.statusCode).toBe(409);
    expect(back.json()).toEqual({ error: 'conflict', message: expect.any(String) });
    expect((await setStatus('sup-all', d.id, 'completed')).statusCode).toBe(200);
    expect((await setStatus('plan-aab', d.id, 'cancelled')).statusCode).toBe(409);
    expect((await setStatus('plan-aab', d.id, 'completed')).statusCode).toBe(200);
  });

  it('lets planners, operators, supervisors and admins of the municipality update it; 404 outside the scope, 403 for analysts', async () => {
    const d = await dispatched('aabenraa', 5);
    expect((await setStatus('admin', d.id, 'accepted')).statusCode).toBe(200);
    expect((await setStatus('sup-all', d.id, 'en_route')).statusCode).toBe(200);
    expect((await setStatus('op-both', d.id, 'arrived')).statusCode).toBe(200);
    for (const r of [await setStatus('op-toe', d.id, 'completed'), await get('op-toe', `/v1/dispatches/${d.id}`)]) {
      expect(r.statusCode).toBe(404);
      expect(r.json()).toEqual({ error: 'not_found', message: 'no such dispatch' });
    }
    expect((await setStatus('ana-toe', d.id, 'completed')).statusCode).toBe(403);
    expect((await setStatus('plan-aab', '00000000-0000-4000-8000-000000000000', 'completed')).statusCode).toBe(404);
    expect((await setStatus('plan-aab', d.id, 'teleported')).statusCode).toBe(400);
    expect((await get('plan-aab', `/v1/dispatches/${d.id}`)).json().status).toBe('arrived');
  });
});

describe('GET /v1/citizens/:id', () => {
  it('shows the card to an operator of the citizen’s municipality and audits the read with its alarm', async () => {
    const [alarmId] = await storeAlarms(fx.te.rt, newAlarm('toender', 7));
    const before = await audits('c-toender-15');
    const r = await get('op-toe', `/v1/citizens/c-toender-15?alarm=${alarmId}`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      id: 'c-toender-15',
      municipality: 'toender',
      name: 'Borger 15',
      address: 'Vej 15, toender',
      phone: '+45 20100015',
      keySafe: 'KS-1015',
      notes: '',
      recentAlarms: [
        {
          id: alarmId,
          type: 'pendant',
          receivedAt: expect.any(String),
          status: 'received',
          triageClass: null,
          outcome: null,
        },
      ],
    });
    expect(await auditsSince('c-toender-15', before)).toEqual([
      expect.objectContaining({
        username: 'op-toe',
        citizen_id: 'c-toender-15',
        alarm_id: alarmId,
        purpose: 'citizen_card',
      }),
    ]);
  });

  it('an operator never reads another municipality’s citizen: 404, and no audit row', async () => {
    const before = await audits('c-toender-17');
    for (const url of ['/v1/citizens/c-toender-17', '/v1/citizens/c-nobody']) {
      const r = await get('op-aab', url);
      expect(r.statusCode).toBe(404);
      expect(r.json()).toEqual({ error: 'not_found', message: 'no such citizen' });
    }
    expect(await auditsSince('c-toender-17', before)).toHaveLength(0);
  });

  it('refuses an alarm context that is not an alarm of this citizen in scope (404), and a malformed one (400)', async () => {
    const [other] = await storeAlarms(fx.te.rt, newAlarm('toender', 8));
    const before = await audits('c-toender-19');
    expect((await get('op-toe', `/v1/citizens/c-toender-19?alarm=${other}`)).statusCode).toBe(404);
    expect((await get('op-toe', '/v1/citizens/c-toender-19?alarm=nope')).statusCode).toBe(400);
    expect(await auditsSince('c-toender-19', before)).toHaveLength(0);
  });

  it('a planner reads a card only while an open dispatch for the citizen is in its municipalities', async () => {
    expect((await get('plan-aab', '/v1/citizens/c-aabenraa-12')).statusCode).toBe(404);
    const before = await audits('c-aabenraa-12');
    const dispatch = await dispatched('aabenraa', 6);
    const r = await get('plan-aab', '/v1/citizens/c-aabenraa-12');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ id: 'c-aabenraa-12', keySafe: 'KS-1012' });
    // The citizen's alarm history is for the centre, not for home care.
    expect(r.json()).not.toHaveProperty('recentAlarms');
    expect(await auditsSince('c-aabenraa-12', before)).toContainEqual(
      expect.objectContaining({ username: 'plan-aab', purpose: 'dispatch_planning' }),
    );
    // A dispatch in Tønder gives an Aabenraa planner nothing.
    await dispatched('toender', 9);
    expect((await get('plan-aab', '/v1/citizens/c-toender-19')).statusCode).toBe(404);
    // Once the visit is completed, the card is no longer the planner's to read.
    expect((await post('plan-aab', `/v1/dispatches/${dispatch.id}/status`, { status: 'completed' })).statusCode).toBe(
      200,
    );
    expect((await get('plan-aab', '/v1/citizens/c-aabenraa-12')).statusCode).toBe(404);
  });

  it('is refused to analysts (403)', async () => {
    const before = await audits('c-toender-1');
    expect((await get('ana-toe', '/v1/citizens/c-toender-1')).statusCode).toBe(403);
    expect(await auditsSince('c-toender-1', before)).toHaveLength(0);
  });
});

describe('GET /v1/citizens?ids= (names and addresses for a board)', () => {
  const names = async (user: TestUser, ids: string[]) => {
    const r = await get(user, `/v1/citizens?ids=${ids.map(encodeURIComponent).join(',')}`);
    expect(r.statusCode).toBe(200);
    return r.json().citizens as { id: string; municipality: string; name: string; address: string }[];
  };

  it('gives an operator the names and addresses in scope only, and audits each as a board read', async () => {
    const before = await audits('c-aabenraa-4');
    const beforeOther = await audits('c-toender-3');
    const got = await names('op-aab', ['c-aabenraa-4', 'c-toender-3', 'no-such-citizen']);
    expect(got).toEqual([
      { id: 'c-aabenraa-4', municipality: 'aabenraa', name: expect.any(String), address: expect.any(String) },
    ]);
    expect(got[0]).not.toHaveProperty('keySafe');
    expect(await auditsSince('c-aabenraa-4', before)).toEqual([
      expect.objectContaining({ username: 'op-aab', purpose: 'board', alarm_id: null }),
    ]);
    expect(await auditsSince('c-toender-3', beforeOther)).toHaveLength(0);
  });

  it('gives a planner only citizens with an open dispatch in its municipalities', async () => {
    expect(await names('plan-aab', ['c-aabenraa-14'])).toEqual([]);
    const d = await dispatched('aabenraa', 7);
    expect(d.citizenId).toBe('c-aabenraa-14');
    expect((await names('plan-aab', ['c-aabenraa-14', 'c-aabenraa-16'])).map((c) => c.id)).toEqual(['c-aabenraa-14']);
  });

  it('is refused to analysts (403) and refuses more than 200 ids or an empty list (400)', async () => {
    expect((await get('ana-toe', '/v1/citizens?ids=c-toender-1')).statusCode).toBe(403);
    const many = Array.from({ length: 201 }, (_, i) => `c-${i}`).join(',');
    expect((await get('op-both', `/v1/citizens?ids=${many}`)).statusCode).toBe(400);
    expect((await get('op-both', '/v1/citizens?ids=')).statusCode).toBe(400);
  });
});

describe('GET /v1/municipalities', () => {
  it('lists the user’s municipalities with their service levels, which the registry sets', async () => {
    const r = await get('op-aab', '/v1/municipalities');
    expect(r.statusCode).toBe(200);
    expect(r.json().municipalities).toEqual([
      expect.objectContaining({
        id: 'aabenraa',
        answerTargetSeconds: 60,
        unresolvedAfterMinutes: 15,
        dispatchAcceptMinutes: 10,
      }),
    ]);
    const put = await fx.app.inject({
      method: 'PUT',
      url: '/v1/admin/registry',
      headers: { authorization: `Bearer ${fx.tokens.admin}` },
      payload: {
        municipalities: [
          { id: 'toender', name: 'Tønder', code: '550', answerTargetSeconds: 90, dispatchAcceptMinutes: 20 },
        ],
      },
    });
    expect(put.statusCode).toBe(200);
    const all = (await get('sup-all', '/v1/municipalities')).json().municipalities;
    expect(all.map((m: { id: string }) => m.id).sort()).toEqual(['aabenraa', 'toender']);
    expect(all.find((m: { id: string }) => m.id === 'toender')).toMatchObject({
      answerTargetSeconds: 90,
      dispatchAcceptMinutes: 20,
      unresolvedAfterMinutes: 15,
    });
  });
});
