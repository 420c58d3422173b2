// Alarms on the console: lists, the audited alarm view, and the operator's decisions.
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, consoleFixture, newAlarm, storeAlarms, type TestUser } from './helpers.js';

const fx = consoleFixture();
const { get, post } = fx;
const claim = (user: TestUser, id: string) => post(user, `/v1/alarms/${id}/claim`);
const resolve = (user: TestUser, id: string, outcome: string, note?: string) =>
  post(user, `/v1/alarms/${id}/resolve`, note === undefined ? { outcome } : { outcome, note });
const changesOf = (id: string) =>
  fx.te.rt.db.selectFrom('changes').selectAll().where('entity_id', '=', id).orderBy('seq').execute();

/** The ids of the first page (100) of alarms where `column op value`, newest first, read from the database. */
const firstPageInDatabase = async (column: 'status' | 'municipality_id', op: '=' | '<>', value: string) =>
  (
    await fx.te.rt.db
      .selectFrom('alarms')
      .select('id')
      .where(column, op, value)
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .limit(100)
      .execute()
  ).map((a) => a.id);

describe('GET /v1/alarms', () => {
  const aab: string[] = [];
  const toe: string[] = [];
  beforeAll(async () => {
    // Stored one at a time, so receipt order is creation order.
    for (let i = 0; i < 6; i++) {
      aab.push(...(await storeAlarms(fx.te.rt, newAlarm('aabenraa', i))));
      toe.push(...(await storeAlarms(fx.te.rt, newAlarm('toender', i))));
    }
    // Resolve one of each, so the status filter has something to tell apart.
    await resolve('op-both', aab[0]!, 'false_alarm');
    await resolve('op-both', toe[0]!, 'false_alarm');
  });

  it('an operator never sees another municipality’s alarm in a list', async () => {
    const r = await get('op-aab', '/v1/alarms?status=all&limit=1000');
    expect(r.statusCode).toBe(200);
    const ids = r.json().alarms.map((a: { id: string }) => a.id);
    expect(ids).toEqual(expect.arrayContaining(aab));
    expect(ids.some((id: string) => toe.includes(id))).toBe(false);
    expect(r.json().alarms.every((a: { municipality: string }) => a.municipality === 'aabenraa')).toBe(true);
  });

  it('lists open alarms by default, newest first, in the contract’s alarm view', async () => {
    // This test's own alarms, stored one at a time after everything else: the newest in the database.
    const mine: { aab: string[]; toe: string[]; created: string[] } = { aab: [], toe: [], created: [] };
    for (let i = 0; i < 6; i++) {
      mine.aab.push(...(await storeAlarms(fx.te.rt, newAlarm('aabenraa', i))));
      mine.toe.push(...(await storeAlarms(fx.te.rt, newAlarm('toender', i))));
      mine.created.push(mine.aab.at(-1)!, mine.toe.at(-1)!);
    }
    await resolve('op-both', mine.aab[0]!, 'false_alarm');
    await resolve('op-both', mine.toe[0]!, 'false_alarm');
    const open = mine.created.filter((id) => id !== mine.aab[0] && id !== mine.toe[0]).reverse();

    const r = await get('op-both', '/v1/alarms');
    const alarms = r.json().alarms as { id: string; status: string; receivedAt: string }[];
    const ids = alarms.map((a) => a.id);
    expect(ids.slice(0, open.length)).toEqual(open);
    expect(ids).not.toContain(mine.aab[0]);
    expect(ids).not.toContain(mine.toe[0]);
    // The whole default page: every open alarm in scope, newest first, at most 100.
    expect(ids).toEqual(await firstPageInDatabase('status', '<>', 'resolved'));
    expect(alarms.every((a) => a.status !== 'resolved')).toBe(true);
    const received = alarms.map((a) => Date.parse(a.receivedAt));
    expect([...received].sort((x, y) => y - x)).toEqual(received);
    expect(alarms[0]).toEqual({
      id: mine.toe[5],
      municipality: 'toender',
      deviceId: 'dev-toender-11',
      citizenId: 'c-toender-11',
      unknownDevice: false,
      type: 'pendant',
      occurredAt: expect.any(String),
      receivedAt: expect.any(String),
      status: 'received',
      triage: null,
      incidentId: expect.any(String),
      escalated: false,
      escalation: null,
      claimedBy: null,
      claimedAt: null,
      outcome: null,
      resolvedAt: null,
      answerBy: null,
      result: null,
    });
  });

  it('filters by status resolved and all', async () => {
    const resolved = (await get('op-both', '/v1/alarms?status=resolved&limit=1000'))
      .json()
      .alarms.map((a: { id: string }) => a.id);
    expect(resolved).toEqual(expect.arrayContaining([aab[0], toe[0]]));
    expect(resolved).not.toContain(aab[1]);
    const all = (await get('op-both', '/v1/alarms?status=all&limit=1000'))
      .json()
      .alarms.map((a: { id: string }) => a.id);
    expect(all).toEqual(expect.arrayContaining([...aab, ...toe]));
  });

  it('filters by municipality, and a municipality outside the scope yields an empty list', async () => {
    const toender = (await get('op-both', '/v1/alarms?municipality=toender&status=all')).json();
    const ids = toender.alarms.map((a: { id: string }) => a.id);
    expect(ids).toEqual(expect.arrayContaining(toe));
    expect(ids.some((id: string) => aab.includes(id))).toBe(false);
    expect(toender.alarms.every((a: { municipality: string }) => a.municipality === 'toender')).toBe(true);
    expect(ids).toEqual(await firstPageInDatabase('municipality_id', '=', 'toender'));
    const outside = await get('op-aab', '/v1/alarms?municipality=toender&status=all');
    expect(outside.statusCode).toBe(200);
    expect(outside.json()).toEqual({ alarms: [], next: null });
    expect((await get('op-aab', '/v1/alarms?municipality=nowhere')).json()).toEqual({ alarms: [], next: null });
  });

  it('pages with an opaque cursor: every alarm exactly once, in order', async () => {
    const everything = (await get('op-both', '/v1/alarms?status=all&limit=1000'))
      .json()
      .alarms.map((a: { id: string }) => a.id);
    const seen: string[] = [];
    let url = '/v1/alarms?status=all&limit=5';
    for (let pages = 0; pages < 50; pages++) {
      const body = (await get('op-both', url)).json();
      expect(body.alarms.length).toBeLessThanOrEqual(5);
      seen.push(...body.alarms.map((a: { id: string }) => a.id));
      if (body.next === null) break;
      expect(body.next).toMatch(/^[A-Za-z0-9_-]+$/);
      url = `/v1/alarms?status=all&limit=5&before=${body.next}`;
    }
    expect(seen).toEqual(everything);
  });

  it('keeps rows received in the same millisecond apart when paging', async () => {
    // One transaction: every alarm gets the same received_at (now() is the transaction's start).
    const ids = await storeAlarms(fx.te.rt, ...Array.from({ length: 7 }, (_, i) => newAlarm('aabenraa', 9 - (i % 3))));
    const seen: string[] = [];
    let url = '/v1/alarms?municipality=aabenraa&limit=2';
    for (;;) {
      const body = (await get('op-aab', url)).json();
      seen.push(...body.alarms.map((a: { id: string }) => a.id));
      if (!body.next) break;
      url = `/v1/alarms?municipality=aabenraa&limit=2&before=${body.next}`;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(ids));
  });

  it('answers 400 with the contract error body for invalid parameters', async () => {
    for (const q of ['status=closed', 'limit=0', 'limit=1001', 'limit=ten', 'before=not-a-cursor']) {
      const r = await get('op-both', `/v1/alarms?${q}`);
      expect(r.statusCode, q).toBe(400);
      expect(r.json()).toMatchObject({
        error: 'invalid_request',
        message: expect.any(String),
        issues: [{ path: q.split('=')[0], message: expect.any(String) }],
      });
    }
  });
});

describe('GET /v1/alarms/:id', () => {
  it('shows the citizen’s card and audits the read before answering', async () => {
    const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 3));
    const r = await get('op-aab', `/v1/alarms/${id}`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      id,
      citizenId: 'c-aabenraa-6',
      citizen: {
        id: 'c-aabenraa-6',
        municipality: 'aabenraa',
        name: 'Borger 6',
        address: 'Vej 6, aabenraa',
        phone: '+45 20100006',
        keySafe: 'KS-1006',
        notes: '',
      },
    });
    const audit = await fx.te.rt.db.selectFrom('citizen_reads').selectAll().where('alarm_id', '=', id!).execute();
    expect(audit).toEqual([
      expect.objectContaining({
        username: 'op-aab',
        citizen_id: 'c-aabenraa-6',
        alarm_id: id,
        purpose: 'alarm_handling',
      }),
    ]);
  });

  it('the card lists the citizen’s alarms of the last 30 days, newest first, with their outcomes', async () => {
    const [old] = await storeAlarms(fx.te.rt, newAlarm('toender', 8));
    expect((await resolve('op-toe', old!, 'false_alarm')).statusCode).toBe(200);
    const [resolved] = await storeAlarms(fx.te.rt, newAlarm('toender', 8, 'fall'));
    // One older than 30 days drops off the card.
    await fx.te.rt.db
      .updateTable('alarms')
      .set({ received_at: new Date(Date.now() - 31 * 86_400_000) })
      .where('id', '=', old!)
      .execute();
    expect((await resolve('op-toe', resolved!, 'phone_resolvable')).statusCode).toBe(200);
    const [current] = await storeAlarms(fx.te.rt, newAlarm('toender', 8, 'smoke'));
    const card = (await get('op-toe', `/v1/alarms/${current}`)).json().citizen;
    expect(card.id).toBe('c-toender-17');
    const history = card.recentAlarms as { id: string; type: string; outcome: string | null }[];
    expect(history.map((a) => a.id)).not.toContain(old);
    expect(history.slice(0, 2)).toEqual([
      expect.objectContaining({ id: current, type: 'smoke', status: expect.any(String), outcome: null }),
      expect.objectContaining({ id: resolved, type: 'fall', status: 'resolved', outcome: 'phone_resolvable' }),
    ]);
  });

  it('shows no card (and audits nothing) for an alarm from an unknown device', async () => {
    const [id] = await storeAlarms(fx.te.rt, { ...newAlarm('aabenraa', 0), deviceId: 'dev-unregistered' });
    const r = await get('op-aab', `/v1/alarms/${id}`);
    expect(r.json()).toMatchObject({ id, unknownDevice: true, citizenId: null, citizen: null });
    expect(
      await fx.te.rt.db.selectFrom('citizen_reads').selectAll().where('alarm_id', '=', id!).execute(),
    ).toHaveLength(0);
  });

  it('an operator never sees another municipality’s alarm: 404 as for one that does not exist', async () => {
    const [id] = await storeAlarms(fx.te.rt, newAlarm('toender', 2));
    const outside = await get('op-aab', `/v1/alarms/${id}`);
    const missing = await get('op-aab', '/v1/alarms/00000000-0000-4000-8000-000000000000');
    const malformed = await get('op-aab', '/v1/alarms/not-a-uuid');
    for (const r of [outside, missing, malformed]) {
      expect(r.statusCode).toBe(404);
      expect(r.json()).toEqual({ error: 'not_found', message: 'no such alarm' });
    }
    expect(
      await fx.te.rt.db.selectFrom('citizen_reads').selectAll().where('alarm_id', '=', id!).execute(),
    ).toHaveLength(0);
  });

  it('refuses planners and analysts (403), whether or not the alarm exists', async () => {
    const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 4));
    for (const user of ['plan-aab', 'ana-toe'] as const) {
      for (const url of ['/v1/alarms', `/v1/alarms/${id}`, '/v1/alarms/00000000-0000-4000-8000-000000000000']) {
        const r = await get(user, url);
        expect(r.statusCode, `${user} ${url}`).toBe(403);
        expect(r.json()).toMatchObject({ error: 'forbidden' });
      }
      expect((await claim(user, id!)).statusCode).toBe(403);
      expect((await resolve(user, id!, 'false_alarm')).statusCode).toBe(403);
    }
  });
});

describe('claiming and resolving', () => {
  it('claims an alarm, records it on the change log, and answers a repeated claim by the same operator with 200', async () => {
    const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 1));
    const r = await claim('op-aab', id!);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ id, status: 'claimed', claimedBy: 'op-aab', claimedAt: expect.any(String) });
    const again = await claim('op-aab', id!);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(r.json());
    const changes = await changesOf(id!);
    expect(changes.map((c) => (c.payload as { status: string }).status)).toEqual(['received', 'claimed']);
  });

  it('answers 409 when another operator holds the alarm, and 409 once it is resolved', async () => {
    const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 2));
    expect((await claim('op-aab', id!)).statusCode).toBe(200);
    const other = await claim('op-both', id!);
    expect(other.statusCode).toBe(409);
    expect(other.json()).toEqual({ error: 'conflict', message: expect.any(String) });
    expect((await resolve('op-both', id!, 'false_alarm')).statusCode).toBe(409);
    expect((await resolve('op-aab', id!, 'phone_resolvable')).statusCode).toBe(200);
    expect((await claim('op-aab', id!)).statusCode).toBe(409);
    expect((await resolve('op-aab', id!, 'phone_resolvable')).statusCode).toBe(409);
  });

  it('two operators claiming at once: exactly one wins, the other gets 409', async () => {
    for (let round = 0; round < 10; round++) {
      // A device of its own each round: an open alarm of the same device would make it one incident.
      const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 100 + round));
      const users: TestUser[] = ['op-aab', 'op-both', 'sup-all', 'admin'];
      const rs = await Promise.all(users.map((u) => claim(u, id!)));
      expect(rs.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409]);
      const winner = users[rs.findIndex((r) => r.statusCode === 200)];
      expect((await changesOf(id!)).filter((c) => (c.payload as { status: string }).status === 'claimed')).toHaveLength(
        1,
      );
      expect((await get('op-both', `/v1/alarms/${id}`)).json().claimedBy).toBe(winner);
    }
  });

  it('resolving an unclaimed alarm claims it in the same update', async () => {
    const [id] = await storeAlarms(fx.te.rt, newAlarm('toender', 3));
    const r = await resolve('op-toe', id!, 'false_alarm', 'utilsigtet tryk');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      status: 'resolved',
      outcome: 'false_alarm',
      claimedBy: 'op-toe',
      claimedAt: expect.any(String),
      resolvedAt: expect.any(String),
    });
    const row = await fx.te.rt.db.selectFrom('alarms').selectAll().where('id', '=', id!).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ note: 'utilsigtet tryk', resolved_by: 'op-toe' });
    expect((await changesOf(id!)).map((c) => (c.payload as { status: string }).status)).toEqual([
      'received',
      'resolved',
    ]);
    expect(await fx.te.rt.db.selectFrom('dispatches').selectAll().where('alarm_id', '=', id!).execute()).toHaveLength(
      0,
    );
  });

  it('records each outcome; only dispatch requests a dispatch, in the same transaction', async () => {
    for (const outcome of ['false_alarm', 'phone_resolvable', 'dispatch'] as const) {
      const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 5));
      await claim('op-aab', id!);
      const r = await resolve('op-aab', id!, outcome);
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ id, status: 'resolved', outcome });
      const dispatches = await fx.te.rt.db.selectFrom('dispatches').selectAll().where('alarm_id', '=', id!).execute();
      const changes = await fx.te.rt.db.selectFrom('changes').selectAll().orderBy('seq', 'desc').limit(2).execute();
      if (outcome === 'dispatch') {
        expect(dispatches).toEqual([
          expect.objectContaining({
            municipality_id: 'aabenraa',
            citizen_id: 'c-aabenraa-10',
            status: 'requested',
            requested_by: 'op-aab',
            team: null,
          }),
        ]);
        expect(r.json().dispatch).toMatchObject({ id: dispatches[0]!.id, alarmId: id, status: 'requested' });
        // One commit: the alarm's change and the dispatch's change are adjacent.
        expect(changes.map((c) => c.kind)).toEqual(['dispatch', 'alarm']);
        expect(Number(changes[0]!.seq)).toBe(Number(changes[1]!.seq) + 1);
        expect(changes[0]!.entity_id).toBe(dispatches[0]!.id);
      } else {
        expect(dispatches).toHaveLength(0);
        expect(r.json().dispatch).toBeUndefined();
      }
    }
  });

  it('answers 400 for an unknown outcome and 404 for an alarm out of scope', async () => {
    const [aab] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 6));
    const bad = await resolve('op-aab', aab!, 'ignored');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'invalid_request', issues: [{ path: 'outcome' }] });
    const [toe] = await storeAlarms(fx.te.rt, newAlarm('toender', 6));
    for (const r of [
      await claim('op-aab', toe!),
      await resolve('op-aab', toe!, 'false_alarm'),
      await claim('op-aab', 'x'),
    ]) {
      expect(r.statusCode).toBe(404);
    }
    const row = await fx.te.rt.db
      .selectFrom('alarms')
      .select('status')
      .where('id', '=', toe!)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('received');
  });

  it('never logs the note or any personal data of the citizen', async () => {
    const from = fx.te.logs.length;
    const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 7));
    const card = await get('op-aab', `/v1/alarms/${id}`);
    // Citizen 14 is one with notes: every personal field has something to leak.
    expect(card.json().citizen).toMatchObject({ name: 'Borger 14', notes: 'demens' });
    await resolve('op-aab', id!, 'phone_resolvable', 'hemmelig-note-42');
    // The requests were logged (this test's lines only), so there was something to leak into.
    const lines = fx.te.logs.slice(from);
    expect(lines.filter((l) => l.includes('/v1/alarms/:id')).length).toBeGreaterThanOrEqual(2);
    // Every line so far, this test's and the earlier requests' alike.
    const logs = fx.te.logs.join('');
    expect(logs).not.toContain('hemmelig-note-42');
    expect(logs).not.toContain('Borger 14');
    expect(logs).not.toContain('KS-1014');
    expect(logs).not.toContain('Vej 14');
    expect(logs).not.toContain('+45 20100014');
    expect(logs).not.toContain('demens');
  });
});

describe('an incident is one call', () => {
  /** Alarms of one device in a row: one incident (domain/incidents.ts). */
  const incident = async (i: number, n: number) => {
    const ids: string[] = [];
    for (let k = 0; k < n; k++) ids.push(...(await storeAlarms(fx.te.rt, newAlarm('aabenraa', i))));
    const rows = await fx.te.rt.db.selectFrom('alarms').select('incident_id').where('id', 'in', ids).execute();
    expect(new Set(rows.map((r) => r.incident_id)).size).toBe(1);
    return ids;
  };
  const statusOf = async (ids: string[]) =>
    (await fx.te.rt.db.selectFrom('alarms').selectAll().where('id', 'in', ids).orderBy('received_at').execute()).map(
      (r) => ({ status: r.status, claimedBy: r.claimed_by, outcome: r.outcome }),
    );

  it('claiming one alarm of an incident claims its other open alarms, each announced on the change log', async () => {
    const ids = await incident(300, 3);
    const r = await claim('op-aab', ids[1]!);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ id: ids[1], claimedBy: 'op-aab' });
    expect(await statusOf(ids)).toEqual(ids.map(() => ({ status: 'claimed', claimedBy: 'op-aab', outcome: null })));
    for (const id of ids) expect((await changesOf(id)).at(-1)!.payload).toMatchObject({ status: 'claimed' });
  });

  it('a claim is refused with the holder’s name when another operator holds any open alarm of the incident', async () => {
    const [first] = await incident(301, 1);
    expect((await claim('op-aab', first!)).statusCode).toBe(200);
    // A repeat press after the claim joins the incident, unclaimed.
    const [repeat] = await incident(301, 1);
    const other = await claim('op-both', repeat!);
    expect(other.statusCode).toBe(409);
    expect(other.json().message).toContain('op-aab');
    expect((await resolve('op-both', repeat!, 'false_alarm')).statusCode).toBe(409);
    // The holder takes the repeat with one more claim.
    expect((await claim('op-aab', repeat!)).json()).toMatchObject({ status: 'claimed', claimedBy: 'op-aab' });
  });

  it('one decision resolves the incident’s open alarms with its outcome and note, and requests one dispatch', async () => {
    const ids = await incident(302, 3);
    const r = await resolve('op-aab', ids[2]!, 'dispatch', 'faldet, svarer ikke');
    expect(r.statusCode).toBe(200);
    expect(r.json().dispatch).toMatchObject({ alarmId: ids[2], alarmType: 'pendant', note: 'faldet, svarer ikke' });
    expect(await statusOf(ids)).toEqual(
      ids.map(() => ({ status: 'resolved', claimedBy: 'op-aab', outcome: 'dispatch' })),
    );
    const dispatches = await fx.te.rt.db
      .selectFrom('dispatches')
      .select('alarm_id')
      .where('alarm_id', 'in', ids)
      .execute();
    expect(dispatches).toEqual([{ alarm_id: ids[2] }]);
    // The device's next alarm starts a new incident.
    const [next] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 302));
    const rows = await fx.te.rt.db
      .selectFrom('alarms')
      .select(['id', 'incident_id'])
      .where('id', 'in', [ids[0]!, next!])
      .execute();
    expect(new Set(rows.map((x) => x.incident_id)).size).toBe(2);
  });
});

describe('request bodies', () => {
  it('accepts a claim sent with Content-Type: application/json and no body, and still answers 400 for a resolve without one', async () => {
    const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 200));
    const headers = { ...bearer(fx.tokens['op-aab']), 'content-type': 'application/json' };
    expect((await fx.app.inject({ method: 'POST', url: `/v1/alarms/${id}/claim`, headers })).statusCode).toBe(200);
    const resolve = await fx.app.inject({ method: 'POST', url: `/v1/alarms/${id}/resolve`, headers });
    expect(resolve.statusCode).toBe(400);
    expect(resolve.json()).toMatchObject({ error: 'invalid_request' });
    const broken = await fx.app.inject({
      method: 'POST',
      url: `/v1/alarms/${id}/resolve`,
      headers,
      payload: '{"outcome":',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ error: 'invalid_json' });
  });
});
