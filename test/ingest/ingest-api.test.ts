// The gateway API as the contract promises it.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { LANES, type Lane } from '../../domain/events.js';
import { alarmIdsOf } from '../../platform/queue.js';
import { buildIngestApp } from '../../services/ingest/app.js';
import { AUTH_FAILURES_PER_MINUTE, GatewayDirectory } from '../../services/ingest/gateways.js';
import { createDb, createPool } from '../../db/connect.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { gatewayKey, metricsText, testEvent } from '../support/env.js';
import { ingestFixture } from './helpers.js';

const fx = ingestFixture();
const auth = (m: string) => ({ authorization: `Bearer ${gatewayKey(m)}` });

const post = (m: string, body: unknown, url = '/v1/alarms') =>
  fx.app.inject({ method: 'POST', url, headers: auth(m), payload: body as object });
const stored = async (gatewayId: string, eventId: string) =>
  fx.te.rt.db
    .selectFrom('alarms')
    .selectAll()
    .where('gateway_id', '=', gatewayId)
    .where('event_id', '=', eventId)
    .execute();
const storedById = (id: string) =>
  fx.te.rt.db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('POST /v1/alarms', () => {
  it('answers 202 only with the alarm committed in Postgres and visible as received', async () => {
    const ev = testEvent('aabenraa', 0, 'pendant', {
      voice: 'connected',
      batteryPercent: 81,
      details: { firmware: '2.1' },
    });
    const r = await post('aabenraa', ev);
    expect(r.statusCode).toBe(202);
    const body = r.json();
    expect(body).toEqual({ alarmId: expect.stringMatching(/^[0-9a-f-]{36}$/), duplicate: false });
    const rows = await stored('gw-aabenraa', ev.eventId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: body.alarmId,
      status: 'received',
      citizen_id: 'c-aabenraa-0',
      voice: 'connected',
      battery_percent: 81,
    });
    const change = await fx.te.rt.db
      .selectFrom('changes')
      .select(['payload'])
      .where('entity_id', '=', body.alarmId)
      .executeTakeFirstOrThrow();
    expect(change.payload).toMatchObject({
      id: body.alarmId,
      status: 'received',
      triage: null,
      municipality: 'aabenraa',
    });
  });

  it('answers a re-sent eventId with the same alarmId, duplicate true, and stores nothing new', async () => {
    const ev = testEvent('aabenraa', 2);
    const first = await post('aabenraa', ev);
    const again = await post('aabenraa', ev);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ alarmId: first.json().alarmId, duplicate: true });
    expect(await stored('gw-aabenraa', ev.eventId)).toHaveLength(1);
  });

  it('stores one alarm for 20 concurrent re-sends of one eventId, across two ingest instances', async () => {
    const other = (await buildIngestApp(fx.te.runtime())).app;
    fx.te.onClose(() => other.close());
    const ev = testEvent('toender', 1, 'fall', { voice: 'no_answer' });
    const rs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? fx.app : other).inject({ method: 'POST', url: '/v1/alarms', headers: auth('toender'), payload: ev }),
      ),
    );
    const ids = new Set(rs.map((r) => r.json().alarmId));
    expect(ids.size).toBe(1);
    expect(rs.filter((r) => r.statusCode === 202 && r.json().duplicate === false)).toHaveLength(1);
    expect(rs.filter((r) => r.statusCode === 200 && r.json().duplicate === true)).toHaveLength(19);
    expect(await stored('gw-toender', ev.eventId)).toHaveLength(1);
    const changes = await fx.te.rt.db
      .selectFrom('changes')
      .select('seq')
      .where('entity_id', '=', [...ids][0]!)
      .execute();
    expect(changes).toHaveLength(1);
  });

  it('accepts an unknown device, flags it and keeps it in the gateway’s first municipality', async () => {
    const r = await post('both', testEvent('nowhere', 99, 'pendant'));
    expect(r.statusCode).toBe(202);
    const row = await storedById(r.json().alarmId);
    expect(row).toMatchObject({ unknown_device: true, citizen_id: null, municipality_id: 'aabenraa' });
  });

  it('never links a citizen of a municipality the gateway does not serve', async () => {
    const r = await post('aabenraa', testEvent('toender', 3));
    expect(r.statusCode).toBe(202);
    const row = await storedById(r.json().alarmId);
    expect(row).toMatchObject({ unknown_device: true, citizen_id: null, municipality_id: 'aabenraa' });
  });

  it('links a device through a gateway serving several municipalities to the citizen’s own municipality', async () => {
    const r = await post('both', testEvent('toender', 5));
    const row = await storedById(r.json().alarmId);
    expect(row).toMatchObject({ unknown_device: false, citizen_id: 'c-toender-5', municipality_id: 'toender' });
  });

  it('queues triage in the urgency lane of the event type, with alarm ids only', async () => {
    const fall = (await post('aabenraa', testEvent('aabenraa', 4, 'fall'))).json().alarmId;
    const battery = (await post('aabenraa', testEvent('aabenraa', 4, 'low_battery'))).json().alarmId;
    const med = (await post('aabenraa', testEvent('aabenraa', 4, 'medication'))).json().alarmId;
    const queues = fx.te.rt.queues;
    await fx.acceptor.drain();
    const waiting = async (lane: Lane) => queues.alarmsIn(lane, ['waiting']);
    expect(await waiting('urgent')).toContain(fall);
    expect(await waiting('technical')).toContain(battery);
    expect(await waiting('routine')).toContain(med);
    expect(await waiting('urgent')).not.toContain(battery);
    for (const lane of LANES)
      for (const job of await queues.queues[lane].getJobs(['waiting']))
        expect(Object.keys(job.data)).toEqual(['alarmIds']);
  });

  it('queues the alarms of one commit together: one job per lane', async () => {
    const events = [
      ...Array.from({ length: 5 }, (_, i) => testEvent('toender', i, 'fall')),
      ...Array.from({ length: 3 }, (_, i) => testEvent('toender', i, 'low_battery')),
    ];
    const r = await fx.app.inject({
      method: 'POST',
      url: '/v1/alarms/batch',
      headers: auth('toender'),
      payload: { events },
    });
    expect(r.statusCode).toBe(202);
    const ids = (r.json().results as { alarmId: string }[]).map((x) => x.alarmId);
    // Queueing follows the commit and its answer.
    await fx.acceptor.drain();
    const jobsHolding = async (lane: Lane, some: string[]) =>
      (await fx.te.rt.queues.queues[lane].getJobs(['waiting'])).filter((j) =>
        alarmIdsOf(j.data).some((id) => some.includes(id)),
      );
    const urgent = await jobsHolding('urgent', ids);
    expect(urgent.map((j) => alarmIdsOf(j.data))).toEqual([ids.slice(0, 5)]);
    const technical = await jobsHolding('technical', ids);
    expect(technical.map((j) => alarmIdsOf(j.data))).toEqual([ids.slice(5)]);
  });

  it.each([
    ['a missing type', (e: Record<string, unknown>) => ({ ...e, type: undefined }), 'type'],
    ['an unknown type', (e: Record<string, unknown>) => ({ ...e, type: 'earthquake' }), 'type'],
    [
      'an occurredAt that is no time',
      (e: Record<string, unknown>) => ({ ...e, occurredAt: 'yesterday' }),
      'occurredAt',
    ],
    ['an empty eventId', (e: Record<string, unknown>) => ({ ...e, eventId: '' }), 'eventId'],
    ['a deviceId over 64 characters', (e: Record<string, unknown>) => ({ ...e, deviceId: 'd'.repeat(65) }), 'deviceId'],
    ['an unknown voice state', (e: Record<string, unknown>) => ({ ...e, voice: 'maybe' }), 'voice'],
    ['a battery over 100 %', (e: Record<string, unknown>) => ({ ...e, batteryPercent: 101 }), 'batteryPercent'],
    ['details over 4 KiB', (e: Record<string, unknown>) => ({ ...e, details: { blob: 'x'.repeat(4100) } }), 'details'],
    ['details that are not an object', (e: Record<string, unknown>) => ({ ...e, details: [1, 2] }), 'details'],
  ])('rejects %s with 400 invalid_event naming the field, and stores nothing', async (_what, mutate, field) => {
    const ev = testEvent('aabenraa', 6);
    const r = await post('aabenraa', mutate(ev));
    expect(r.statusCode).toBe(400);
    const body = r.json();
    expect(body.error).toBe('invalid_event');
    expect(body.message).toContain(field);
    expect(body.issues.some((i: { path: string }) => i.path.startsWith(field))).toBe(true);
    expect(await stored('gw-aabenraa', ev.eventId)).toHaveLength(0);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const r = await fx.app.inject({
      method: 'POST',
      url: '/v1/alarms',
      headers: { ...auth('aabenraa'), 'content-type': 'application/json' },
      payload: '{"eventId": ',
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(/invalid/);
  });

  it('answers 401 without a key or with a wrong one', async () => {
    const ev = testEvent('aabenraa', 0);
    const none = await fx.app.inject({ method: 'POST', url: '/v1/alarms', payload: ev });
    const wrong = await fx.app.inject({
      method: 'POST',
      url: '/v1/alarms',
      headers: { authorization: 'Bearer nope-nope-nope-nope' },
      payload: ev,
    });
    for (const r of [none, wrong]) {
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
    }
    expect(await stored('gw-aabenraa', ev.eventId)).toHaveLength(0);
  });

  it('answers 415 for a body that is not JSON by content type', async () => {
    const r = await fx.app.inject({
      method: 'POST',
      url: '/v1/alarms',
      headers: { ...auth('aabenraa'), 'content-type': 'text/plain' },
      payload: 'pendant!',
    });
    expect(r.statusCode).toBe(415);
    expect(r.json().error).toBe('unsupported_media_type');
  });

  it('answers 413 for a body over the limit', async () => {
    const r = await post('aabenraa', { ...testEvent('aabenraa', 0), padding: 'x'.repeat(70 * 1024) });
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toBe('payload_too_large');
  });

  it('answers 429 with Retry-After when a gateway exceeds its rate', async () => {
    const limited = (await buildIngestApp(fx.te.runtime({ GATEWAY_RATE_LIMIT_PER_MINUTE: '3' }))).app;
    fx.te.onClose(() => limited.close());
    const codes: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await limited.inject({
        method: 'POST',
        url: '/v1/alarms',
        headers: auth('toender'),
        payload: testEvent('toender', 7),
      });
      codes.push(last.statusCode);
    }
    expect(codes).toEqual([202, 202, 202, 429]);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(last!.json().error).toBe('rate_limited');
  });
});

describe('POST /v1/alarms/batch', () => {
  it('stores the good events of a batch, reports the bad ones, and keeps input order', async () => {
    const good1 = testEvent('aabenraa', 8, 'pendant', {
      occurredAt: new Date(Date.now() - 6 * 3600_000).toISOString(),
    });
    const good2 = testEvent('aabenraa', 10, 'mains_failure');
    const bad = { ...testEvent('aabenraa', 12), type: 'nonsense' };
    const r = await post('aabenraa', { events: [good1, bad, good2, good1, { nothing: true }] }, '/v1/alarms/batch');
    expect(r.statusCode).toBe(202);
    const { results } = r.json();
    expect(results).toHaveLength(5);
    expect(results[0]).toMatchObject({ eventId: good1.eventId, duplicate: false, alarmId: expect.any(String) });
    expect(results[1]).toMatchObject({
      eventId: bad.eventId,
      error: 'invalid_event',
      message: expect.stringContaining('type'),
    });
    expect(results[2]).toMatchObject({ eventId: good2.eventId, duplicate: false });
    expect(results[3]).toEqual({ eventId: good1.eventId, alarmId: results[0].alarmId, duplicate: true });
    expect(results[4]).toMatchObject({ eventId: null, error: 'invalid_event' });
    expect(await stored('gw-aabenraa', bad.eventId)).toHaveLength(0);
    expect(await stored('gw-aabenraa', good1.eventId)).toHaveLength(1);
  });

  it('rejects more than 1000 events and an empty batch with 400', async () => {
    const many = Array.from({ length: 1001 }, () => testEvent('aabenraa', 0));
    expect((await post('aabenraa', { events: many }, '/v1/alarms/batch')).statusCode).toBe(400);
    expect((await post('aabenraa', { events: [] }, '/v1/alarms/batch')).statusCode).toBe(400);
  });

  it('accepts a full batch of 1000 in one answer', async () => {
    const events = Array.from({ length: 1000 }, (_, i) =>
      testEvent('toender', (i % 10) * 2 + 1, i % 3 ? 'low_battery' : 'pendant'),
    );
    const r = await post('toender', { events }, '/v1/alarms/batch');
    expect(r.statusCode).toBe(202);
    expect(r.json().results.filter((x: { alarmId?: string }) => x.alarmId)).toHaveLength(1000);
  });
});

describe('POST /v1/gateways/heartbeat', () => {
  it('records the gateway’s sign of life', async () => {
    const dbNow = async () =>
      (await sql<{ now: Date }>`SELECT clock_timestamp() AS now`.execute(fx.te.rt.db)).rows[0]!.now;
    const before = await dbNow();
    const r = await fx.app.inject({
      method: 'POST',
      url: '/v1/gateways/heartbeat',
      headers: auth('toender'),
      payload: {},
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ gatewayId: 'gw-toender', heartbeatSeconds: 300 });
    const gw = await fx.te.rt.db
      .selectFrom('gateways')
      .select('last_heartbeat_at')
      .where('id', '=', 'gw-toender')
      .executeTakeFirstOrThrow();
    const after = await dbNow();
    expect(gw.last_heartbeat_at!.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(gw.last_heartbeat_at!.getTime()).toBeLessThanOrEqual(after.getTime());
  });

  it('answers 429 without a lookup to an address guessing keys, while a known gateway at that address goes on', async () => {
    // The directory on its own pool, through a proxy the test cuts: a lookup would then be a 503.
    const pgUrl = new URL(fx.te.config.databaseUrl);
    const proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    const db = createDb(createPool(proxy.url(fx.te.config.databaseUrl), { max: 2 }));
    try {
      const directory = new GatewayDirectory(db);
      const address = '203.0.113.7';
      const real = `Bearer ${gatewayKey('aabenraa')}`;
      expect((await directory.authenticate(real, address)).id).toBe('gw-aabenraa');
      const status = (p: Promise<unknown>) =>
        p.then(
          () => 200,
          (e: { statusCode?: number }) => e.statusCode,
        );
      for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++)
        expect(await status(directory.authenticate(`Bearer guess-${i}-${'x'.repeat(20)}`, address))).toBe(401);
      proxy.cut();
      // No lookup: 429, not the 503 a lookup would meet.
      const limited = await directory.authenticate('Bearer guess-999-xxxxxxxxxxxxxxxxxxxx', address).catch((e) => e);
      expect(limited).toMatchObject({ statusCode: 429, headers: { 'retry-after': expect.any(String) } });
      expect(await status(directory.authenticate('Bearer guess-1000-xxxxxxxxxxxxxxxxxxx', '203.0.113.8'))).toBe(503);
      proxy.restore();
      // The real gateway at the guesser's address still gets in; another address is only told 401.
      expect((await directory.authenticate(real, address)).id).toBe('gw-aabenraa');
      expect(await status(directory.authenticate('Bearer other-wrong-key-123456', '203.0.113.9'))).toBe(401);
    } finally {
      await db.destroy();
      await proxy.close();
    }
  });

  it('answers 401 to an unknown gateway', async () => {
    const r = await fx.app.inject({
      method: 'POST',
      url: '/v1/gateways/heartbeat',
      headers: { authorization: 'Bearer x' },
      payload: {},
    });
    expect(r.statusCode).toBe(401);
  });
});

describe('operations', () => {
  it('serves health, readiness, metrics and OpenAPI', async () => {
    // An accepted pendant of its own, so the per-type counter has a series to show.
    expect((await post('aabenraa', testEvent('aabenraa', 16, 'pendant'))).statusCode).toBe(202);
    expect((await fx.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await fx.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual({ postgres: true, redis: true });
    const metrics = await metricsText(fx.app);
    expect(metrics).toMatch(/rc_alarms_accepted_total\{type="pendant",municipality="aabenraa"[^}]*\} [1-9]\d*/);
    expect(metrics).toMatch(/rc_accept_duration_seconds_bucket/);
    expect(metrics).toMatch(/rc_queue_depth\{lane="urgent",state="waiting"/);
    // The documentation, for those holding a gateway key (DOCS=login, the default).
    const withKey = { authorization: `Bearer ${gatewayKey('aabenraa')}` };
    const spec = (await fx.app.inject({ url: '/docs/json', headers: withKey })).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/alarms', '/v1/alarms/batch', '/v1/gateways/heartbeat']),
    );
    expect((await fx.app.inject({ url: '/docs', headers: withKey })).statusCode).toBeLessThan(400);
  });

  it('keeps personal data and keys out of the log', async () => {
    const from = fx.te.logs.length;
    const r = await post(
      'aabenraa',
      testEvent('aabenraa', 14, 'pendant', { details: { note: 'Borger 14 fell in the kitchen' } }),
    );
    expect(r.statusCode).toBe(202);
    // This request was logged (this test's lines only), so there was something to leak into.
    const lines = fx.te.logs.slice(from);
    expect(lines.some((l) => l.includes('/v1/alarms'))).toBe(true);
    // Every line so far, this test's and the earlier requests' alike.
    const text = fx.te.logs.join('');
    expect(text).not.toContain(gatewayKey('aabenraa'));
    expect(text).not.toContain('Borger 14');
  });
});
