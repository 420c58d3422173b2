// Arbitrary text in every string a console client sends that reaches a query: the login's username, a
// citizen or alarm id in the URL, a list filter, a resolve note, a dispatch's team, the ids of a board's
// names. Whatever comes in (NUL and lone surrogates included), the console answers with a 2xx or a 4xx,
// never a 5xx, changes nothing it refused, and stays ready.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consoleFixture, newAlarm, storeAlarms } from '../console/helpers.js';
import { encode } from '../support/percent-encode.js';

const fx = consoleFixture();

/** One UTF-16 unit or code point: anything Unicode has, plus NUL and lone surrogates, often. */
const unit = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constant('\u0000') },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);
const anyString = fc.string({ unit, minLength: 1, maxLength: 80 });

const RUNS = 60;

/** The status of every answer must be below 500. */
const notServerError = (status: number, what: string) => expect(status, what).toBeLessThan(500);

describe('no input on a console path gives a 5xx', () => {
  it('login with any username or password: 400 or 401, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(anyString, anyString, async (username, password) => {
        const r = await fx.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username, password } });
        notServerError(r.statusCode, `login ${JSON.stringify(username)}`);
        expect([400, 401, 429]).toContain(r.statusCode);
      }),
      { numRuns: RUNS },
    );
    expect((await fx.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('any id in the URL and any filter: 4xx or an empty answer', async () => {
    await fc.assert(
      fc.asyncProperty(anyString, async (s) => {
        const e = encode(s);
        for (const url of [
          `/v1/citizens/${e}`,
          `/v1/alarms/${e}`,
          `/v1/dispatches/${e}`,
          `/v1/alarms?municipality=${e}`,
          `/v1/dispatches?municipality=${e}`,
          `/v1/citizens?ids=${e}`,
        ]) {
          const r = await fx.get('op-both', url);
          notServerError(r.statusCode, `GET ${url}`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('any resolve note and any dispatch team: 200 when storable, else 400 and nothing changed', async () => {
    await fc.assert(
      fc.asyncProperty(anyString, anyString, async (note, team) => {
        const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 500));
        const r = await fx.post('op-aab', `/v1/alarms/${id}/resolve`, { outcome: 'dispatch', note });
        notServerError(r.statusCode, `resolve note ${JSON.stringify(note)}`);
        const row = await fx.te.rt.db.selectFrom('alarms').selectAll().where('id', '=', id!).executeTakeFirstOrThrow();
        if (r.statusCode !== 200) {
          expect(r.statusCode).toBe(400);
          expect(row.status).toBe('received');
          // Resolve it plainly, so the device's next alarm starts a new incident.
          expect((await fx.post('op-aab', `/v1/alarms/${id}/resolve`, { outcome: 'dispatch' })).statusCode).toBe(200);
        } else {
          expect(row.note).toBe(note);
        }
        const dispatch = await fx.te.rt.db
          .selectFrom('dispatches')
          .selectAll()
          .where('alarm_id', '=', id!)
          .executeTakeFirstOrThrow();
        const t = await fx.post('plan-aab', `/v1/dispatches/${dispatch.id}/status`, { status: 'accepted', team });
        notServerError(t.statusCode, `team ${JSON.stringify(team)}`);
        const after = await fx.te.rt.db
          .selectFrom('dispatches')
          .selectAll()
          .where('id', '=', dispatch.id)
          .executeTakeFirstOrThrow();
        if (t.statusCode === 200) expect(after.team).toBe(team);
        else expect(after).toMatchObject({ status: 'requested', team: null });
      }),
      { numRuns: 30 },
    );
  });

  it('names the refused field and its problem in the 400', async () => {
    const r = await fx.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'op\u0000aab', password: 'x' },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/username/);
    expect(r.json().message).toMatch(/NUL/);
  });
});
