// Arbitrary input through the real ingest: any string (NUL and lone surrogates included), any number
// (huge, negative, fractional, beyond double range), any JSON, in every field of an event. Whatever
// comes in, ingest never answers 5xx, stores nothing for a refused event, stores an accepted one
// exactly as sent, and stays ready. And below the validation: whatever the database refuses, the good
// alarms sharing its commit are stored.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, VOICE_STATES } from '../../domain/events.js';
import { epochMillis } from '../../domain/storable.js';
import type { NewAlarm } from '../../db/accept.js';
import { EventRefused } from '../../services/ingest/acceptor.js';
import { gatewayKey, testEvent } from '../support/env.js';
import { ingestFixture } from './helpers.js';

const fx = ingestFixture();
const auth = { authorization: `Bearer ${gatewayKey('aabenraa')}`, 'content-type': 'application/json' };

// ---- Arbitraries ----

/** One UTF-16 unit or code point: anything Unicode has, plus NUL and lone surrogates, often. */
const unit = fc.oneof(
  { weight: 12, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constant('\u0000') },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);
const anyString = fc.string({ unit, maxLength: 140 });
/** Without lone surrogates: text Postgres stores as U+FFFD instead of refusing it (see below). */
const anyStringNoSurrogate = fc.string({
  unit: fc.oneof(
    { weight: 12, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.constant('\u0000') },
  ),
  maxLength: 140,
});

/** A number as JSON text writes it, also beyond what a double holds (read as ±Infinity or 0). */
class RawNumber {
  constructor(readonly text: string) {}
}
const anyNumber = fc.oneof(
  fc.integer(),
  fc.integer({ min: -200, max: 200 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    ...['1e400', '-1e400', '1e-400', '-0', '123456789012345678901234567890', '100.0', '1E2', '9007199254740993'].map(
      (t) => new RawNumber(t),
    ),
  ),
);

/** JSON nested about as deep as the limit, on either side of it. */
const nested = fc.tuple(fc.integer({ min: 28, max: 36 }), fc.boolean()).map(([levels, arrays]) => {
  let v: unknown = 'leaf';
  for (let i = 1; i < levels; i++) v = arrays ? [v] : { a: v };
  return { deep: v };
});
const anyJson = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ stringUnit: unit, maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(anyString, fc.oneof(anyString, anyNumber), { maxKeys: 4 }) },
  { weight: 1, arbitrary: nested },
);

const pad = (n: number, w: number) => String(n).padStart(w, '0');
/** RFC 3339-shaped times around every edge: year 0000 and 9999, day 31, hour 24, second 60, any offset. */
const anyTimestamp = fc
  .record({
    year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 1, 9999, 2026)),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 24 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.integer({ min: 0, max: 60 }),
    fraction: fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 12 }),
    offset: fc.oneof(
      fc.constantFrom('Z', 'z', '', '+00:00', '-00:00', '+15:59', '-15:59', '+16:00', '-23:59', '+0100'),
      fc
        .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
        .map(([s, h, m]) => `${s}${pad(h, 2)}:${pad(m, 2)}`),
    ),
  })
  .map(
    (t) =>
      `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}T${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}` +
      `${t.fraction ? `.${t.fraction}` : ''}${t.offset}`,
  );
const plausibleTime = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

/** Text that is valid everywhere: any code point but U+0000, never a lone surrogate. */
const validText = (min: number, max: number) =>
  fc.string({ unit: 'binary', minLength: min, maxLength: max }).map((t) => t.replaceAll('\u0000', '\u0001'));

/** A valid event with exotic but storable text (or nearly: astral characters count two towards a length). */
const validEvent = fc.record(
  {
    eventId: fc.tuple(fc.uuid(), validText(0, 40)).map(([u, t]) => `${u}${t}`),
    deviceId: fc.oneof(fc.constantFrom('dev-aabenraa-0', 'dev-aabenraa-2', 'dev-toender-1'), validText(1, 64)),
    type: fc.constantFrom(...EVENT_TYPES),
    occurredAt: plausibleTime,
    voice: fc.constantFrom(...VOICE_STATES),
    relatesTo: validText(1, 128),
    batteryPercent: fc.integer({ min: 0, max: 100 }),
    details: fc.dictionary(validText(0, 20), fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 3 }), { maxKeys: 6 }),
  },
  { requiredKeys: ['eventId', 'deviceId', 'type', 'occurredAt'] },
);

/** For each field, values of any kind, most of them wrong. */
const anything = fc.oneof(anyString, anyNumber, anyJson, fc.constant(null));
const hostile = {
  eventId: fc.oneof(anyString, anything),
  deviceId: fc.oneof(anyString, anything),
  type: anything,
  occurredAt: fc.oneof(anyTimestamp, anyTimestamp, anything),
  voice: anything,
  relatesTo: fc.oneof(anyString, anything),
  batteryPercent: fc.oneof(anyNumber, anything),
  details: fc.oneof(anyJson, fc.dictionary(anyString, anyJson, { maxKeys: 5 }), nested),
  // Unknown fields are ignored, whatever they hold.
  extra: anything,
};
const FIELDS = Object.keys(hostile) as (keyof typeof hostile)[];

/** A valid event as it is, with one field replaced by anything, or with any number of them. */
const anyEvent = fc
  .tuple(
    validEvent,
    fc.oneof(
      { weight: 1, arbitrary: fc.constant({}) },
      {
        weight: 4,
        arbitrary: fc
          .constantFrom(...FIELDS)
          .chain((f) => (hostile[f] as fc.Arbitrary<unknown>).map((v) => ({ [f]: v }))),
      },
      { weight: 2, arbitrary: fc.record(hostile, { requiredKeys: [] }) },
    ),
  )
  .map(([base, replaced]) => ({ ...base, ...replaced }) as Record<string, unknown>);

/** JSON text of a generated value, with RawNumbers written as their text. */
function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) =>
    v instanceof RawNumber ? `\u0002raw${raws.push(v.text) - 1}\u0002` : v,
  );
  return text.replace(/"\\u0002raw(\d+)\\u0002"/g, (_m, i: string) => raws[Number(i)]!);
}

// ---- Oracles ----

const countAlarms = async () =>
  Number(
    (
      await fx.te.rt.db
        .selectFrom('alarms')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** The stored alarm of an accepted event matches the event as the server read it, exactly. */
async function expectStoredAsSent(event: Record<string, unknown>, alarmId: string, duplicate: boolean) {
  const row = await fx.te.rt.db.selectFrom('alarms').selectAll().where('id', '=', alarmId).executeTakeFirstOrThrow();
  expect(row.event_id).toBe(event.eventId);
  if (duplicate) return;
  expect(row.device_id).toBe(event.deviceId);
  expect(row.type).toBe(event.type);
  expect(row.voice).toBe(event.voice ?? null);
  expect(row.relates_to).toBe(event.relatesTo ?? null);
  expect(row.battery_percent).toBe(event.batteryPercent ?? null);
  expect(row.details).toEqual(event.details ?? {});
  // Postgres keeps microseconds, a Date milliseconds; each rounds its own way.
  expect(Math.abs(row.occurred_at.getTime() - epochMillis(event.occurredAt as string))).toBeLessThanOrEqual(1);
}

type Result = { eventId: string | null; alarmId?: string; duplicate?: boolean; error?: string; message?: string };

describe('arbitrary events through the real ingest', () => {
  it('never answer 5xx, store nothing when refused, store exactly what was sent when accepted', async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(anyEvent, fc.boolean(), async (generated, inBatch) => {
        const bodyText = toJsonText(generated);
        // What the server reads: the event as JSON.parse gives it (1e400 as Infinity, -0 as -0).
        const event = JSON.parse(bodyText) as Record<string, unknown>;
        // What it is as JSON (what jsonb compares): -0 is 0.
        const asJson = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
        const before = await countAlarms();
        if (!inBatch) {
          const r = await fx.app.inject({ method: 'POST', url: '/v1/alarms', headers: auth, payload: bodyText });
          expect(r.statusCode, r.body).toBeLessThan(500);
          expect([200, 202, 400]).toContain(r.statusCode);
          if (r.statusCode === 400) {
            refused++;
            expect(r.json()).toMatchObject({ error: expect.stringMatching(/^invalid_/), message: expect.any(String) });
            expect(await countAlarms()).toBe(before);
          } else {
            accepted++;
            const body = r.json() as { alarmId: string; duplicate: boolean };
            expect(body.duplicate).toBe(r.statusCode === 200);
            expect(await countAlarms()).toBe(before + (body.duplicate ? 0 : 1));
            await expectStoredAsSent(asJson, body.alarmId, body.duplicate);
          }
          return;
        }
        // In a batch, beside a good event that must be stored whatever its neighbour is.
        const good = testEvent('aabenraa', 4);
        const r = await fx.app.inject({
          method: 'POST',
          url: '/v1/alarms/batch',
          headers: auth,
          payload: `{"events":[${bodyText},${JSON.stringify(good)}]}`,
        });
        expect(r.statusCode, r.body).toBeLessThan(500);
        if (r.statusCode === 400) {
          // Only a body Fastify will not parse at all (a __proto__ key) refuses the whole batch.
          expect(r.json().error).toBe('invalid_json');
          expect(await countAlarms()).toBe(before);
          return;
        }
        expect(r.statusCode, r.body).toBe(202);
        const [mine, theirs] = (r.json() as { results: Result[] }).results;
        expect(theirs).toMatchObject({ eventId: good.eventId, duplicate: false, alarmId: expect.any(String) });
        if (mine!.error) {
          refused++;
          expect(mine!.error).toBe('invalid_event');
          expect(await countAlarms()).toBe(before + 1);
        } else {
          accepted++;
          expect(await countAlarms()).toBe(before + 1 + (mine!.duplicate ? 0 : 1));
          await expectStoredAsSent(asJson, mine!.alarmId!, mine!.duplicate!);
        }
      }),
      { numRuns: 250 },
    );
    // The generators reach both sides of the rules.
    expect(accepted).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);

    const ready = await fx.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    const after = await fx.app.inject({
      method: 'POST',
      url: '/v1/alarms',
      headers: auth,
      payload: testEvent('aabenraa', 6),
    });
    expect(after.statusCode).toBe(202);
  });
});

describe('arbitrary alarms below the validation, in a group commit with good ones', () => {
  /**
   * Well-typed but unvalidated: strings are any strings, the battery any number, details any JSON.
   * Only the eventId has no lone surrogate: Postgres would store it as U+FFFD, so the alarm could not
   * be found under the id it was sent with and storeAlarms fails it as it fails an unknown gateway,
   * not as data (a 503, after isolation). The validation refuses such ids.
   */
  const anyAlarm = fc.record({
    eventId: anyStringNoSurrogate,
    deviceId: anyString,
    type: fc.constantFrom(...EVENT_TYPES),
    occurredAt: fc.oneof(anyTimestamp, anyString),
    voice: fc.constantFrom(...VOICE_STATES),
    relatesTo: fc.option(anyString, { nil: null }),
    batteryPercent: fc.option(
      fc.oneof(
        fc.integer(),
        fc.double({ noNaN: true }),
        anyNumber.filter((n): n is number => typeof n === 'number'),
      ),
      { nil: null },
    ),
    details: fc.option(fc.dictionary(anyString, anyJson, { maxKeys: 4 }), { nil: null }),
  });

  it('commit every good alarm, whatever the database makes of the others', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(anyAlarm, { minLength: 1, maxLength: 4 }), async (generated) => {
        const tag = `fzb-${n++}-`;
        const bad = generated.map(
          (a) => ({ ...a, gatewayId: 'gw-aabenraa', eventId: `${tag}${a.eventId}` }) as NewAlarm,
        );
        const good = Array.from({ length: 6 }, (_, i) => ({
          gatewayId: i % 2 ? 'gw-toender' : 'gw-both',
          ...testEvent('toender', i * 2 + 1),
        })) as NewAlarm[];
        const items = [...good.slice(0, 3), ...bad, ...good.slice(3)];
        const settled = await Promise.allSettled(items.map((item) => fx.acceptor.accept(item)));
        settled.forEach((s, i) => {
          const reason = s.status === 'rejected' ? s.reason : undefined;
          // Good alarms are committed; what the database cannot take as data is refused as such.
          if (good.includes(items[i]!)) expect(s.status, String(reason)).toBe('fulfilled');
          else if (reason !== undefined) expect(reason, String(reason)).toBeInstanceOf(EventRefused);
        });
      }),
      { numRuns: 40 },
    );
    expect((await fx.app.inject('/readyz')).statusCode).toBe(200);
  });
});
