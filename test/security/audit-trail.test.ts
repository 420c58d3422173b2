// The audit trail records who did what to whose data, when, from where and with which outcome, refused
// attempts included, without telling a refused caller anything more; administrators query and export it
// in their scope and print a citizen's access history, and reading either is audited too.
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../platform/secrets.js';
import { auditEventView } from '../../domain/audit.js';
import { importRegistry } from '../../services/admin/registry.js';
import { bearer, consoleFixture, login, newAlarm, storeAlarms } from '../console/helpers.js';

const fx = consoleFixture();
const db = () => fx.te.rt.db;
const rowsOf = (where: { alarm?: string; citizen?: string; action?: string; actor?: string | null }) => {
  let q = db().selectFrom('audit_events').selectAll();
  if (where.alarm) q = q.where('alarm_id', '=', where.alarm);
  if (where.citizen) q = q.where('citizen_id', '=', where.citizen);
  if (where.action) q = q.where('action', '=', where.action);
  if (where.actor !== undefined)
    q = where.actor === null ? q.where('actor', 'is', null) : q.where('actor', '=', where.actor);
  return q.orderBy('id').execute();
};
const sessionIdOf = async (token: string) =>
  (await db().selectFrom('sessions').select('id').where('token_hash', '=', sha256(token)).executeTakeFirstOrThrow()).id;

let adminAab = '';

beforeAll(async () => {
  // An administrator of one municipality, for the scope of the audit trail.
  await importRegistry(db(), {
    users: [{ username: 'admin-aab', password: 'pw-admin-aab-123', role: 'admin', municipalities: ['aabenraa'] }],
  });
  const r = await fx.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { username: 'admin-aab', password: 'pw-admin-aab-123' },
  });
  adminAab = r.json().token;
});

describe('what the audit trail records', () => {
  it('a card read: who, role, session, address, request, which citizen, which alarm, allowed', async () => {
    const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 5));
    const r = await fx.get('op-aab', `/v1/alarms/${id}`);
    expect(r.statusCode).toBe(200);
    expect(await rowsOf({ alarm: id! })).toEqual([
      expect.objectContaining({
        actor: 'op-aab',
        actor_role: 'operator',
        session_id: await sessionIdOf(fx.tokens['op-aab']),
        address: '127.0.0.1',
        request_id: expect.stringMatching(/.+/),
        action: 'card.read',
        purpose: 'alarm_handling',
        municipality_id: 'aabenraa',
        citizen_id: 'c-aabenraa-10',
        outcome: 'allowed',
        reason: null,
      }),
    ]);
  });

  it('a read of another municipality’s alarm or citizen: 404 exactly as for none, recorded as refused', async () => {
    const [foreign] = await storeAlarms(fx.te.rt, newAlarm('toender', 2));
    const outside = await fx.get('op-aab', `/v1/alarms/${foreign}`);
    const missing = await fx.get('op-aab', '/v1/alarms/00000000-0000-4000-8000-000000000000');
    expect(outside.statusCode).toBe(404);
    expect(outside.body).toBe(missing.body);
    expect(await rowsOf({ alarm: foreign! })).toEqual([
      expect.objectContaining({
        actor: 'op-aab',
        action: 'card.read',
        citizen_id: 'c-toender-5',
        municipality_id: 'toender',
        outcome: 'refused',
        reason: 'scope',
      }),
    ]);
    const card = await fx.get('op-aab', '/v1/citizens/c-toender-7');
    const none = await fx.get('op-aab', '/v1/citizens/c-nobody');
    expect(card.statusCode).toBe(404);
    expect(card.body.replace('c-toender-7', '')).toBe(none.body.replace('c-nobody', ''));
    expect(await rowsOf({ citizen: 'c-toender-7', actor: 'op-aab' })).toEqual([
      expect.objectContaining({ action: 'card.read', purpose: 'citizen_card', outcome: 'refused', reason: 'scope' }),
    ]);
    expect(await rowsOf({ citizen: 'c-nobody' })).toEqual([
      expect.objectContaining({ outcome: 'refused', reason: 'not_found', municipality_id: null }),
    ]);
  });

  it('a role that may not read cards: 403, recorded as refused (role)', async () => {
    const r = await fx.get('ana-toe', '/v1/citizens/c-toender-9');
    expect(r.statusCode).toBe(403);
    expect(await rowsOf({ citizen: 'c-toender-9' })).toEqual([
      expect.objectContaining({
        actor: 'ana-toe',
        actor_role: 'analyst',
        action: 'card.read',
        outcome: 'refused',
        reason: 'role',
      }),
    ]);
  });

  it('a board’s names: one row per citizen asked for, allowed or refused', async () => {
    const r = await fx.get('op-aab', '/v1/citizens?ids=c-aabenraa-12,c-toender-13,c-none-1');
    expect(r.json().citizens.map((c: { id: string }) => c.id)).toEqual(['c-aabenraa-12']);
    const rows = (await rowsOf({ action: 'card.read.board', actor: 'op-aab' })).filter((x) =>
      ['c-aabenraa-12', 'c-toender-13', 'c-none-1'].includes(x.citizen_id!),
    );
    expect(rows.map((x) => [x.citizen_id, x.outcome, x.reason]).sort()).toEqual([
      ['c-aabenraa-12', 'allowed', null],
      ['c-none-1', 'refused', 'not_found'],
      ['c-toender-13', 'refused', 'scope'],
    ]);
  });

  it('decisions: a claim, a claim refused because another holds it, the decision and its correction', async () => {
    const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 7));
    expect((await fx.post('op-aab', `/v1/alarms/${id}/claim`)).statusCode).toBe(200);
    expect((await fx.post('op-both', `/v1/alarms/${id}/claim`)).statusCode).toBe(409);
    expect(
      (await fx.post('op-aab', `/v1/alarms/${id}/resolve`, { outcome: 'false_alarm', note: 'pressed by mistake' }))
        .statusCode,
    ).toBe(200);
    expect(
      (await fx.post('sup-all', `/v1/alarms/${id}/correct`, { outcome: 'phone_resolvable', note: 'called back' }))
        .statusCode,
    ).toBe(200);
    const rows = await rowsOf({ alarm: id! });
    expect(rows.map((x) => [x.actor, x.action, x.outcome, x.reason, x.citizen_id])).toEqual([
      ['op-aab', 'alarm.claim', 'allowed', null, 'c-aabenraa-14'],
      ['op-both', 'alarm.claim', 'refused', 'conflict', 'c-aabenraa-14'],
      ['op-aab', 'alarm.resolve', 'allowed', null, 'c-aabenraa-14'],
      ['sup-all', 'alarm.correct', 'allowed', null, 'c-aabenraa-14'],
    ]);
    // No free text: the note is nowhere in the trail.
    expect(JSON.stringify(rows)).not.toMatch(/mistake|called back/);
  });

  it('logins: success with its session; a wrong password with the name; an unknown name never stored; throttled; logout', async () => {
    const since = Number((await rowsOf({ actor: 'op-toe' })).at(-1)?.id ?? 0);
    const token = await login(fx.app, 'op-toe');
    const sessionId = await sessionIdOf(token);
    const fail = (username: string, password: string) =>
      fx.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username, password } });
    expect((await fail('op-toe', 'not-the-password')).statusCode).toBe(401);
    // Someone typing their password into the username field.
    expect((await fail('pw-op-toe-123', 'pw-op-toe-123')).statusCode).toBe(401);
    await fx.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(token) });
    const rows = (await rowsOf({ actor: 'op-toe' })).filter((x) => Number(x.id) > since);
    expect(rows.map((x) => [x.action, x.outcome, x.reason])).toEqual([
      ['login.success', 'allowed', null],
      ['login.failure', 'refused', 'bad_password'],
      ['logout', 'allowed', null],
    ]);
    expect(rows[0]!.session_id).toBe(sessionId);
    expect(rows[2]!.session_id).toBe(sessionId);
    const unknown = await rowsOf({ action: 'login.failure', actor: null });
    expect(unknown).toEqual([expect.objectContaining({ reason: 'unknown_user', actor_role: null })]);
    const everything = await db().selectFrom('audit_events').selectAll().execute();
    expect(JSON.stringify(everything)).not.toContain('pw-op-toe-123');

    for (let i = 0; i < 10; i++) {
      const r = await fail('op-both', `wrong-${i}`);
      if (r.statusCode === 429) break;
    }
    expect(await rowsOf({ actor: 'op-both', action: 'login.throttled' })).toEqual([
      expect.objectContaining({ outcome: 'refused', reason: 'throttled', actor_role: 'operator' }),
    ]);
  });

  it('registry imports, allowed and refused', async () => {
    const put = (payload: object) =>
      fx.app.inject({ method: 'PUT', url: '/v1/admin/registry', headers: bearer(fx.tokens.admin), payload });
    expect(
      (await put({ citizens: [{ id: 'c-new-1', municipality: 'aabenraa', name: 'Ny', address: 'Vej 1' }] })).statusCode,
    ).toBe(200);
    expect(
      (await put({ citizens: [{ id: 'c-new-2', municipality: 'nowhere', name: 'Ny', address: 'Vej 2' }] })).statusCode,
    ).toBe(400);
    const rows = await rowsOf({ action: 'registry.import' });
    expect(rows.map((x) => [x.actor, x.outcome, x.reason])).toEqual([
      ['admin', 'allowed', null],
      ['admin', 'refused', 'invalid'],
    ]);
    expect(await rowsOf({ citizen: 'c-new-1' })).toEqual([
      expect.objectContaining({
        actor: 'admin',
        action: 'registry.citizen',
        municipality_id: 'aabenraa',
        outcome: 'allowed',
      }),
    ]);
    expect(await rowsOf({ citizen: 'c-new-2' })).toEqual([]);
  });
});

describe('what the audit trail records, administration', () => {
  it('webhooks registered and removed, and a removal outside the admin’s municipalities refused', async () => {
    const put = await fx.app.inject({
      method: 'PUT',
      url: '/v1/admin/webhooks/toender',
      headers: bearer(fx.tokens.admin),
      payload: { url: 'https://care.example.org/hook', secret: 'a-long-shared-secret-1234567890abcdef' },
    });
    expect(put.statusCode, put.body).toBe(200);
    const foreign = await fx.app.inject({
      method: 'DELETE',
      url: '/v1/admin/webhooks/toender',
      headers: bearer(adminAab),
    });
    expect(foreign.statusCode).toBe(404);
    const del = await fx.app.inject({
      method: 'DELETE',
      url: '/v1/admin/webhooks/toender',
      headers: bearer(fx.tokens.admin),
    });
    expect(del.statusCode).toBe(204);
    const rows = (
      await db()
        .selectFrom('audit_events')
        .selectAll()
        .where('action', 'like', 'admin.webhook.%')
        .orderBy('id')
        .execute()
    ).map((x) => [x.actor, x.action, x.municipality_id, x.outcome, x.reason]);
    expect(rows).toEqual([
      ['admin', 'admin.webhook.set', 'toender', 'allowed', null],
      ['admin-aab', 'admin.webhook.delete', 'toender', 'refused', 'scope'],
      ['admin', 'admin.webhook.delete', 'toender', 'allowed', null],
    ]);
    expect(JSON.stringify(rows)).not.toContain('a-long-shared-secret');
  });

  it('registry changes beside the import: triage settings, gateways’ keys and switch, schedules and consent', async () => {
    const admin = bearer(fx.tokens.admin);
    const call = async (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
      const r = await fx.app.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) });
      expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(300);
      return r.statusCode === 204 ? null : (r.json() as { id: string });
    };
    await call('PUT', '/v1/admin/municipalities/aabenraa/triage', { cancelWindowSeconds: 120 });
    const refused = await fx.app.inject({
      method: 'PUT',
      url: '/v1/admin/municipalities/aabenraa/triage',
      headers: bearer(fx.tokens['op-aab']),
      payload: { cancelWindowSeconds: 60 },
    });
    expect(refused.statusCode).toBe(403);
    const key = await call('POST', '/v1/admin/gateways/gw-aabenraa/keys');
    await call('DELETE', `/v1/admin/gateways/gw-aabenraa/keys/${key!.id}`);
    await call('POST', '/v1/admin/gateways/gw-aabenraa/disable');
    await call('POST', '/v1/admin/gateways/gw-aabenraa/enable');
    const citizen = 'c-aabenraa-0';
    const consent = await call('POST', `/v1/citizens/${citizen}/consents`, { givenBy: 'citizen' });
    const schedule = await call('POST', `/v1/citizens/${citizen}/schedules`, { kind: 'night_check', times: ['02:00'] });
    await call('DELETE', `/v1/schedules/${schedule!.id}`);
    await call('POST', `/v1/consents/${consent!.id}/withdraw`);
    const rows = (
      await db()
        .selectFrom('audit_events')
        .selectAll()
        .where((eb) =>
          eb.or([
            eb('action', 'like', 'admin.gateway.%'),
            eb('action', '=', 'admin.triage_settings'),
            eb('action', 'like', 'schedule.%'),
            eb('action', 'like', 'consent.%'),
          ]),
        )
        .orderBy('id')
        .execute()
    ).map((x) => [x.actor, x.action, x.municipality_id, x.citizen_id, x.outcome, x.reason]);
    expect(rows).toEqual([
      ['admin', 'admin.triage_settings', 'aabenraa', null, 'allowed', null],
      ['op-aab', 'admin.triage_settings', null, null, 'refused', 'role'],
      ['admin', 'admin.gateway.key.create', null, null, 'allowed', null],
      ['admin', 'admin.gateway.key.revoke', null, null, 'allowed', null],
      ['admin', 'admin.gateway.disable', null, null, 'allowed', null],
      ['admin', 'admin.gateway.enable', null, null, 'allowed', null],
      ['admin', 'consent.record', 'aabenraa', citizen, 'allowed', null],
      ['admin', 'schedule.set', 'aabenraa', citizen, 'allowed', null],
      ['admin', 'schedule.delete', 'aabenraa', citizen, 'allowed', null],
      ['admin', 'consent.withdraw', 'aabenraa', citizen, 'allowed', null],
    ]);
  });
});

describe('reading the audit trail', () => {
  it('admins query it with filters, newest first, in pages; the query itself is recorded', async () => {
    const q = (user: string, query: string) =>
      fx.app.inject({
        method: 'GET',
        url: `/v1/admin/audit?${query}`,
        headers: bearer(user === 'admin-aab' ? adminAab : fx.tokens[user as 'admin']),
      });
    const first = await q('admin', 'action=card.read&outcome=refused&limit=2');
    expect(first.statusCode, first.body).toBe(200);
    const page1 = first.json();
    expect(page1.events).toHaveLength(2);
    for (const e of page1.events) {
      expect(auditEventView.parse(e)).toMatchObject({ action: 'card.read', outcome: 'refused' });
    }
    expect(Number(page1.events[0].id)).toBeGreaterThan(Number(page1.events[1].id));
    const page2 = (await q('admin', `action=card.read&outcome=refused&limit=2&before=${page1.next}`)).json();
    expect(page2.events.length).toBeGreaterThan(0);
    expect(Number(page2.events[0].id)).toBeLessThan(Number(page1.events[1].id));
    const all = (await q('admin', 'action=card.read&outcome=refused&limit=1000')).json();
    const ids = (events: { id: string }[]) => events.map((e) => e.id);
    expect(ids(all.events).slice(0, page1.events.length + page2.events.length)).toEqual(
      ids([...page1.events, ...page2.events]),
    );
    expect((await q('admin', 'citizen=c-toender-7')).json().events).toHaveLength(1);
    expect(
      (await q('admin', 'actor=ana-toe')).json().events.every((e: { actor: string }) => e.actor === 'ana-toe'),
    ).toBe(true);
    expect((await q('admin', 'from=2100-01-01T00:00:00Z')).json().events).toEqual([]);
    expect((await q('admin', 'from=0000-01-01T00:00:00Z')).statusCode).toBe(400);
    expect((await q('admin', 'action=card.delete')).statusCode).toBe(400);
    const recorded = await rowsOf({ action: 'audit.query', actor: 'admin' });
    expect(recorded.length).toBeGreaterThanOrEqual(5);
  });

  it('an admin of one municipality sees that municipality’s rows only; other roles are refused and recorded', async () => {
    const r = await fx.app.inject({ method: 'GET', url: '/v1/admin/audit?limit=1000', headers: bearer(adminAab) });
    const events = r.json().events as { municipality: string | null }[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.municipality === 'aabenraa')).toBe(true);
    for (const user of ['op-both', 'sup-all', 'ana-toe'] as const) {
      expect((await fx.get(user, '/v1/admin/audit')).statusCode).toBe(403);
    }
    expect((await rowsOf({ action: 'audit.query', actor: 'sup-all' })).map((x) => x.reason)).toEqual(['role']);
  });

  it('exports CSV, a header row and one row per event, with the next page in a header', async () => {
    const r = await fx.get('admin', '/v1/admin/audit?format=csv&action=alarm.claim&limit=1');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    const lines = r.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'id,at,actor,actorRole,sessionId,address,requestId,action,purpose,municipality,citizenId,alarmId,outcome,reason',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/,alarm\.claim,/);
    expect(r.headers['x-next-before']).toMatch(/^\d+$/);
  });

  it('a citizen’s access history: every access, oldest first, itself included, as JSON and as a PDF', async () => {
    const h = await fx.get('admin', '/v1/admin/citizens/c-aabenraa-14/access-history');
    expect(h.statusCode, h.body).toBe(200);
    const history = h.json();
    expect(history.citizen).toEqual({ id: 'c-aabenraa-14', municipality: 'aabenraa', name: 'Borger 14' });
    expect(history.events.map((e: { actor: string; action: string }) => `${e.actor} ${e.action}`)).toEqual([
      'op-aab alarm.claim',
      'op-both alarm.claim',
      'op-aab alarm.resolve',
      'sup-all alarm.correct',
      'admin audit.access_history',
    ]);
    const pdf = await fx.app.inject({
      method: 'GET',
      url: '/v1/admin/citizens/c-aabenraa-14/access-history?format=pdf',
      headers: bearer(adminAab),
    });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    // Outside the admin's municipality: 404, recorded.
    const foreign = await fx.app.inject({
      method: 'GET',
      url: '/v1/admin/citizens/c-toender-3/access-history',
      headers: bearer(adminAab),
    });
    expect(foreign.statusCode).toBe(404);
    expect(await rowsOf({ citizen: 'c-toender-3', action: 'audit.access_history' })).toEqual([
      expect.objectContaining({ actor: 'admin-aab', outcome: 'refused', reason: 'scope' }),
    ]);
    expect((await fx.get('op-both', '/v1/admin/citizens/c-aabenraa-14/access-history')).statusCode).toBe(403);
  });
});
