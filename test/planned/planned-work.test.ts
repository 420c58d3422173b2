// Planned calls and night checks end to end on real Postgres and Redis: schedules and consent through the
// console's API (scoped, consent enforced), occurrences stored once and raised as alarms at their time,
// results with retries and the dispatch after the last, a device check-in through the real ingest
// settling a planned call, an item left unclaimed past its window escalating, and a worker restarted
// across a due time losing nothing.
//
// Time passes as the escalation tests make it pass: stored timestamps (a due time, a retry's time, a
// window's end) are moved into the past, and the worker's loops compare them with the database clock.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { PLANNED_WORK_SOURCE } from '../../db/planned.js';
import { toAlarmView } from '../../db/views.js';
import type { HttpApp } from '../../platform/http.js';
import { buildConsoleApp } from '../../services/console/app.js';
import { buildIngestApp } from '../../services/ingest/app.js';
import { escalateOverdue } from '../../services/triage/escalation.js';
import { keepPlannedWork, materialiseSchedules } from '../../services/triage/planned-work.js';
import { createTriageWorker } from '../../services/triage/worker.js';
import { bearer, login } from '../console/helpers.js';
import { createTestEnv, eventually, gatewayKey, seedRegistry, testRegistry, type TestEnv } from '../support/env.js';

let te: TestEnv;
let app: HttpApp;
let ingest: HttpApp;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  te = await createTestEnv();
  const reg = testRegistry(40);
  reg.users.push({
    username: 'sup-toe',
    password: 'pw-sup-toe-123',
    role: 'supervisor' as const,
    municipalities: ['toender'],
  } as never);
  await seedRegistry(te, reg);
  const built = await buildConsoleApp(te.rt);
  app = built.app;
  te.onClose(() => built.close());
  const ing = await buildIngestApp(te.rt);
  ingest = ing.app;
  te.onClose(() => ing.app.close());
  for (const u of ['sup-all', 'op-both', 'admin'] as const) tokens[u] = await login(app, u);
  const r = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { username: 'sup-toe', password: 'pw-sup-toe-123' },
  });
  tokens['sup-toe'] = r.json().token as string;
});
afterAll(() => te.close());

const as = (user: string) => bearer(tokens[user]!);
// Citizens of the test registry: c-aabenraa-<even>, c-toender-<odd>; each has device dev-<m>-<i>. The
// check-in tests have citizens of their own (30, 32), so another test's open item cannot take their check-in.
let nextCitizen = 0;
const aabenraaCitizen = () => `c-aabenraa-${(nextCitizen++ % 10) * 2}`;

async function schedule(citizen: string, body: Record<string, unknown>, user = 'sup-all') {
  return app.inject({ method: 'POST', url: `/v1/citizens/${citizen}/schedules`, headers: as(user), payload: body });
}
async function consent(citizen: string, user = 'sup-all') {
  return app.inject({
    method: 'POST',
    url: `/v1/citizens/${citizen}/consents`,
    headers: as(user),
    payload: { givenBy: 'representative', representativeName: 'Datter' },
  });
}
const occurrencesOf = (scheduleId: string) =>
  te.rt.db.selectFrom('care_occurrences').selectAll().where('schedule_id', '=', scheduleId).orderBy('due_at').execute();
const alarm = (id: string) => te.rt.db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const occurrence = (id: string) =>
  te.rt.db.selectFrom('care_occurrences').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const attemptsOf = (occurrenceId: string) =>
  te.rt.db
    .selectFrom('care_attempts')
    .selectAll()
    .where('occurrence_id', '=', occurrenceId)
    .orderBy('attempt')
    .execute();

/** Make an occurrence due now, its window ending `windowLeftSeconds` from now. */
async function makeDue(occurrenceId: string, windowLeftSeconds = 1800) {
  await sql`UPDATE care_occurrences SET due_at = now() - interval '1 second',
              window_ends_at = now() + make_interval(secs => ${windowLeftSeconds}), next_attempt_at = now() - interval '1 second'
            WHERE id = ${occurrenceId}`.execute(te.rt.db);
}

/** A schedule of `kind` for a citizen, materialised, with its first occurrence made due. */
async function dueItem(kind: 'planned_call' | 'night_check', citizen = aabenraaCitizen(), windowLeftSeconds = 1800) {
  if (kind === 'night_check') await consent(citizen);
  const r = await schedule(citizen, { kind, times: ['10:00'] });
  expect(r.statusCode, r.body).toBe(201);
  const scheduleId = r.json().id as string;
  await materialiseSchedules(te.rt);
  const [first] = await occurrencesOf(scheduleId);
  await makeDue(first!.id, windowLeftSeconds);
  return { scheduleId, occurrenceId: first!.id, citizen };
}

/** Raise what is due; the alarm raised for this occurrence (its latest attempt). */
async function raise(occurrenceId: string): Promise<string> {
  await keepPlannedWork(te.rt);
  const attempts = await attemptsOf(occurrenceId);
  return attempts.at(-1)!.alarm_id;
}

const resolve = (id: string, payload: Record<string, unknown>, user = 'op-both') =>
  app.inject({ method: 'POST', url: `/v1/alarms/${id}/resolve`, headers: as(user), payload });

describe('consent to night supervision', () => {
  it('a night check without consent on record is refused 409 with the reason, and nothing is stored', async () => {
    const citizen = 'c-aabenraa-18';
    const r = await schedule(citizen, { kind: 'night_check', times: ['23:00', '02:00', '05:00'] });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ error: 'consent_required' });
    expect(r.json().message).toContain('no consent to night supervision');
    const stored = await te.rt.db.selectFrom('care_schedules').selectAll().where('citizen_id', '=', citizen).execute();
    expect(stored).toEqual([]);
  });

  it('the database refuses a night check without consent, whoever writes it', async () => {
    await expect(
      sql`INSERT INTO care_schedules (id, citizen_id, kind, times, days, window_minutes, active_from, created_by)
          VALUES ('direct', 'c-aabenraa-16', 'night_check', '{23:00}', '{1}', 15, '2026-01-01', 'x')`.execute(te.rt.db),
    ).rejects.toThrow(/no consent on record/);
  });

  it('with consent recorded, night checks are scheduled; withdrawn, they produce nothing more', async () => {
    const citizen = 'c-aabenraa-14';
    const c = await consent(citizen);
    expect(c.statusCode, c.body).toBe(201);
    expect(c.json()).toMatchObject({
      givenBy: 'representative',
      representativeName: 'Datter',
      recordedBy: 'sup-all',
      inForce: true,
    });
    expect((await consent(citizen)).statusCode).toBe(409);
    const s = await schedule(citizen, { kind: 'night_check', times: ['23:00', '02:00', '05:00'] });
    expect(s.statusCode, s.body).toBe(201);
    expect(s.json()).toMatchObject({ kind: 'night_check', windowMinutes: 15, days: [1, 2, 3, 4, 5, 6, 7] });
    await materialiseSchedules(te.rt);
    const before = await occurrencesOf(s.json().id);
    // 36 hours ahead: four or five of three a night.
    expect(before.length).toBeGreaterThanOrEqual(4);

    const w = await app.inject({ method: 'POST', url: `/v1/consents/${c.json().id}/withdraw`, headers: as('sup-all') });
    expect(w.statusCode, w.body).toBe(200);
    expect(w.json()).toMatchObject({ inForce: false, withdrawnBy: 'sup-all' });
    expect(await occurrencesOf(s.json().id)).toEqual([]);
    await materialiseSchedules(te.rt);
    expect(await occurrencesOf(s.json().id)).toEqual([]);
    // Changing the schedule without consent is refused too.
    const put = await app.inject({
      method: 'PUT',
      url: `/v1/schedules/${s.json().id}`,
      headers: as('sup-all'),
      payload: { kind: 'night_check', times: ['23:30'] },
    });
    expect(put.statusCode).toBe(409);
  });

  it('withdrawn through the API: a night check due and not yet raised, and a retry, are cancelled; the record stays', async () => {
    const citizen = 'c-aabenraa-24';
    const c = await consent(citizen);
    expect(c.statusCode, c.body).toBe(201);
    const s = await schedule(citizen, { kind: 'night_check', times: ['23:00', '02:00', '05:00'] });
    expect(s.statusCode, s.body).toBe(201);
    await materialiseSchedules(te.rt);
    const [first, second] = await occurrencesOf(s.json().id);
    // The first: raised, not seen, its retry planned. The second: due, not raised yet.
    await makeDue(first!.id);
    const item = await raise(first!.id);
    expect((await resolve(item, { outcome: 'not_seen' })).statusCode).toBe(200);
    expect((await occurrence(first!.id)).status).toBe('pending');
    await makeDue(second!.id);

    const w = await app.inject({ method: 'POST', url: `/v1/consents/${c.json().id}/withdraw`, headers: as('sup-all') });
    expect(w.statusCode, w.body).toBe(200);
    await sql`UPDATE care_occurrences SET next_attempt_at = now() - interval '1 second' WHERE id = ${first!.id}`.execute(
      te.rt.db,
    );
    await keepPlannedWork(te.rt);
    // No look without consent: neither is raised, neither sends the night patrol.
    expect(await occurrence(first!.id)).toMatchObject({ status: 'cancelled', attempts: 1, dispatched: false });
    expect(await occurrence(second!.id)).toMatchObject({ status: 'cancelled', attempts: 0 });
    expect(await attemptsOf(first!.id)).toHaveLength(1);
    expect(await attemptsOf(second!.id)).toEqual([]);
    // Nothing more is made; the schedule stays, and so does the record of who consented and who withdrew.
    await materialiseSchedules(te.rt);
    expect((await occurrencesOf(s.json().id)).filter((o) => o.status !== 'cancelled')).toEqual([]);
    const listed = await app.inject({
      method: 'GET',
      url: `/v1/citizens/${citizen}/schedules`,
      headers: as('sup-all'),
    });
    expect(listed.json().schedules).toMatchObject([{ id: s.json().id, kind: 'night_check' }]);
    expect(listed.json().consents).toMatchObject([
      {
        id: c.json().id,
        givenBy: 'representative',
        representativeName: 'Datter',
        givenAt: c.json().givenAt,
        recordedBy: 'sup-all',
        recordedAt: c.json().recordedAt,
        withdrawnBy: 'sup-all',
        inForce: false,
      },
    ]);
    expect(Date.parse(listed.json().consents[0].withdrawnAt)).toBeGreaterThanOrEqual(Date.parse(c.json().recordedAt));
  });

  it('withdrawn through the registry import: night checks stop, the record stays, and given again they start from then', async () => {
    const citizen = 'c-aabenraa-26';
    const put = (payload: Record<string, unknown>) =>
      app.inject({ method: 'PUT', url: '/v1/admin/registry', headers: as('admin'), payload });
    const given = await put({
      consents: [
        { citizenId: citizen, givenBy: 'representative', representativeName: 'Søn', givenAt: '2026-01-05T10:00:00Z' },
      ],
      schedules: [{ id: 'imp-nc-9', citizenId: citizen, kind: 'night_check', times: ['23:00', '02:00', '05:00'] }],
    });
    expect(given.statusCode, given.body).toBe(200);
    expect(given.json().consents).toEqual({ created: 1, updated: 0, withdrawn: 0 });
    await materialiseSchedules(te.rt);
    const stored = await occurrencesOf('imp-nc-9');
    expect(stored.length).toBeGreaterThanOrEqual(4);
    // One is due and not raised yet when consent is withdrawn.
    await makeDue(stored[0]!.id);

    // A withdrawal names the citizen and nothing else; anything else is refused, changing nothing.
    for (const row of [{ citizenId: citizen, withdrawn: true, givenBy: 'citizen' }, { citizenId: citizen }]) {
      const bad = await put({ consents: [row] });
      expect(bad.statusCode, JSON.stringify(row)).toBe(400);
      expect(bad.json().message).toMatch(/consents\.0/);
    }
    expect((await occurrencesOf('imp-nc-9')).length).toBe(stored.length);

    const withdrawn = await put({ consents: [{ citizenId: citizen, withdrawn: true }] });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect(withdrawn.json().consents).toEqual({ created: 0, updated: 0, withdrawn: 1 });
    // Again: nothing in force, nothing withdrawn.
    expect((await put({ consents: [{ citizenId: citizen, withdrawn: true }] })).json().consents.withdrawn).toBe(0);
    // What was stored ahead is gone; the due one is cancelled when it comes up, not raised.
    expect((await occurrencesOf('imp-nc-9')).map((o) => o.id)).toEqual([stored[0]!.id]);
    await keepPlannedWork(te.rt);
    expect(await occurrence(stored[0]!.id)).toMatchObject({ status: 'cancelled', attempts: 0 });
    await materialiseSchedules(te.rt);
    expect((await occurrencesOf('imp-nc-9')).map((o) => o.id)).toEqual([stored[0]!.id]);
    // A night check cannot be scheduled for the citizen now.
    const refused = await put({
      schedules: [{ id: 'imp-nc-9b', citizenId: citizen, kind: 'night_check', times: ['23:00'] }],
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toContain(`${citizen} has no consent`);

    // The record: who consented and when, who recorded it, who withdrew it and when; in the access history.
    const listed = await app.inject({
      method: 'GET',
      url: `/v1/citizens/${citizen}/schedules`,
      headers: as('sup-all'),
    });
    expect(listed.json().consents).toMatchObject([
      {
        givenBy: 'representative',
        representativeName: 'Søn',
        givenAt: '2026-01-05T10:00:00.000Z',
        recordedBy: 'registry import',
        withdrawnBy: 'registry import',
        inForce: false,
      },
    ]);
    expect(listed.json().consents[0].withdrawnAt).not.toBeNull();
    const audited = await te.rt.db
      .selectFrom('audit_events')
      .select(['actor', 'action', 'municipality_id'])
      .where('citizen_id', '=', citizen)
      .where('action', 'in', ['consent.record', 'consent.withdraw'])
      .orderBy('at')
      .execute();
    expect(audited).toEqual([
      { actor: 'admin', action: 'consent.record', municipality_id: 'aabenraa' },
      { actor: 'admin', action: 'consent.withdraw', municipality_id: 'aabenraa' },
    ]);

    // Given again: a second record; the schedule produces from now on, nothing from while there was none.
    const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(te.rt.db);
    expect((await put({ consents: [{ citizenId: citizen, givenBy: 'citizen' }] })).json().consents.created).toBe(1);
    await materialiseSchedules(te.rt);
    const again = (await occurrencesOf('imp-nc-9')).filter((o) => o.status === 'pending');
    expect(again.length).toBeGreaterThanOrEqual(4);
    for (const o of again) expect(o.due_at.getTime()).toBeGreaterThan(rows[0]!.now.getTime());
    const records = await app.inject({
      method: 'GET',
      url: `/v1/citizens/${citizen}/schedules`,
      headers: as('sup-all'),
    });
    expect(records.json().consents.map((c: { inForce: boolean }) => c.inForce)).toEqual([true, false]);
  });

  it('a representative must be named, and only with givenBy representative', async () => {
    for (const payload of [{ givenBy: 'representative' }, { givenBy: 'citizen', representativeName: 'X' }]) {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/citizens/c-aabenraa-12/consents',
        headers: as('sup-all'),
        payload,
      });
      expect(r.statusCode).toBe(400);
    }
  });
});

describe('schedules', () => {
  it('refuse bad times, days, dates and windows with 400, storing nothing', async () => {
    for (const body of [
      { kind: 'planned_call', times: ['24:00'] },
      { kind: 'planned_call', times: ['10:00', '10:00'] },
      { kind: 'planned_call', times: ['10:00'], days: [0] },
      { kind: 'planned_call', times: ['10:00'], activeFrom: '2026-02-30' },
      { kind: 'planned_call', times: ['10:00'], activeFrom: '2026-03-02', activeTo: '2026-03-01' },
      { kind: 'planned_call', times: ['10:00'], windowMinutes: 0 },
      { kind: 'planned_call', times: ['10:00'], note: 'a\u0000b' },
      { kind: 'pendant', times: ['10:00'] },
    ]) {
      const r = await schedule('c-aabenraa-10', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect(await te.rt.db.selectFrom('care_schedules').where('citizen_id', '=', 'c-aabenraa-10').execute()).toEqual([]);
  });

  it('are managed within the supervisor’s municipalities: another municipality’s citizen or schedule is 404', async () => {
    const mine = await schedule('c-toender-1', { kind: 'planned_call', times: ['09:00'] }, 'sup-toe');
    expect(mine.statusCode, mine.body).toBe(201);
    const theirs = await schedule('c-aabenraa-8', { kind: 'planned_call', times: ['09:00'] }, 'sup-all');
    expect(theirs.statusCode).toBe(201);
    const id = theirs.json().id as string;

    expect((await schedule('c-aabenraa-8', { kind: 'planned_call', times: ['09:00'] }, 'sup-toe')).statusCode).toBe(
      404,
    );
    expect((await consent('c-aabenraa-8', 'sup-toe')).statusCode).toBe(404);
    // Another municipality's consent cannot be withdrawn (404), and stays in force.
    const theirConsent = await consent('c-aabenraa-8');
    expect(theirConsent.statusCode, theirConsent.body).toBe(201);
    const withdraw = await app.inject({
      method: 'POST',
      url: `/v1/consents/${theirConsent.json().id}/withdraw`,
      headers: as('sup-toe'),
    });
    expect(withdraw.statusCode).toBe(404);
    const kept = await app.inject({
      method: 'GET',
      url: '/v1/citizens/c-aabenraa-8/schedules',
      headers: as('sup-all'),
    });
    expect(kept.json().consents).toMatchObject([{ id: theirConsent.json().id, inForce: true }]);
    // Nor listed by naming the citizen: the list is of the supervisor's municipalities only.
    const named = (user: string) =>
      app.inject({ method: 'GET', url: '/v1/schedules?citizen=c-aabenraa-8', headers: as(user) });
    expect((await named('sup-toe')).statusCode).toBe(200);
    expect((await named('sup-toe')).json().schedules).toEqual([]);
    expect((await named('sup-all')).json().schedules).toMatchObject([{ id, citizenId: 'c-aabenraa-8' }]);
    const reads = [
      { method: 'GET' as const, url: '/v1/citizens/c-aabenraa-8/schedules' },
      { method: 'PUT' as const, url: `/v1/schedules/${id}`, payload: { kind: 'planned_call', times: ['11:00'] } },
      { method: 'DELETE' as const, url: `/v1/schedules/${id}` },
    ];
    for (const r of reads) expect((await app.inject({ ...r, headers: as('sup-toe') })).statusCode, r.url).toBe(404);
    const list = await app.inject({ method: 'GET', url: '/v1/schedules', headers: as('sup-toe') });
    expect(list.json().schedules.map((s: { municipality: string }) => s.municipality)).toEqual(['toender']);
    const filtered = await app.inject({
      method: 'GET',
      url: '/v1/schedules?municipality=aabenraa',
      headers: as('sup-toe'),
    });
    expect(filtered.json().schedules).toEqual([]);
    // Operators do not manage schedules.
    expect((await app.inject({ method: 'GET', url: '/v1/schedules', headers: as('op-both') })).statusCode).toBe(403);
    // Still there, unchanged, for the supervisor whose it is.
    const own = await app.inject({ method: 'GET', url: '/v1/citizens/c-aabenraa-8/schedules', headers: as('sup-all') });
    expect(own.json().schedules).toMatchObject([{ id, times: ['09:00'] }]);
  });

  it('changed, drop the occurrences not yet due and make them again; deleted, produce nothing more', async () => {
    const r = await schedule('c-aabenraa-6', { kind: 'planned_call', times: ['10:00'] });
    const id = r.json().id as string;
    await materialiseSchedules(te.rt);
    const times = async () =>
      (await occurrencesOf(id)).map((o) =>
        new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Copenhagen', hour: '2-digit', minute: '2-digit' }).format(
          o.due_at,
        ),
      );
    expect(new Set(await times())).toEqual(new Set(['10:00']));
    const put = await app.inject({
      method: 'PUT',
      url: `/v1/schedules/${id}`,
      headers: as('sup-all'),
      payload: { kind: 'planned_call', times: ['11:15'], windowMinutes: 20 },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ times: ['11:15'], windowMinutes: 20 });
    await materialiseSchedules(te.rt);
    expect(new Set(await times())).toEqual(new Set(['11:15']));
    const del = await app.inject({ method: 'DELETE', url: `/v1/schedules/${id}`, headers: as('sup-all') });
    expect(del.statusCode).toBe(204);
    await materialiseSchedules(te.rt);
    expect(await occurrencesOf(id)).toEqual([]);
  });

  it('come in through the registry import, with consent, and a night check without it is refused', async () => {
    const ok = await app.inject({
      method: 'PUT',
      url: '/v1/admin/registry',
      headers: as('admin'),
      payload: {
        consents: [{ citizenId: 'c-toender-3', givenBy: 'citizen' }],
        schedules: [
          { id: 'imp-1', citizenId: 'c-toender-3', kind: 'night_check', times: ['23:00', '05:00'] },
          { id: 'imp-2', citizenId: 'c-toender-3', kind: 'planned_call', times: ['10:00'], days: [1, 3, 5] },
        ],
      },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ consents: { created: 1 }, schedules: { created: 2, updated: 0 } });
    const refused = await app.inject({
      method: 'PUT',
      url: '/v1/admin/registry',
      headers: as('admin'),
      payload: { schedules: [{ id: 'imp-3', citizenId: 'c-toender-5', kind: 'night_check', times: ['23:00'] }] },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toContain('c-toender-5 has no consent');
  });
});

describe('due items', () => {
  it('are raised once at their time as alarms of their type, with the window’s end as their deadline', async () => {
    const { occurrenceId, citizen } = await dueItem('planned_call');
    const pass = await keepPlannedWork(te.rt);
    const raised = pass.raised.filter((a) => a.details.occurrenceId === occurrenceId);
    expect(raised).toHaveLength(1);
    const a = raised[0]!;
    expect(a).toMatchObject({ type: 'planned_call', citizen_id: citizen, gateway_id: PLANNED_WORK_SOURCE });
    const o = await occurrence(occurrenceId);
    expect(o.status).toBe('raised');
    expect(new Date(a.answer_by!).getTime()).toBe(new Date(o.window_ends_at).getTime());
    expect(new Date(a.occurred_at).getTime()).toBe(new Date(o.due_at).getTime());
    expect(toAlarmView(a)).toMatchObject({ answerBy: new Date(o.window_ends_at).toISOString(), result: null });
    // On the change log, as any alarm.
    const changes = await te.rt.db.selectFrom('changes').select('entity_id').where('entity_id', '=', a.id).execute();
    expect(changes).toHaveLength(1);
    // Raised once, however often the loop runs.
    await keepPlannedWork(te.rt);
    expect(await attemptsOf(occurrenceId)).toHaveLength(1);
    // Materialising again stores no second occurrence for the same time.
    await materialiseSchedules(te.rt);
    expect((await occurrencesOf(o.schedule_id)).filter((x) => x.due_at.getTime() === o.due_at.getTime())).toHaveLength(
      1,
    );
  });

  it('refuse a result that does not fit their type, and an alarm refuses them all, changing nothing', async () => {
    const { occurrenceId } = await dueItem('planned_call');
    const id = await raise(occurrenceId);
    const wrong = await resolve(id, { outcome: 'seen_calm' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().message).toContain('seen_calm does not fit a planned_call');
    const followUp = await resolve(id, { outcome: 'reached_well', followUp: 'phone' });
    expect(followUp.statusCode).toBe(400);
    expect((await alarm(id)).status).not.toBe('resolved');
    const pendant = (
      await ingest.inject({
        method: 'POST',
        url: '/v1/alarms',
        headers: { authorization: `Bearer ${gatewayKey('aabenraa')}` },
        payload: {
          eventId: 'p-fit-1',
          deviceId: 'dev-aabenraa-0',
          type: 'pendant',
          occurredAt: new Date().toISOString(),
        },
      })
    ).json().alarmId as string;
    const p = await resolve(pendant, { outcome: 'reached_well' });
    expect(p.statusCode).toBe(400);
    // The three outcomes keep working on a due item, with their meaning.
    const ok = await resolve(id, { outcome: 'phone_resolvable' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await occurrence(occurrenceId)).toMatchObject({ status: 'done', result: null, dispatched: false });
  });

  it('not reached: a retry after the municipality’s delay in the same incident, then a dispatch after the last', async () => {
    const { occurrenceId } = await dueItem('planned_call');
    const first = await raise(occurrenceId);
    await app.inject({ method: 'POST', url: `/v1/alarms/${first}/claim`, headers: as('op-both') });
    const r1 = await resolve(first, { outcome: 'not_reached' });
    expect(r1.statusCode, r1.body).toBe(200);
    expect(r1.json()).toMatchObject({ outcome: 'phone_resolvable', result: 'not_reached' });
    expect(r1.json().dispatch).toBeUndefined();
    const o1 = await occurrence(occurrenceId);
    expect(o1.status).toBe('pending');
    const { rows } = await sql<{ wait: number }>`
      SELECT extract(epoch FROM ${o1.next_attempt_at} - now())::float AS wait`.execute(te.rt.db);
    // Ten minutes (the default), less the moment since.
    expect(rows[0]!.wait).toBeGreaterThan(595);
    expect(rows[0]!.wait).toBeLessThanOrEqual(600);
    // Not before its time.
    await keepPlannedWork(te.rt);
    expect(await attemptsOf(occurrenceId)).toHaveLength(1);
    await sql`UPDATE care_occurrences SET next_attempt_at = now() - interval '1 second' WHERE id = ${occurrenceId}`.execute(
      te.rt.db,
    );
    const second = await raise(occurrenceId);
    expect(second).not.toBe(first);
    const [a1, a2] = [await alarm(first), await alarm(second)];
    expect(a2.incident_id).toBe(a1.incident_id);
    expect(a2.details).toMatchObject({ attempt: 2 });
    const r2 = await resolve(second, { outcome: 'not_reached' });
    expect(r2.statusCode, r2.body).toBe(200);
    expect(r2.json()).toMatchObject({ outcome: 'dispatch', result: 'not_reached' });
    expect(r2.json().dispatch).toMatchObject({ status: 'requested', alarmType: 'planned_call' });
    expect(r2.json().dispatch.note).toContain('Not reached at 2 planned calls');
    expect(await occurrence(occurrenceId)).toMatchObject({ status: 'missed', dispatched: true, attempts: 2 });
  });

  it('a retry of a citizen not reached goes on after the schedule is deleted', async () => {
    const { occurrenceId, scheduleId } = await dueItem('planned_call');
    const first = await raise(occurrenceId);
    await resolve(first, { outcome: 'not_reached' });
    const del = await app.inject({ method: 'DELETE', url: `/v1/schedules/${scheduleId}`, headers: as('sup-all') });
    expect(del.statusCode).toBe(204);
    await sql`UPDATE care_occurrences SET next_attempt_at = now() WHERE id = ${occurrenceId}`.execute(te.rt.db);
    const second = await raise(occurrenceId);
    expect(second).not.toBe(first);
    expect((await occurrence(occurrenceId)).status).toBe('raised');
  });

  it('night check not seen: retry after 15 minutes, then the night patrol; seen needing help: a phone follow-up if asked', async () => {
    const { occurrenceId } = await dueItem('night_check');
    const first = await raise(occurrenceId);
    expect((await alarm(first)).type).toBe('night_check');
    await app.inject({ method: 'POST', url: `/v1/alarms/${first}/claim`, headers: as('op-both') });
    expect((await resolve(first, { outcome: 'not_seen' })).statusCode).toBe(200);
    const { rows } = await sql<{ wait: number }>`
      SELECT extract(epoch FROM next_attempt_at - now())::float AS wait FROM care_occurrences WHERE id = ${occurrenceId}`.execute(
      te.rt.db,
    );
    expect(rows[0]!.wait).toBeGreaterThan(895);
    await sql`UPDATE care_occurrences SET next_attempt_at = now() WHERE id = ${occurrenceId}`.execute(te.rt.db);
    const second = await raise(occurrenceId);
    const r = await resolve(second, { outcome: 'not_seen' });
    expect(r.json().dispatch.note).toContain('Night patrol: not seen at 2 night checks');
    // Who looked, when and for how long, and the result: on the alarm rows, nothing else.
    const a = await alarm(first);
    expect(a.claimed_by).toBe('op-both');
    expect(a.claimed_at).not.toBeNull();
    expect(a.resolved_at).not.toBeNull();
    expect(a.result).toBe('not_seen');

    const other = await dueItem('night_check', 'c-aabenraa-4');
    const item = await raise(other.occurrenceId);
    const help = await resolve(item, { outcome: 'seen_needs_help', followUp: 'phone' });
    expect(help.json()).toMatchObject({ outcome: 'phone_resolvable', result: 'seen_needs_help' });
    expect(help.json().dispatch).toBeUndefined();
    expect(await occurrence(other.occurrenceId)).toMatchObject({ status: 'done', dispatched: false });
  });

  it('reached but needing help: a dispatch by default', async () => {
    const { occurrenceId } = await dueItem('planned_call');
    const id = await raise(occurrenceId);
    const r = await resolve(id, { outcome: 'reached_needs_help', note: 'faldet, ikke slået' });
    expect(r.json()).toMatchObject({ outcome: 'dispatch', result: 'reached_needs_help' });
    expect(r.json().dispatch).toMatchObject({ note: 'faldet, ikke slået' });
    expect(await occurrence(occurrenceId)).toMatchObject({ status: 'done', dispatched: true, settled_by: 'operator' });
  });

  it('left unclaimed past its window escalates as unanswered, not at the answer target after receipt', async () => {
    const { occurrenceId } = await dueItem('planned_call');
    const id = await raise(occurrenceId);
    // Two minutes since receipt, past Aabenraa's 60-second answer target, but inside the window.
    await sql`UPDATE alarms SET received_at = received_at - interval '2 minutes' WHERE id = ${id}`.execute(te.rt.db);
    expect((await escalateOverdue(te.rt)).map((e) => e.id)).not.toContain(id);
    await sql`UPDATE alarms SET answer_by = now() - interval '1 second' WHERE id = ${id}`.execute(te.rt.db);
    const escalated = (await escalateOverdue(te.rt)).filter((e) => e.id === id);
    expect(escalated).toMatchObject([{ reason: 'unanswered' }]);
    expect(await alarm(id)).toMatchObject({ escalated: true, escalation_reason: 'unanswered' });
  });
});

describe('with a controllable clock', () => {
  const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);
  // Postgres keeps microseconds, a Date milliseconds: "at" a stored time is within the millisecond after it.
  const atTime = (d: Date) => plus(d, 1);
  it('raised at its time and not before, retried after the delay, escalated at its window’s end and not before', async () => {
    const { occurrenceId } = await dueItem('planned_call');
    const o = await occurrence(occurrenceId);
    // A second before it is due, nothing; at its time, the first attempt.
    await keepPlannedWork(te.rt, { at: plus(o.next_attempt_at!, -1000) });
    expect(await attemptsOf(occurrenceId)).toHaveLength(0);
    await keepPlannedWork(te.rt, { at: atTime(o.next_attempt_at!) });
    const [a1] = await attemptsOf(occurrenceId);
    expect(a1).toMatchObject({ attempt: 1 });
    const first = a1!.alarm_id;
    // Its deadline is its window's end: a second before, nothing escalates; at it, the item does.
    const deadline = (await alarm(first)).answer_by!;
    expect(deadline.getTime()).toBe(o.window_ends_at.getTime());
    expect((await escalateOverdue(te.rt, undefined, { at: plus(deadline, -1000) })).map((e) => e.id)).not.toContain(
      first,
    );
    // Claimed and not reached: the retry waits the municipality's delay (10 minutes by default) from then.
    expect(
      (await app.inject({ method: 'POST', url: `/v1/alarms/${first}/claim`, headers: as('op-both') })).statusCode,
    ).toBe(200);
    expect((await resolve(first, { outcome: 'not_reached' })).statusCode).toBe(200);
    const retryAt = (await occurrence(occurrenceId)).next_attempt_at!;
    const decidedAt = (await alarm(first)).resolved_at!;
    expect(retryAt.getTime() - decidedAt.getTime()).toBeGreaterThanOrEqual(10 * 60_000 - 1000);
    expect(retryAt.getTime() - decidedAt.getTime()).toBeLessThanOrEqual(10 * 60_000);
    await keepPlannedWork(te.rt, { at: plus(retryAt, -1000) });
    expect(await attemptsOf(occurrenceId)).toHaveLength(1);
    await keepPlannedWork(te.rt, { at: atTime(retryAt) });
    const attempts = await attemptsOf(occurrenceId);
    expect(attempts).toHaveLength(2);
    const second = attempts[1]!.alarm_id;
    const retry = await alarm(second);
    expect(retry).toMatchObject({ incident_id: (await alarm(first)).incident_id, details: { attempt: 2 } });
    // The retry's own window is as long as the first's, from its time; left unclaimed, it escalates then.
    const windowMs = o.window_ends_at.getTime() - o.due_at.getTime();
    expect(Math.abs(retry.answer_by!.getTime() - (retryAt.getTime() + windowMs))).toBeLessThanOrEqual(1);
    expect(
      (await escalateOverdue(te.rt, undefined, { at: plus(retry.answer_by!, -1000) })).map((e) => e.id),
    ).not.toContain(second);
    const escalated = (await escalateOverdue(te.rt, undefined, { at: retry.answer_by! })).filter(
      (e) => e.id === second,
    );
    expect(escalated).toMatchObject([{ reason: 'unanswered', dueAt: retry.answer_by }]);
    // Not reached again: the last attempt, a dispatch.
    const last = await resolve(second, { outcome: 'not_reached' });
    expect(last.json()).toMatchObject({ outcome: 'dispatch', result: 'not_reached' });
    expect(await occurrence(occurrenceId)).toMatchObject({ status: 'missed', dispatched: true, attempts: 2 });
  });
});

describe('a device check-in', () => {
  const checkIn = (eventId: string, deviceId: string, occurredAt: Date) =>
    ingest.inject({
      method: 'POST',
      url: '/v1/alarms',
      headers: { authorization: `Bearer ${gatewayKey('aabenraa')}` },
      payload: { eventId, deviceId, type: 'planned_call', occurredAt: occurredAt.toISOString() },
    });

  it('inside the window settles the planned call by itself, recorded as settled by check-in', async () => {
    const { occurrenceId, citizen } = await dueItem('planned_call', 'c-aabenraa-30');
    const item = await raise(occurrenceId);
    const device = citizen.replace('c-', 'dev-');
    const r = await checkIn('ci-inside-1', device, new Date());
    expect(r.statusCode, r.body).toBe(202);
    const ci = r.json().alarmId as string;
    const pass = await keepPlannedWork(te.rt);
    expect(pass.settled.map((a) => a.id).sort()).toEqual([item, ci].sort());
    expect(await alarm(item)).toMatchObject({
      status: 'resolved',
      outcome: 'phone_resolvable',
      result: 'checked_in',
      resolved_by: 'device check-in',
    });
    expect((await alarm(ci)).status).toBe('resolved');
    expect(await occurrence(occurrenceId)).toMatchObject({
      status: 'done',
      result: 'checked_in',
      settled_by: 'check_in',
      check_in_alarm_id: ci,
    });
    // In the item's history: its change with the check-in's result.
    const last = await te.rt.db
      .selectFrom('changes')
      .select('payload')
      .where('entity_id', '=', item)
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(last.payload).toMatchObject({ status: 'resolved', result: 'checked_in' });
  });

  it('outside the window is just an event: the planned call stays for an operator', async () => {
    const { occurrenceId, citizen } = await dueItem('planned_call', 'c-aabenraa-32');
    const item = await raise(occurrenceId);
    const o = await occurrence(occurrenceId);
    const r = await checkIn('ci-before-1', citizen.replace('c-', 'dev-'), new Date(o.due_at.getTime() - 60_000));
    expect(r.statusCode).toBe(202);
    const pass = await keepPlannedWork(te.rt);
    expect(pass.settled.map((a) => a.id)).not.toContain(item);
    expect((await alarm(item)).status).not.toBe('resolved');
    expect((await alarm(r.json().alarmId)).status).not.toBe('resolved');
    expect((await occurrence(occurrenceId)).status).toBe('raised');
  });
});

describe('statistics', () => {
  it('count each month’s planned calls done on time, late, missed, open and dispatched, in JSON and CSV', async () => {
    const claim = (id: string) => app.inject({ method: 'POST', url: `/v1/alarms/${id}/claim`, headers: as('op-both') });
    // On time: claimed within the window, reached.
    const onTime = await dueItem('planned_call', 'c-toender-11');
    const a = await raise(onTime.occurrenceId);
    await claim(a);
    await resolve(a, { outcome: 'reached_well' });
    // Late: its window ended before the claim.
    const late = await dueItem('planned_call', 'c-toender-13');
    const b = await raise(late.occurrenceId);
    await sql`UPDATE care_occurrences SET window_ends_at = due_at + interval '1 millisecond' WHERE id = ${late.occurrenceId}`.execute(
      te.rt.db,
    );
    await claim(b);
    await resolve(b, { outcome: 'reached_well' });
    // Missed: not reached twice, then a dispatch.
    const missed = await dueItem('planned_call', 'c-toender-15');
    const c1 = await raise(missed.occurrenceId);
    await resolve(c1, { outcome: 'not_reached' });
    await sql`UPDATE care_occurrences SET next_attempt_at = now() WHERE id = ${missed.occurrenceId}`.execute(te.rt.db);
    await resolve(await raise(missed.occurrenceId), { outcome: 'not_reached' });
    // Open: raised, nobody has it yet.
    const open = await dueItem('planned_call', 'c-toender-17');
    await raise(open.occurrenceId);

    const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Copenhagen', year: 'numeric', month: '2-digit' })
      .format(new Date())
      .slice(0, 7);
    const analyst = await login(app, 'ana-toe');
    const r = await app.inject({
      method: 'GET',
      url: `/v1/stats/monthly?municipality=toender&from=${month}&to=${month}`,
      headers: bearer(analyst),
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().months[0].plannedWork).toEqual({
      planned_call: { total: 4, onTime: 1, late: 1, missed: 1, open: 1, dispatched: 1 },
      night_check: { total: 0, onTime: 0, late: 0, missed: 0, open: 0, dispatched: 0 },
    });
    const csv = await app.inject({
      method: 'GET',
      url: `/v1/stats/monthly?municipality=toender&from=${month}&to=${month}&format=csv`,
      headers: bearer(analyst),
    });
    const [header, row] = csv.body
      .trim()
      .split('\r\n')
      .map((l) => l.split(','));
    const at = (name: string) => row![header!.indexOf(name)];
    expect(at('plannedWork.planned_call.onTime')).toBe('1');
    expect(at('plannedWork.planned_call.missed')).toBe('1');
    expect(at('plannedWork.planned_call.dispatched')).toBe('1');
    expect(at('plannedWork.night_check.total')).toBe('0');
  });
});

describe('a worker restarted across a due time', () => {
  it('raises the item that fell due while it was down, escalates it when its window passes, and a retry likewise', async () => {
    const citizen = 'c-toender-7';
    const r = await schedule(citizen, { kind: 'planned_call', times: ['12:00'] });
    const scheduleId = r.json().id as string;
    const start = () => {
      const w = createTriageWorker(te.runtime(), {
        lanes: [],
        reconcileEveryMs: 600_000,
        superviseEveryMs: 600_000,
        statisticsEveryMs: 600_000,
        escalateEveryMs: 50,
        plannedEveryMs: 50,
        materialiseEveryMs: 600_000,
      });
      onTestFinished(() => w.close());
      return w;
    };
    // The first worker stores the occurrences ahead, then stops before the due time.
    const first = start();
    await new Promise<void>((ok) => first.events.once('materialised', () => ok()));
    await first.close();
    const [o] = await occurrencesOf(scheduleId);
    expect(o!.status).toBe('pending');
    // The due time passes while no worker runs.
    await makeDue(o!.id, 1800);

    const second = start();
    const raised = await eventually(
      async () => (await attemptsOf(o!.id))[0],
      10_000,
      'the due item raised by the restarted worker',
    );
    const item = raised.alarm_id;
    expect((await alarm(item)).type).toBe('planned_call');
    // Its window ends unclaimed: the restarted worker's escalation loop takes it.
    const escalatedOnce = new Promise<void>((ok) =>
      second.events.on('escalations', (es) => es.some((e) => e.id === item) && ok()),
    );
    await sql`UPDATE alarms SET answer_by = now() - interval '1 second' WHERE id = ${item}`.execute(te.rt.db);
    await escalatedOnce;
    expect(await alarm(item)).toMatchObject({ escalated: true, escalation_reason: 'unanswered' });
    expect(await attemptsOf(o!.id)).toHaveLength(1);

    // Not reached: the retry is planned, and the worker stops before its time.
    await app.inject({ method: 'POST', url: `/v1/alarms/${item}/claim`, headers: as('op-both') });
    expect((await resolve(item, { outcome: 'not_reached' })).statusCode).toBe(200);
    await second.close();
    expect(await occurrence(o!.id)).toMatchObject({ status: 'pending', attempts: 1 });
    await sql`UPDATE care_occurrences SET next_attempt_at = now() - interval '1 second' WHERE id = ${o!.id}`.execute(
      te.rt.db,
    );
    // The retry's time passes while no worker runs; the next worker raises it, once, in the same incident.
    start();
    const retry = await eventually(
      async () => (await attemptsOf(o!.id))[1],
      10_000,
      'the retry raised by the worker started after its time',
    );
    expect(retry.attempt).toBe(2);
    expect((await alarm(retry.alarm_id)).incident_id).toBe((await alarm(item)).incident_id);
    expect(await occurrence(o!.id)).toMatchObject({ status: 'raised', attempts: 2 });
  });
});

describe('the municipality’s retry settings', () => {
  it('are set through the registry: no retry sends someone at the first not reached; a longer delay waits longer', async () => {
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/admin/registry',
      headers: as('admin'),
      payload: {
        municipalities: [
          { id: 'toender', name: 'Tønder', code: '550', plannedCallRetries: 0, nightCheckRetryMinutes: 25 },
        ],
      },
    });
    expect(put.statusCode, put.body).toBe(200);
    const listed = await app.inject({ method: 'GET', url: '/v1/municipalities', headers: as('sup-toe') });
    expect(listed.json().municipalities[0]).toMatchObject({
      plannedCallRetries: 0,
      plannedCallRetryMinutes: 10,
      nightCheckRetryMinutes: 25,
      nightCheckRetries: 1,
    });
    const call = await dueItem('planned_call', 'c-toender-19');
    const r = await resolve(await raise(call.occurrenceId), { outcome: 'not_reached' });
    expect(r.json()).toMatchObject({ outcome: 'dispatch', result: 'not_reached' });
    expect(r.json().dispatch.note).toContain('Not reached at 1 planned call');
    const check = await dueItem('night_check', 'c-toender-21');
    await resolve(await raise(check.occurrenceId), { outcome: 'not_seen' });
    const { rows } = await sql<{ wait: number }>`
      SELECT extract(epoch FROM next_attempt_at - now())::float AS wait FROM care_occurrences WHERE id = ${check.occurrenceId}`.execute(
      te.rt.db,
    );
    expect(rows[0]!.wait).toBeGreaterThan(25 * 60 - 5);
    expect(rows[0]!.wait).toBeLessThanOrEqual(25 * 60);
  });
});
