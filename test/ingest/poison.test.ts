// One bad event never fails another gateway's alarm. Single events share group commits and a batch is
// one transaction; when the database refuses one event, the others are committed without it and only
// that event is answered 400. A 503 stays "could not be committed: re-send".
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAlarm } from '../../db/accept.js';
import { EventRefused } from '../../services/ingest/acceptor.js';
import { eventually, gatewayKey, metricsText, testEvent } from '../support/env.js';
import { countStored, ingestFixture } from './helpers.js';

const fx = ingestFixture();
/** How many of these events are stored. */
const storedOf = (items: { ev: { eventId: string } }[]) =>
  countStored(
    fx.te,
    items.map((i) => i.ev.eventId),
  );

/** Personal data a refused event carries; it must never come back in an answer or a log line. */
const PERSONAL = 'Karen Jensen, Storegade 12';

beforeAll(async () => {
  // Stand-ins for what no validation catches yet. An alarm whose details carry "refuse" is refused as
  // data by Postgres (SQLSTATE class 22), quoting its input as Postgres does; one carrying "fail"
  // fails for another reason (an internal error); with the switch on, every insert fails so.
  await sql
    .raw(
      `CREATE TABLE poison_switch (fail_all boolean NOT NULL);
       INSERT INTO poison_switch VALUES (false);
       CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.details ? 'refuse' THEN
           RAISE EXCEPTION 'value out of range: "%"', NEW.details->>'refuse' USING ERRCODE = '22003';
         END IF;
         IF NEW.details ? 'fail' OR (SELECT fail_all FROM poison_switch) THEN
           RAISE EXCEPTION 'could not write' USING ERRCODE = 'XX000';
         END IF;
         RETURN NEW;
       END $$;
       CREATE TRIGGER poison BEFORE INSERT ON alarms FOR EACH ROW EXECUTE FUNCTION poison();`,
    )
    .execute(fx.te.rt.db);
});
afterAll(() => fx.te.close());

const GATEWAYS = [
  { key: 'aabenraa', id: 'gw-aabenraa', m: 'aabenraa' },
  { key: 'toender', id: 'gw-toender', m: 'toender' },
  { key: 'both', id: 'gw-both', m: 'toender' },
] as const;
/** Fifty good events, from three gateways in turn. */
const fiftyGood = () =>
  Array.from({ length: 50 }, (_, i) => {
    const gw = GATEWAYS[i % 3]!;
    return { gw, ev: testEvent(gw.m, (i % 10) * 2 + (gw.m === 'toender' ? 1 : 0)) };
  });
const post = (key: string, body: unknown, url = '/v1/alarms') =>
  fx.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${gatewayKey(key)}` },
    payload: body as object,
  });
const alarm = (gatewayId: string, ev: ReturnType<typeof testEvent>, extra: Partial<NewAlarm> = {}) =>
  ({ gatewayId, ...ev, ...extra }) as NewAlarm;

/** A counter or a histogram's count from /metrics. */
async function metric(name: string): Promise<number> {
  const text = await metricsText(fx.app);
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}
const setFailAll = (on: boolean) => sql`UPDATE poison_switch SET fail_all = ${on}`.execute(fx.te.rt.db);

describe('a group commit of single events', () => {
  it('commits fifty events in one transaction when nothing fails, without splitting it', async () => {
    const [commits, isolations] = [
      await metric('rc_accept_commit_batch_size_count'),
      await metric('rc_accept_commit_isolations_total'),
    ];
    const good = fiftyGood();
    const results = await Promise.all(good.map(({ gw, ev }) => fx.acceptor.accept(alarm(gw.id, ev))));
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(await metric('rc_accept_commit_batch_size_count')).toBe(commits + 1);
    expect(await metric('rc_accept_commit_isolations_total')).toBe(isolations);
  });

  it('over HTTP: a bad event raced against fifty from other gateways is refused by the validation, the fifty are 202 and stored', async () => {
    const good = fiftyGood();
    const bad = testEvent('aabenraa', 4, 'fall', { details: { note: `${PERSONAL}\u0000` } });
    const all = [...good.slice(0, 25), { gw: GATEWAYS[0], ev: bad }, ...good.slice(25)];
    const answers = await Promise.all(all.map(({ gw, ev }) => post(gw.key, ev)));
    const badAnswer = answers[25]!;
    expect(badAnswer.statusCode).toBe(400);
    expect(badAnswer.json()).toMatchObject({ error: 'invalid_event', issues: [{ path: 'details.note' }] });
    const goodAnswers = answers.filter((_, i) => i !== 25);
    expect(goodAnswers.map((r) => r.statusCode)).toEqual(good.map(() => 202));
    expect(await storedOf(good)).toBe(50);
    expect(await countStored(fx.te, [bad.eventId])).toBe(0);
  });

  it('when the database itself refuses events, commits the other fifty of the same transaction, refuses only those, and queues the fifty for triage', async () => {
    const refusedBefore = await metric('rc_alarms_refused_by_database_total');
    const isolationsBefore = await metric('rc_accept_commit_isolations_total');
    const good = fiftyGood();
    // No validation in front: each of these fails the whole statement in Postgres.
    const bad = [
      alarm('gw-aabenraa', testEvent('aabenraa', 2), { eventId: `nul\u0000${Date.now()}` }), // text: 22021
      alarm('gw-toender', testEvent('toender', 3), { details: { note: 'lone \ud800' } }), // jsonb: 22P02
      alarm('gw-both', testEvent('toender', 5), { details: { 'key\u0000': 1 } }), // jsonb: 22P05
      alarm('gw-aabenraa', testEvent('aabenraa', 6), { batteryPercent: 100_000 }), // smallint: 22003
      alarm('gw-toender', testEvent('toender', 7), { occurredAt: '0000-01-01T00:00:00Z' }), // timestamptz: 22008
      alarm('gw-both', testEvent('aabenraa', 8), { details: { refuse: PERSONAL } }), // the trigger: 22003
    ];
    const goodItems = good.map(({ gw, ev }) => alarm(gw.id, ev));
    const items = [...goodItems];
    bad.forEach((b, i) => items.splice(i * 9 + 3, 0, b));
    // Submitted in one turn of the event loop: one group commit.
    const settled = await Promise.allSettled(items.map((item) => fx.acceptor.accept(item)));

    const byItem = new Map(items.map((item, i) => [item, settled[i]!]));
    for (const b of bad) {
      const s = byItem.get(b)!;
      expect(s.status).toBe('rejected');
      const err = (s as PromiseRejectedResult).reason;
      expect(err).toBeInstanceOf(EventRefused);
      expect(err.message).toMatch(/^the database refused this event: /);
      expect(err.message).not.toContain('Karen');
    }
    const accepted = goodItems.map((item) => byItem.get(item)!);
    expect(accepted.map((s) => s.status)).toEqual(good.map(() => 'fulfilled'));
    expect(await storedOf(good)).toBe(50);
    // (Postgres cannot even be asked about an id with a NUL in it; the refusal above is its answer.)
    expect(
      await countStored(
        fx.te,
        bad.slice(1).map((b) => b.eventId),
      ),
    ).toBe(0);
    expect(await metric('rc_alarms_refused_by_database_total')).toBe(refusedBefore + bad.length);
    expect(await metric('rc_accept_commit_isolations_total')).toBeGreaterThan(isolationsBefore);
    // Queued for triage after their commit, as always.
    const ids = accepted.map((s) => (s as PromiseFulfilledResult<{ alarmId: string }>).value.alarmId);
    await eventually(async () => {
      const queued = new Set(await fx.te.rt.queues.alarmsIn('urgent', ['waiting']));
      return ids.every((id) => queued.has(id));
    });
    expect(fx.te.logs.join('')).not.toContain('Karen');
  });

  it('over HTTP: an event the database refuses is answered 400 invalid_event without its data; fifty raced with it are 202', async () => {
    const good = fiftyGood();
    const bad = testEvent('aabenraa', 4, 'fall', { details: { refuse: PERSONAL } });
    const all = [...good.slice(0, 10), { gw: GATEWAYS[0], ev: bad }, ...good.slice(10)];
    const answers = await Promise.all(all.map(({ gw, ev }) => post(gw.key, ev)));
    const badAnswer = answers[10]!;
    expect(badAnswer.statusCode).toBe(400);
    expect(badAnswer.json()).toEqual({
      error: 'invalid_event',
      message: 'the database refused this event: value out of range',
      issues: [{ path: '', message: 'the database refused this event: value out of range' }],
    });
    expect(answers.filter((_, i) => i !== 10).map((r) => r.statusCode)).toEqual(good.map(() => 202));
    expect(await storedOf(good)).toBe(50);
    expect(await countStored(fx.te, [bad.eventId])).toBe(0);
    expect(fx.te.logs.join('')).not.toContain('Karen');
  });

  it('answers an event that fails on its own for another reason 503 (re-send), not 400, and commits the others', async () => {
    const good = fiftyGood().slice(0, 20);
    const bad = alarm('gw-aabenraa', testEvent('aabenraa', 4, 'fall', { details: { fail: true } }));
    const items = [
      ...good.slice(0, 7).map(({ gw, ev }) => alarm(gw.id, ev)),
      bad,
      ...good.slice(7).map(({ gw, ev }) => alarm(gw.id, ev)),
    ];
    const settled = await Promise.allSettled(items.map((item) => fx.acceptor.accept(item)));
    expect(settled.map((s) => s.status)).toEqual(items.map((it) => (it === bad ? 'rejected' : 'fulfilled')));
    const err = (settled[7] as PromiseRejectedResult).reason;
    expect(err).not.toBeInstanceOf(EventRefused);
    expect(err).toMatchObject({ code: 'XX000' });
    expect(await storedOf(good)).toBe(20);

    const r = await post('aabenraa', testEvent('aabenraa', 4, 'fall', { details: { fail: true } }));
    expect(r.statusCode).toBe(503);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('answers every event 503 when every transaction fails, never 400, and does not take the commit apart item by item', async () => {
    const isolationsBefore = await metric('rc_accept_commit_isolations_total');
    const good = fiftyGood().slice(0, 40);
    await setFailAll(true);
    let settled;
    try {
      settled = await Promise.allSettled(good.map(({ gw, ev }) => fx.acceptor.accept(alarm(gw.id, ev))));
    } finally {
      await setFailAll(false);
    }
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason).not.toBeInstanceOf(EventRefused);
    }
    // Halving the first halves only: about log2(40) splits, where narrowing down every item takes 39.
    expect(await metric('rc_accept_commit_isolations_total')).toBeLessThanOrEqual(
      isolationsBefore + Math.ceil(Math.log2(40)),
    );
    expect(await storedOf(good)).toBe(0);
    // And the same events go through once the database accepts them again.
    const again = await Promise.all(good.map(({ gw, ev }) => post(gw.key, ev)));
    expect(again.map((r) => r.statusCode)).toEqual(good.map(() => 202));
  });
});

describe('a batch', () => {
  it('of 1000 with events the database refuses stores every other one, and keeps a repeated eventId a duplicate of its first occurrence', async () => {
    const events: Record<string, unknown>[] = Array.from({ length: 1000 }, (_, i) =>
      testEvent('toender', (i % 10) * 2 + 1, i % 4 ? 'low_battery' : 'pendant'),
    );
    const refusedAt = [0, 333, 500, 999];
    for (const i of refusedAt) events[i] = { ...events[i], details: { refuse: PERSONAL } };
    // Repeats: right after the first, and across the halves the commit is split into.
    events[11] = events[10]!;
    events[990] = events[10]!;
    events[700] = events[100]!;
    const r = await post('toender', { events }, '/v1/alarms/batch');
    expect(r.statusCode).toBe(202);
    const { results } = r.json() as {
      results: { eventId: string; alarmId?: string; duplicate?: boolean; error?: string; message?: string }[];
    };
    expect(results).toHaveLength(1000);
    results.forEach((x, i) => expect(x.eventId).toBe(events[i]!.eventId));
    for (const i of refusedAt)
      expect(results[i]).toEqual({
        eventId: events[i]!.eventId,
        error: 'invalid_event',
        message: 'the database refused this event: value out of range',
      });
    expect(results.filter((x) => x.alarmId)).toHaveLength(996);
    for (const [first, repeats] of [
      [10, [11, 990]],
      [100, [700]],
    ] as const) {
      expect(results[first]).toMatchObject({ duplicate: false, alarmId: expect.any(String) });
      for (const i of repeats)
        expect(results[i]).toEqual({
          eventId: events[first]!.eventId,
          alarmId: results[first]!.alarmId,
          duplicate: true,
        });
    }
    const stored = events.filter((_, i) => !refusedAt.includes(i)).map((e) => e.eventId as string);
    expect(await countStored(fx.te, [...new Set(stored)])).toBe(993);
    expect(
      await countStored(
        fx.te,
        refusedAt.map((i) => events[i]!.eventId as string),
      ),
    ).toBe(0);
    expect(r.body).not.toContain('Karen');
  });

  it('is answered 503 when an event fails for another reason: the gateway re-sends it, and what was stored answers as duplicates', async () => {
    const events = Array.from({ length: 6 }, (_, i) => testEvent('aabenraa', i * 2));
    const r = await post(
      'aabenraa',
      { events: [...events, { ...testEvent('aabenraa', 1), details: { fail: true } }] },
      '/v1/alarms/batch',
    );
    expect(r.statusCode).toBe(503);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    const again = await post('aabenraa', { events }, '/v1/alarms/batch');
    expect(again.statusCode).toBe(202);
    const results = again.json().results as { duplicate: boolean }[];
    expect(results.every((x) => x.duplicate)).toBe(true);
  });
});
