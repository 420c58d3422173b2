// The session cookie rides along with anything a browser sends: a write or a live-feed upgrade that
// it authenticates must come from the console's own origin. A bearer token is not sent by browsers
// on their own, so it needs no such check; reads change nothing.
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { bearer, consoleAppFixture, login, newAlarm, storeAlarms } from './helpers.js';

const fx = consoleAppFixture();
/** What the console's own pages send with every request. */
const OWN_PAGE = { 'x-requested-with': 'responscenter' };
const HOST = 'console.example:8081';

async function cookieOf(username: 'op-both'): Promise<{ cookie: string; token: string }> {
  const r = await fx.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    headers: { host: HOST },
    payload: { username, password: 'pw-op-both-123' },
  });
  const set = String(r.headers['set-cookie']);
  return { cookie: set.split(';')[0]!, token: r.json().token };
}

const claim = (alarmId: string, headers: Record<string, string>) =>
  fx.app.inject({
    method: 'POST',
    url: `/v1/alarms/${alarmId}/claim`,
    headers: { host: HOST, ...headers },
    payload: {},
  });
const holder = async (alarmId: string) =>
  (await fx.te.rt.db.selectFrom('alarms').select('claimed_by').where('id', '=', alarmId).executeTakeFirstOrThrow())
    .claimed_by;

describe('cookie-authenticated requests come from the console’s own pages', () => {
  it('refuses a write with the cookie from another origin, and changes nothing', async () => {
    const { cookie } = await cookieOf('op-both');
    const [a] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 2));
    const attempts: Record<string, string>[] = [
      { cookie, origin: 'https://evil.example' },
      { cookie, referer: 'https://evil.example/page' },
      { cookie, origin: 'null' },
    ];
    for (const headers of attempts) {
      const r = await claim(a!, headers);
      expect(r.statusCode).toBe(403);
      expect(r.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('Origin') });
    }
    expect(await holder(a!)).toBeNull();
  });

  it('accepts a write with the cookie from its own origin, a bearer token from anywhere, and reads as before', async () => {
    const { cookie, token } = await cookieOf('op-both');
    const [a, b] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 4), newAlarm('toender', 4));
    expect((await claim(a!, { cookie, origin: `http://${HOST}`, ...OWN_PAGE })).statusCode).toBe(200);
    expect(await holder(a!)).toBe('op-both');
    // Naming no origin, with the console's header.
    const [c] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 6));
    expect((await claim(c!, { cookie, ...OWN_PAGE })).statusCode).toBe(200);
    expect((await claim(b!, { ...bearer(token), origin: 'https://evil.example' })).statusCode).toBe(200);
    const read = await fx.app.inject({
      method: 'GET',
      url: `/v1/alarms/${a}`,
      headers: { host: HOST, cookie, origin: 'https://evil.example' },
    });
    expect(read.statusCode).toBe(200);
  });

  it('refuses a cookie write without the console’s header, even from its own origin, and changes nothing', async () => {
    const { cookie } = await cookieOf('op-both');
    const [a] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 8));
    const attempts: Record<string, string>[] = [
      { cookie, origin: `http://${HOST}` },
      { cookie },
      { cookie, 'x-requested-with': 'XMLHttpRequest' },
    ];
    for (const headers of attempts) {
      const r = await claim(a!, headers);
      expect(r.statusCode).toBe(403);
      expect(r.json().message).toContain('x-requested-with: responscenter');
    }
    expect(await holder(a!)).toBeNull();
  });

  it('refuses any cookie request a browser says comes from another site or a sibling of it, reads too, and audits nothing', async () => {
    const { cookie } = await cookieOf('op-both');
    const audits = () =>
      fx.te.rt.db
        .selectFrom('citizen_reads')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('citizen_id', '=', 'c-aabenraa-0')
        .executeTakeFirstOrThrow()
        .then((r) => Number(r.n));
    const before = await audits();
    for (const site of ['same-site', 'cross-site']) {
      const r = await fx.app.inject({
        method: 'GET',
        url: '/v1/citizens/c-aabenraa-0',
        headers: { host: HOST, cookie, 'sec-fetch-site': site },
      });
      expect(r.statusCode).toBe(403);
      expect(r.json().message).toContain('Sec-Fetch-Site');
    }
    expect(await audits()).toBe(before);
    const own = await fx.app.inject({
      method: 'GET',
      url: '/v1/citizens/c-aabenraa-0',
      headers: { host: HOST, cookie, 'sec-fetch-site': 'same-origin' },
    });
    expect(own.statusCode).toBe(200);
    expect(await audits()).toBe(before + 1);
  });

  it('opens the live feed with the cookie only from its own origin', async () => {
    const url = await fx.app.listen({ port: 0, host: '127.0.0.1' });
    const token = await login(fx.app, 'op-both');
    const cookie = `__Host-rc_session=${token}`;
    const host = new URL(url).host;
    const open = (origin: string) =>
      new Promise<number | 'open'>((resolve) => {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/live`, { headers: { cookie, origin } });
        ws.once('open', () => {
          ws.close();
          resolve('open');
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      });
    expect(await open('https://evil.example')).toBe(403);
    expect(await open(`http://${host}`)).toBe('open');
  });
});
