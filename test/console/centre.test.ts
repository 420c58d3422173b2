// The centre's status (GET /v1/centre): staffing from open live feeds, whether triage keeps up, what
// waits per municipality, answer shares, silent gateways; each limited to the user's municipalities.
import { sql } from 'kysely';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { NewAlarm } from '../../db/accept.js';
import { resolveAlarm } from '../../db/decisions.js';
import { MIN_STAFF_ONLINE } from '../../domain/centre.js';
import { PresenceSet, WORKER_PRESENCE, workerPresenceKey } from '../../platform/presence.js';
import { importRegistry } from '../../services/admin/registry.js';
import { buildConsoleApp } from '../../services/console/app.js';
import type { CentreStatus } from '../../services/console/schemas.js';
import { escalateOverdue } from '../../services/triage/escalation.js';
import { triageAlarm } from '../../services/triage/triage-alarm.js';
import { createTriageWorker } from '../../services/triage/worker.js';
import { eventually } from '../support/env.js';
import { bearer, consoleFixture, newAlarm, openFeed, storeAlarms, type FeedClient, type TestUser } from './helpers.js';

const fx = consoleFixture();
let url: string;

// Ærø, with a gateway whose devices are all unknown (so its alarms are Ærø's) and a supervisor of its
// own, holds the known set of the answer-share test; Favrskov has nothing at all.
const aeroe = {
  municipalities: [
    { id: 'aeroe', name: 'Ærø', code: '492' },
    { id: 'favrskov', name: 'Favrskov', code: '710' },
  ],
  gateways: [
    {
      id: 'gw-aeroe',
      name: 'Gateway Ærø',
      apiKey: 'key-aeroe-0123456789',
      municipalities: ['aeroe'],
      heartbeatSeconds: 300,
    },
  ],
  users: [
    {
      username: 'sup-aeroe',
      password: 'pw-sup-aeroe-1',
      role: 'supervisor' as const,
      municipalities: ['aeroe', 'favrskov'],
    },
  ],
};
let aeroeToken: string;

beforeAll(async () => {
  await importRegistry(fx.te.rt.db, aeroe);
  const r = await fx.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { username: 'sup-aeroe', password: 'pw-sup-aeroe-1' },
  });
  aeroeToken = r.json().token;
  url = await fx.app.listen({ port: 0, host: '127.0.0.1' });
});

const centre = async (user: TestUser | 'sup-aeroe'): Promise<CentreStatus> => {
  const headers = bearer(user === 'sup-aeroe' ? aeroeToken : fx.tokens[user]);
  const r = await fx.app.inject({ method: 'GET', url: '/v1/centre', headers });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
};
/** Poll the user's centre status until `pred` holds; returns that status. */
async function until(user: TestUser, pred: (c: CentreStatus) => boolean, what: string, ms = 5000) {
  let last: CentreStatus | undefined;
  await eventually(async () => pred((last = await centre(user))), ms, what);
  return last!;
}
const online = (s: CentreStatus) => s.staffing.operatorsOnline.map((o) => o.username);
const feed = async (user: TestUser): Promise<FeedClient> => {
  const f = await openFeed(url, { token: fx.tokens[user] });
  onTestFinished(() => f.close());
  await f.synced();
  return f;
};
const back = (table: 'alarms' | 'dispatches', column: string, ids: string[], seconds: number) =>
  sql`UPDATE ${sql.table(table)} SET ${sql.ref(column)} = ${sql.ref(column)} - make_interval(secs => ${seconds})
      WHERE id = ANY(${ids}::uuid[])`.execute(fx.te.rt.db);

describe('GET /v1/centre', () => {
  it('answers operators, supervisors and administrators; planners and analysts are refused (403)', async () => {
    for (const u of ['op-aab', 'sup-all', 'admin'] as const)
      expect((await fx.get(u, '/v1/centre')).statusCode).toBe(200);
    for (const u of ['plan-aab', 'ana-toe'] as const) expect((await fx.get(u, '/v1/centre')).statusCode).toBe(403);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/centre' })).statusCode).toBe(401);
  });

  it('shows an Aabenraa operator Aabenraa’s numbers and gateways, never Tønder’s', async () => {
    await storeAlarms(fx.te.rt, newAlarm('aabenraa', 20), newAlarm('toender', 20), newAlarm('toender', 21));
    await sql`UPDATE gateways SET last_heartbeat_at = now() - interval '400 seconds'`.execute(fx.te.rt.db);
    /** Alarms of municipality m in one of the statuses, counted in the database. */
    const count = async (m: string, statuses: string[]) =>
      Number(
        (
          await sql<{ n: string }>`SELECT count(*) AS n FROM alarms
                                   WHERE municipality_id = ${m} AND status = ANY(${statuses}::text[])`.execute(
            fx.te.rt.db,
          )
        ).rows[0]!.n,
      );
    const waiting = (m: string) => count(m, ['received', 'triaged']);
    const untriaged = (m: string) => count(m, ['received']);

    const aab = await centre('op-aab');
    expect(aab.municipalities.map((m) => m.id)).toEqual(['aabenraa']);
    expect(aab.municipalities[0]).toMatchObject({ name: 'Aabenraa', waiting: await waiting('aabenraa') });
    expect(aab.triage.untriaged).toBe(await untriaged('aabenraa'));
    expect(aab.silentGateways.map((g) => g.id).sort()).toEqual(['gw-aabenraa', 'gw-both']);
    expect(aab.silentGateways[0]).toMatchObject({
      lastHeartbeatAt: expect.any(String),
      heartbeatSeconds: 300,
      silentSeconds: expect.any(Number),
    });
    expect(aab.silentGateways[0]!.silentSeconds).toBeGreaterThanOrEqual(400);

    const toe = await centre('op-toe');
    expect(toe.municipalities.map((m) => m.id)).toEqual(['toender']);
    expect(toe.municipalities[0]).toMatchObject({ name: 'Tønder', waiting: await waiting('toender') });
    expect(toe.triage.untriaged).toBe(await untriaged('toender'));
    expect(toe.silentGateways.map((g) => g.id).sort()).toEqual(['gw-both', 'gw-toender']);

    const all = await centre('sup-all');
    expect(all.municipalities.map((m) => m.id).sort()).toEqual(['aabenraa', 'aeroe', 'favrskov', 'toender']);
    expect(all.silentGateways.map((g) => g.id).sort()).toEqual(['gw-aabenraa', 'gw-aeroe', 'gw-both', 'gw-toender']);
    await sql`UPDATE gateways SET last_heartbeat_at = now()`.execute(fx.te.rt.db);
    expect((await centre('op-aab')).silentGateways).toEqual([]);
  });

  it('counts what waits, what escalated and the answer shares of a known set of alarms', async () => {
    // A device each: alarms of one device would be one incident, and a decision covers the incident.
    let device = 0;
    const store = async (type = 'pendant') =>
      (
        await storeAlarms(fx.te.rt, {
          gatewayId: 'gw-aeroe',
          eventId: `aeroe-${Math.random()}`,
          deviceId: `DK-AER-${++device}`,
          type,
          occurredAt: new Date().toISOString(),
        } as NewAlarm)
      )[0]!;
    const minutes = 60;
    // answered: claimed 20 s after receipt, 30 min ago; resolved.
    const answered = await store();
    // late: claimed 90 s after receipt, 40 min ago; still claimed (so it escalates unresolved).
    const late = await store();
    // unanswered: 50 min ago, never claimed (escalates unanswered).
    const unanswered = await store();
    // young: 10 s ago, not claimed: its answer is not known yet, left out of the shares.
    const young = await store();
    // technical: 20 min ago, never claimed: not in the shares, and no answer target.
    const technical = await store('mains_failure');
    // earlier: 2 h ago, claimed after 10 s, resolved: in today's share when that was after midnight.
    const earlier = await store();
    // dispatched: a tamper alarm (technical: not in the shares) resolved with a dispatch nobody accepted.
    const dispatched = await store('tamper');

    const claim = (id: string, afterSeconds: number, status: 'claimed' | 'resolved') =>
      sql`UPDATE alarms SET status = ${status}, claimed_by = 'op-x', claimed_at = received_at + make_interval(secs => ${afterSeconds}),
                            resolved_at = CASE WHEN ${status} = 'resolved' THEN received_at + make_interval(secs => ${afterSeconds + 30}) END,
                            outcome = CASE WHEN ${status} = 'resolved' THEN 'phone_resolvable' END
          WHERE id = ${id}::uuid`.execute(fx.te.rt.db);
    await back('alarms', 'received_at', [answered], 30 * minutes);
    await back('alarms', 'received_at', [late], 40 * minutes);
    await back('alarms', 'received_at', [unanswered], 50 * minutes);
    await back('alarms', 'received_at', [young], 10);
    await back('alarms', 'received_at', [technical], 20 * minutes);
    await back('alarms', 'received_at', [earlier], 120 * minutes);
    await claim(answered, 20, 'resolved');
    await claim(late, 90, 'claimed');
    await claim(earlier, 10, 'resolved');
    const r = await resolveAlarm(fx.te.rt.db, dispatched, 'op-x', { outcome: 'dispatch' });
    if (r.outcome !== 'changed') throw new Error(r.outcome);
    await back('dispatches', 'requested_at', [r.value.dispatch!.id], 11 * minutes);
    await escalateOverdue(fx.te.rt);

    const status = await centre('sup-aeroe');
    expect(status.municipalities.map((m) => m.id).sort()).toEqual(['aeroe', 'favrskov']);
    const aer = status.municipalities.find((m) => m.id === 'aeroe');
    const fav = status.municipalities.find((m) => m.id === 'favrskov');
    // Waiting: unanswered, young, technical. Escalated now: unanswered (unclaimed), late (claimed past
    // 15 min), the dispatch (still requested past 10 min).
    expect(aer).toMatchObject({ id: 'aeroe', name: 'Ærø', waiting: 3, escalations: 3 });
    expect(aer!.longestWaitSeconds).toBeGreaterThanOrEqual(50 * 60);
    expect(aer!.longestWaitSeconds).toBeLessThan(50 * 60 + 30);
    expect(status.triage.untriaged).toBe(3);
    expect(status.triage.oldestUntriagedSeconds).toBe(aer!.longestWaitSeconds);

    // The last hour: answered, late, unanswered are known; one of three in time.
    expect(aer!.answeredWithin60s.lastHour).toBeCloseTo(1 / 3, 10);
    // Today: the same three, and `earlier` when it was received after midnight in Copenhagen.
    const { earlierToday } = (
      await sql<{ earlierToday: boolean }>`
        SELECT received_at >= date_trunc('day', now() AT TIME ZONE 'Europe/Copenhagen') AT TIME ZONE 'Europe/Copenhagen'
                 AS "earlierToday"
        FROM alarms WHERE id = ${earlier}::uuid`.execute(fx.te.rt.db)
    ).rows[0]!;
    const { sinceMidnight } = (
      await sql<{ sinceMidnight: number }>`
        SELECT extract(epoch FROM now() - (date_trunc('day', now() AT TIME ZONE 'Europe/Copenhagen') AT TIME ZONE 'Europe/Copenhagen'))::float AS "sinceMidnight"`.execute(
        fx.te.rt.db,
      )
    ).rows[0]!;
    // Before 00:50 Copenhagen time some of the three were received yesterday: then the check is the oracle's.
    if (sinceMidnight > 51 * 60) expect(aer!.answeredWithin60s.today).toBeCloseTo(earlierToday ? 2 / 4 : 1 / 3, 10);
    expect(fav).toEqual({
      id: 'favrskov',
      name: 'Favrskov',
      waiting: 0,
      longestWaitSeconds: null,
      escalations: 0,
      operatorsOnline: 0,
      answeredWithin60s: { lastHour: null, today: null },
    });

    // Once the unanswered one is claimed and the dispatch accepted, only the unresolved one still asks.
    await claim(unanswered, 50 * minutes - 10, 'claimed');
    await fx.post('admin', `/v1/dispatches/${r.value.dispatch!.id}/status`, { status: 'accepted' });
    const after = await centre('sup-aeroe');
    expect(after.municipalities.find((m) => m.id === 'aeroe')).toMatchObject({ waiting: 2, escalations: 1 });
    // Nobody in Aabenraa or Tønder sees any of it.
    expect((await centre('op-both')).municipalities.map((m) => m.id)).toEqual(['aabenraa', 'toender']);
  });

  it('counts the operators with a live feed open, as each opens and closes it, within each user’s scope', async () => {
    const before = await centre('op-aab');
    expect(online(before)).toEqual([]);
    expect(before.staffing.warning).toBe(true);

    const aab = await feed('op-aab');
    let s = await until('op-aab', (c) => online(c).includes('op-aab'), 'op-aab online', 5000);
    expect(s.staffing.operatorsOnline).toEqual([
      { username: 'op-aab', role: 'operator', municipalities: ['aabenraa'] },
    ]);
    expect(s.staffing.warning).toBe(true);
    expect(s.municipalities[0]!.operatorsOnline).toBe(1);
    // Tønder's operator does not see an Aabenraa operator on duty.
    expect(online(await centre('op-toe'))).toEqual([]);

    // A colleague covering both, and a planner (not staff): the operator sees the colleague with Aabenraa only.
    const both = await feed('op-both');
    await feed('plan-aab');
    s = await until('op-aab', (c) => online(c).includes('op-both'), 'op-both online', 5000);
    expect(s.staffing.operatorsOnline).toEqual([
      { username: 'op-aab', role: 'operator', municipalities: ['aabenraa'] },
      { username: 'op-both', role: 'operator', municipalities: ['aabenraa'] },
    ]);
    expect(MIN_STAFF_ONLINE).toBe(2);
    expect(s.staffing.warning).toBe(false);
    const toe = await centre('op-toe');
    expect(toe.staffing.operatorsOnline).toEqual([
      { username: 'op-both', role: 'operator', municipalities: ['toender'] },
    ]);
    expect(toe.staffing.warning).toBe(true);
    const admin = await centre('admin');
    expect(admin.staffing.operatorsOnline).toContainEqual({
      username: 'op-both',
      role: 'operator',
      municipalities: ['aabenraa', 'toender'],
    });
    expect(admin.municipalities.find((m) => m.id === 'aabenraa')!.operatorsOnline).toBe(2);

    // A second feed of the same user counts once; closing one of two keeps them online.
    const second = await feed('op-aab');
    await aab.close();
    expect(online(await centre('op-aab'))).toEqual(['op-aab', 'op-both']);
    await second.close();
    s = await until('op-aab', (c) => !online(c).includes('op-aab'), 'op-aab offline', 5000);
    expect(online(s)).toEqual(['op-both']);
    expect(s.staffing.warning).toBe(true);
    await both.close();
    await eventually(async () => online(await centre('admin')).length === 0, 5000, 'nobody online');
  });

  it('counts a feed open on another console instance, and forgets it as soon as that instance stops', async () => {
    const other = await buildConsoleApp(fx.te.runtime());
    let closed = false;
    onTestFinished(() => (closed ? undefined : other.close()));
    const otherUrl = await other.app.listen({ port: 0, host: '127.0.0.1' });
    const f = await openFeed(otherUrl, { token: fx.tokens['op-toe'] });
    onTestFinished(() => f.close());
    await f.synced();
    const s = await until('op-toe', (c) => online(c).includes('op-toe'), 'op-toe online through the other instance');
    expect(s.staffing.operatorsOnline).toEqual([{ username: 'op-toe', role: 'operator', municipalities: ['toender'] }]);
    // The instance shuts down: its feeds close (1001, to reconnect elsewhere) and its users leave at once.
    await other.close();
    closed = true;
    expect((await f.closed).code).toBe(1001);
    expect(online(await centre('op-toe'))).toEqual([]);
  });

  it('says triage is behind while no worker runs, or an alarm waits for triage longer than 10 s', async () => {
    // A worker process that is alive but does not triage (stuck, or busy elsewhere).
    const presence = new PresenceSet(
      fx.te.rt.redis,
      workerPresenceKey(fx.te.config.redisPrefix),
      WORKER_PRESENCE.ttlMs,
    );
    await presence.publish(['stuck-worker']);
    onTestFinished(() => presence.publish([], ['stuck-worker']));
    const waiting = await sql<{ id: string }>`
      SELECT id FROM alarms WHERE municipality_id = 'aabenraa' AND status = 'received'`.execute(fx.te.rt.db);
    for (const { id } of waiting.rows) await triageAlarm(fx.te.rt, id);

    const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 22));
    let s = await centre('op-aab');
    expect(s.triage).toMatchObject({ untriaged: 1, workersOnline: 1, behind: false });
    expect(s.triage.oldestUntriagedSeconds).toBeLessThanOrEqual(2);
    // Its job waits in the queue, nobody taking it.
    expect(s.triage.queueDepth).toBeGreaterThanOrEqual(1);
    await back('alarms', 'received_at', [id!], 11);
    s = await centre('op-aab');
    expect(s.triage).toMatchObject({ untriaged: 1, workersOnline: 1, behind: true });
    expect(s.triage.oldestUntriagedSeconds).toBeGreaterThanOrEqual(11);

    await presence.publish([], ['stuck-worker']);
    s = await centre('op-aab');
    expect(s.triage).toMatchObject({ workersOnline: 0, behind: true });

    // A real worker: seen at once, triages what waits, and gone as soon as it stops.
    const worker = createTriageWorker(fx.te.runtime(), { superviseEveryMs: 600_000, escalateEveryMs: 600_000 });
    let closed = false;
    onTestFinished(() => (closed ? undefined : worker.close()));
    s = await until('op-aab', (c) => !c.triage.behind && c.triage.queueDepth === 0, 'triage caught up', 10_000);
    expect(s.triage).toMatchObject({ untriaged: 0, oldestUntriagedSeconds: null, workersOnline: 1, queueDepth: 0 });
    await worker.close();
    closed = true;
    s = await centre('op-aab');
    expect(s.triage).toMatchObject({ workersOnline: 0, behind: true });
  });

  it('still answers while Redis is away, with the alarms’ figures and staffing and queue marked unknown', async () => {
    const built = await buildConsoleApp(fx.te.runtime({ REDIS_URL: 'redis://127.0.0.1:1/0' }));
    onTestFinished(() => built.close());
    const r = await built.app.inject({ method: 'GET', url: '/v1/centre', headers: bearer(fx.tokens['op-aab']) });
    expect(r.statusCode).toBe(200);
    const s = r.json() as CentreStatus;
    expect(s).toMatchObject({
      incomplete: true,
      staffing: { operatorsOnline: [], warning: true },
      triage: { workersOnline: 0, queueDepth: 0, behind: true },
    });
    expect(s.municipalities.map((m) => m.id)).toEqual(['aabenraa']);
    expect((await centre('op-aab')).incomplete).toBe(false);
  });
});
