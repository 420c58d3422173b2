// Every value the database would refuse (or silently change) is refused by the validation, as the
// contract's 400 invalid_event naming the field; never a 5xx, never stored. Each rule is checked
// against Postgres itself first, so a rule stands only as long as Postgres needs it.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { epochMillis, jsonProblem, textProblem, timestampProblem } from '../../domain/storable.js';
import { MAX_DETAILS_BYTES, MAX_DETAILS_DEPTH } from '../../services/ingest/schemas.js';
import { gatewayKey, testEvent } from '../support/env.js';
import { ingestFixture } from './helpers.js';

const fx = ingestFixture();
const auth = { authorization: `Bearer ${gatewayKey('aabenraa')}` };

/** Post a body given as JSON text (to send what JSON.stringify cannot write, e.g. 1e400). */
const postText = (body: string, url = '/v1/alarms') =>
  fx.app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'application/json' }, payload: body });
const post = (body: unknown, url = '/v1/alarms') => postText(JSON.stringify(body), url);
const storedRows = (eventId: string) =>
  fx.te.rt.db
    .selectFrom('alarms')
    .selectAll()
    .where('gateway_id', '=', 'gw-aabenraa')
    .where('event_id', '=', eventId)
    .execute();

/** What Postgres makes of a value: its error code, or the value as it reads back. */
async function inPostgres(value: string, type: 'text' | 'jsonb' | 'timestamptz') {
  try {
    const r = await sql<{ v: unknown }>`SELECT ${value}::${sql.raw(type)} AS v`.execute(fx.te.rt.db);
    return { ok: true as const, value: r.rows[0]!.v };
  } catch (err) {
    return { ok: false as const, code: (err as { code?: string }).code };
  }
}

const NUL = 'a\u0000b';
const HIGH = 'a\ud800b';
const LOW = 'a\udc00b';
const PAIR = 'a\ud83d\ude00b';

describe('Postgres, as the rules assume it', () => {
  it('refuses NUL in text and jsonb, and a lone surrogate in jsonb; text stores a lone surrogate as U+FFFD', async () => {
    expect(await inPostgres(NUL, 'text')).toMatchObject({ ok: false, code: '22021' });
    expect(await inPostgres(JSON.stringify({ k: NUL }), 'jsonb')).toMatchObject({ ok: false, code: '22P05' });
    expect(await inPostgres(JSON.stringify({ [NUL]: 1 }), 'jsonb')).toMatchObject({ ok: false, code: '22P05' });
    for (const s of [HIGH, LOW]) {
      expect(await inPostgres(s, 'text')).toEqual({ ok: true, value: 'a\ufffdb' });
      expect(await inPostgres(JSON.stringify({ k: s }), 'jsonb')).toMatchObject({ ok: false, code: '22P02' });
    }
    expect(await inPostgres(PAIR, 'text')).toEqual({ ok: true, value: PAIR });
    const controls = 'x\u0001\u001f\u007f\uffff\ufffey';
    expect(await inPostgres(JSON.stringify({ k: PAIR + controls }), 'jsonb')).toEqual({
      ok: true,
      value: { k: PAIR + controls },
    });
  });

  it('has no year 0000 and no offset beyond ±15:59 in timestamptz, which ends long after 9999', async () => {
    expect(await inPostgres('0000-01-01T00:00:00Z', 'timestamptz')).toMatchObject({ ok: false, code: '22008' });
    expect(await inPostgres('2026-01-01T00:00:00+16:00', 'timestamptz')).toMatchObject({ ok: false, code: '22009' });
    expect(await inPostgres('2026-01-01T00:00:00-15:59', 'timestamptz')).toMatchObject({ ok: true });
    expect(await inPostgres('0001-01-01T00:00:00Z', 'timestamptz')).toMatchObject({ ok: true });
    // Accepted, but reads back as a time that is no RFC 3339 (a five-digit year): refused by the rules.
    const late = await inPostgres('9999-12-31T23:59:59-01:00', 'timestamptz');
    expect(late.ok && (late.value as Date).toISOString()).toBe('+010000-01-01T00:59:59.000Z');
    // Postgres rounds to the microsecond, here into the year 10000.
    const rounded = await inPostgres('9999-12-31T23:59:59.9999999Z', 'timestamptz');
    expect(rounded.ok && (rounded.value as Date).getUTCFullYear()).toBe(10000);
  });

  it('stores a JSON number beyond double range only as null once JavaScript has read it', () => {
    expect(JSON.parse('{"n": 1e400}')).toEqual({ n: Infinity });
    expect(JSON.stringify({ n: Infinity })).toBe('{"n":null}');
  });
});

describe('the rules (domain/storable.ts)', () => {
  it('tell storable text from text that is not', () => {
    expect(textProblem('DK-AAB-00042')).toBeUndefined();
    expect(textProblem(PAIR)).toBeUndefined();
    expect(textProblem(NUL)).toMatch(/U\+0000/);
    expect(textProblem(HIGH)).toMatch(/surrogate/);
    expect(textProblem(LOW)).toMatch(/surrogate/);
    expect(textProblem('\ud83d\ude00\ud83d')).toMatch(/surrogate/);
  });

  it('walk JSON of any depth without recursion and name the path of the first problem', () => {
    const limits = { maxDepth: 32, maxBytes: 4096 };
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(jsonProblem(deep, limits)).toMatchObject({ message: expect.stringMatching(/deeper than 32/) });
    const nest = (n: number) => {
      let v: unknown = 'leaf';
      for (let i = 0; i < n; i++) v = { a: v };
      return v;
    };
    expect(jsonProblem(nest(32), limits)).toBeUndefined();
    expect(jsonProblem(nest(33), limits)?.path).toHaveLength(32);
    expect(jsonProblem({ a: [1, { [NUL]: 2 }] }, limits)?.path).toEqual(['a', 1, NUL]);
    expect(jsonProblem({ a: [1, { k: LOW }] }, limits)).toMatchObject({ path: ['a', 1, 'k'] });
    expect(jsonProblem({ a: -Infinity }, limits)).toMatchObject({ path: ['a'] });
    expect(jsonProblem({ a: undefined }, limits)).toMatchObject({ message: 'is not a JSON value' });
    expect(jsonProblem({ a: 'ø'.repeat(2040) }, limits)).toBeUndefined();
    expect(jsonProblem({ a: 'ø'.repeat(2050) }, limits)).toMatchObject({ path: [] });
    // Gives up on a huge value as soon as it is known to be too long.
    const huge = { a: Array.from({ length: 2_000_000 }, () => 0) };
    const t0 = performance.now();
    expect(jsonProblem(huge, limits)).toMatchObject({ message: expect.stringMatching(/4096 bytes/) });
    expect(performance.now() - t0).toBeLessThan(50);
  });

  it('keep timestamps within what Postgres stores and reads back in RFC 3339', () => {
    for (const ok of [
      '2026-11-22T21:03:11Z',
      '0001-01-01T00:00:00Z',
      '0001-01-01T00:00:00+15:59',
      '9999-12-31T23:59:59.998Z',
      '9999-12-31T23:59:59.998999999Z',
      '2026-11-22T21:03:11.123456789-15:59',
    ])
      expect(timestampProblem(ok), ok).toBeUndefined();
    for (const bad of [
      '0000-01-01T00:00:00Z',
      '0000-12-31T23:00:00-02:00',
      '2026-11-22T21:03:11+16:00',
      '2026-11-22T21:03:11-23:59',
      '9999-12-31T23:59:59-00:01',
      '9999-12-31T23:59:59.999Z',
    ])
      expect(timestampProblem(bad), bad).toBeDefined();
  });
});

type Case = [what: string, field: string, mutate: (e: Record<string, unknown>) => Record<string, unknown>];
const deepDetails = (levels: number) => {
  let v: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
};

describe('POST /v1/alarms refuses what the database cannot store as sent', () => {
  it.each<Case>([
    ['a NUL in eventId', 'eventId', (e) => ({ ...e, eventId: `${e.eventId}${NUL}` })],
    ['a lone high surrogate in eventId', 'eventId', (e) => ({ ...e, eventId: `${e.eventId}${HIGH}` })],
    ['a lone low surrogate in eventId', 'eventId', (e) => ({ ...e, eventId: `${e.eventId}${LOW}` })],
    ['an eventId over 128 characters', 'eventId', (e) => ({ ...e, eventId: `${e.eventId}${'x'.repeat(128)}` })],
    ['a NUL in deviceId', 'deviceId', (e) => ({ ...e, deviceId: NUL })],
    ['a lone surrogate in deviceId', 'deviceId', (e) => ({ ...e, deviceId: HIGH })],
    ['a NUL in relatesTo', 'relatesTo', (e) => ({ ...e, relatesTo: NUL })],
    ['a lone surrogate in relatesTo', 'relatesTo', (e) => ({ ...e, relatesTo: LOW })],
    ['a NUL in a details key', 'details', (e) => ({ ...e, details: { [NUL]: 1 } })],
    ['a NUL in a deep details value', 'details.a.b.1', (e) => ({ ...e, details: { a: { b: [0, NUL] } } })],
    ['a NUL in a deep details key', 'details.a', (e) => ({ ...e, details: { a: [{ x: { [NUL]: 1 } }] } })],
    ['a lone surrogate in a details value', 'details.a', (e) => ({ ...e, details: { a: HIGH } })],
    ['a lone surrogate in a details key', 'details', (e) => ({ ...e, details: { [LOW]: 'x' } })],
    ['details deeper than 32 levels', 'details', (e) => ({ ...e, details: deepDetails(MAX_DETAILS_DEPTH + 1) })],
    ['details over 4 KiB in multibyte text', 'details', (e) => ({ ...e, details: { t: 'æ'.repeat(2100) } })],
    ['occurredAt in the year 0000', 'occurredAt', (e) => ({ ...e, occurredAt: '0000-06-01T12:00:00Z' })],
    ['occurredAt with an offset of +16:00', 'occurredAt', (e) => ({ ...e, occurredAt: '2026-06-01T12:00:00+16:00' })],
    ['occurredAt after 9999 in UTC', 'occurredAt', (e) => ({ ...e, occurredAt: '9999-12-31T23:30:00-01:00' })],
    ['occurredAt on a day that does not exist', 'occurredAt', (e) => ({ ...e, occurredAt: '2026-02-30T12:00:00Z' })],
    ['occurredAt at a leap second', 'occurredAt', (e) => ({ ...e, occurredAt: '2016-12-31T23:59:60Z' })],
    ['occurredAt without an offset', 'occurredAt', (e) => ({ ...e, occurredAt: '2026-06-01T12:00:00' })],
    ['a fractional batteryPercent', 'batteryPercent', (e) => ({ ...e, batteryPercent: 50.5 })],
    ['a negative batteryPercent', 'batteryPercent', (e) => ({ ...e, batteryPercent: -1 })],
    ['a batteryPercent beyond smallint', 'batteryPercent', (e) => ({ ...e, batteryPercent: 100000 })],
  ])('%s: 400 invalid_event naming %s, nothing stored', async (_what, field, mutate) => {
    const ev = testEvent('aabenraa', 1);
    const r = await post(mutate(ev));
    expect(r.statusCode).toBe(400);
    const body = r.json();
    expect(body.error).toBe('invalid_event');
    expect(body.issues.some((i: { path: string }) => i.path.startsWith(field))).toBe(true);
    expect(body.message).toContain(field.split('.')[0]);
    expect(await storedRows(ev.eventId)).toHaveLength(0);
  });

  it.each([
    ['a number beyond double range in details', 'details.n', '"details": {"n": 1e400}'],
    ['a batteryPercent beyond double range', 'batteryPercent', '"batteryPercent": -1e400'],
  ])('%s: 400 invalid_event naming %s', async (_what, field, json) => {
    const ev = testEvent('aabenraa', 1);
    const r = await postText(`${JSON.stringify(ev).slice(0, -1)}, ${json}}`);
    expect(r.statusCode).toBe(400);
    expect(r.json().issues.map((i: { path: string }) => i.path)).toContain(field);
    expect(await storedRows(ev.eventId)).toHaveLength(0);
  });

  it('answers a body nested as deep as 64 KiB allows with 400, not a 5xx', async () => {
    const ev = testEvent('aabenraa', 1);
    const depth = 30_000;
    const r = await postText(
      `${JSON.stringify(ev).slice(0, -1)}, "details": {"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
    );
    expect(r.statusCode).toBe(400);
    expect(r.json().issues[0].path).toMatch(/^details\.a/);
    expect(r.json().issues[0].message).toMatch(/deeper than 32 levels/);
  });

  it('stores what lies just within the rules, exactly as sent', async () => {
    const edge = [
      { eventId: `${testEvent('aabenraa', 1).eventId}-${PAIR}`, occurredAt: '0001-01-01T00:00:00Z' },
      { eventId: `${testEvent('aabenraa', 1).eventId}-x`, occurredAt: '9999-12-31T23:59:59.998Z' },
      { eventId: `${testEvent('aabenraa', 1).eventId}-y`, occurredAt: '2026-06-01T12:00:00.123456789+15:59' },
    ];
    const details = {
      text: `${PAIR} \u0001\u001f\u007f\uffff æøå`,
      nested: deepDetails(MAX_DETAILS_DEPTH - 1),
      numbers: [0, -0.5, 1e308, -1e-300, 2 ** 53],
    };
    expect(Buffer.byteLength(JSON.stringify(details))).toBeLessThanOrEqual(MAX_DETAILS_BYTES);
    for (const e of edge) {
      const ev = { ...testEvent('aabenraa', 1), ...e, deviceId: `dev-${PAIR}`, relatesTo: PAIR, details };
      const r = await post(ev);
      expect(r.statusCode, r.body).toBe(202);
      const [row] = await storedRows(ev.eventId);
      expect(row).toMatchObject({ event_id: ev.eventId, device_id: ev.deviceId, relates_to: PAIR, details });
      expect(row!.occurred_at.getTime()).toBe(Date.parse(ev.occurredAt));
    }
  });
});

describe('POST /v1/alarms/batch applies the same rules to each event on its own', () => {
  it('stores the good events around refused ones, also next to one nested millions deep', async () => {
    const good = Array.from({ length: 20 }, (_, i) => testEvent('aabenraa', i % 10));
    const bad = [
      { ...testEvent('aabenraa', 1), eventId: `x${NUL}` },
      { ...testEvent('aabenraa', 1), details: { k: LOW } },
      { ...testEvent('aabenraa', 1), occurredAt: '0000-01-01T00:00:00Z' },
    ];
    const depth = 3_000_000;
    const deep = `{"eventId":"deep-${Date.now()}","deviceId":"d","type":"pendant","occurredAt":"2026-01-01T00:00:00Z","details":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    const events = [good[0], bad[0], ...good.slice(1, 10), bad[1], ...good.slice(10), bad[2]].map((e) =>
      JSON.stringify(e),
    );
    events.splice(5, 0, deep);
    const r = await postText(`{"events":[${events.join(',')}]}`, '/v1/alarms/batch');
    expect(r.statusCode).toBe(202);
    const { results } = r.json() as { results: { eventId: string; alarmId?: string; error?: string }[] };
    expect(results).toHaveLength(24);
    expect(results.filter((x) => x.alarmId)).toHaveLength(20);
    expect(results.filter((x) => x.error === 'invalid_event').map((x) => x.eventId)).toEqual([
      bad[0]!.eventId,
      expect.stringMatching(/^deep-/),
      bad[1]!.eventId,
      bad[2]!.eventId,
    ]);
    for (const e of good) expect(await storedRows(e.eventId)).toHaveLength(1);
  });
});

describe('reading an instant', () => {
  it('truncates a long fraction to milliseconds, as Postgres rounds it to microseconds', () => {
    expect(epochMillis('9999-12-01T19:36:00.0021824776+12:57')).toBe(Date.UTC(9999, 11, 1, 6, 39, 0, 2));
    expect(epochMillis('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(epochMillis('2026-01-01T00:00:00.5Z')).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 500));
    expect(timestampProblem('9999-12-31T23:59:59.9989999999Z')).toBeUndefined();
    expect(timestampProblem('9999-12-31T23:59:59.9990000001Z')).toMatch(/later than/);
  });
});
