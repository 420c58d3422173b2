// Registering webhooks: only admins, only well-formed http(s) URLs and strong secrets, a bad request
// changes nothing; the health list shows each user only the municipalities in its scope, and never a
// secret or a URL's path.
import { describe, expect, it } from 'vitest';
import { bearer, consoleFixture, type TestUser } from '../console/helpers.js';
import { newSecret } from './helpers.js';

const fx = consoleFixture();
const put = (user: TestUser, m: string, payload: object) =>
  fx.app.inject({ method: 'PUT', url: `/v1/admin/webhooks/${m}`, headers: bearer(fx.tokens[user]), payload });
const del = (user: TestUser, m: string) =>
  fx.app.inject({ method: 'DELETE', url: `/v1/admin/webhooks/${m}`, headers: bearer(fx.tokens[user]) });
const stored = (m: string) =>
  fx.te.rt.db.selectFrom('webhooks').selectAll().where('municipality_id', '=', m).executeTakeFirst();
const listed = async (user: TestUser, query = '') => {
  const r = await fx.get(user, `/v1/webhooks${query}`);
  expect(r.statusCode).toBe(200);
  return r.json().webhooks as { municipality: string }[];
};

describe('PUT /v1/admin/webhooks/:municipality', () => {
  it('registers and replaces a webhook for an admin, answering its health without the secret', async () => {
    const secret = newSecret();
    const r = await put('admin', 'toender', { url: 'https://Pleje.Example.dk/hooks/rc?key=1', secret });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      municipality: 'toender',
      status: 'pending',
      host: 'pleje.example.dk',
      lastDeliveredAt: null,
      failingSince: null,
      pending: 0,
      lastError: null,
      alert: false,
    });
    expect(r.body).not.toContain(secret);
    expect(await stored('toender')).toMatchObject({ url: 'https://pleje.example.dk/hooks/rc?key=1', secret });

    const next = newSecret();
    expect((await put('admin', 'toender', { url: 'http://10.0.0.7:8443/rc', secret: next })).statusCode).toBe(200);
    expect(await stored('toender')).toMatchObject({ url: 'http://10.0.0.7:8443/rc', secret: next });
    expect(fx.te.logs.join('')).not.toContain(next);
  });

  it.each([
    ['an ftp URL', { url: 'ftp://pleje.example.dk/x' }, 'url'],
    ['a relative URL', { url: '/hooks' }, 'url'],
    ['no URL at all', { url: 'not a url' }, 'url'],
    ['a URL with a password', { url: 'https://rc:pw@pleje.example.dk/' }, 'url'],
    ['a URL with a NUL', { url: 'https://pleje.example.dk/\u0000' }, 'url'],
    ['a URL with a lone surrogate', { url: 'https://pleje.example.dk/\ud800' }, 'url'],
    ['a URL too long', { url: `https://pleje.example.dk/${'a'.repeat(2048)}` }, 'url'],
    ['a short secret', { secret: 'a'.repeat(31) }, 'secret'],
    ['a secret with a space', { secret: `${'a'.repeat(20)} ${'b'.repeat(20)}` }, 'secret'],
    ['a secret with a NUL', { secret: `${'a'.repeat(40)}\u0000` }, 'secret'],
    ['a secret beyond ASCII', { secret: 'æ'.repeat(40) }, 'secret'],
    ['a secret too long', { secret: 'a'.repeat(257) }, 'secret'],
    ['no secret', { secret: undefined }, 'secret'],
  ])('refuses %s with 400 naming the field, and stores nothing', async (_what, change, field) => {
    const body = { url: 'https://pleje.example.dk/rc', secret: newSecret(), ...change };
    const r = await put('admin', 'aabenraa', body);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: 'invalid_request', issues: [expect.objectContaining({ path: field })] });
    expect(await stored('aabenraa')).toBeUndefined();
  });

  it('is for admins only (403, before anything is looked up), and 404 for a municipality that does not exist', async () => {
    const body = { url: 'https://pleje.example.dk/rc', secret: newSecret() };
    for (const user of ['op-aab', 'sup-all', 'plan-aab', 'ana-toe'] as const) {
      expect((await put(user, 'aabenraa', body)).statusCode).toBe(403);
      expect((await del(user, 'aabenraa')).statusCode).toBe(403);
    }
    expect(await stored('aabenraa')).toBeUndefined();
    const missing = await put('admin', 'nowhere', body);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'not_found', message: 'no such municipality' });
    expect((await put('admin', 'a%00b', body)).statusCode).toBe(400);
  });
});

describe('DELETE /v1/admin/webhooks/:municipality', () => {
  it('removes a webhook (204), then answers 404; 404 for an unknown municipality', async () => {
    expect((await put('admin', 'aabenraa', { url: 'https://x.example.dk/', secret: newSecret() })).statusCode).toBe(
      200,
    );
    expect((await del('admin', 'aabenraa')).statusCode).toBe(204);
    expect(await stored('aabenraa')).toBeUndefined();
    expect((await del('admin', 'aabenraa')).statusCode).toBe(404);
    expect((await del('admin', 'nowhere')).statusCode).toBe(404);
  });
});

describe('GET /v1/webhooks', () => {
  it('shows every municipality in the user’s scope and none outside it; never a secret or a URL’s path', async () => {
    const secret = newSecret();
    await put('admin', 'toender', { url: 'https://pleje.example.dk/private/path', secret });
    expect((await listed('op-aab')).map((w) => w.municipality)).toEqual(['aabenraa']);
    expect((await listed('plan-aab')).map((w) => w.municipality)).toEqual(['aabenraa']);
    expect((await listed('op-toe')).map((w) => w.municipality)).toEqual(['toender']);
    expect((await listed('op-both')).map((w) => w.municipality)).toEqual(['aabenraa', 'toender']);
    expect((await listed('sup-all')).map((w) => w.municipality)).toEqual(['aabenraa', 'toender']);
    expect(await listed('op-aab', '?municipality=toender')).toEqual([]);
    expect(await listed('admin', '?municipality=toender')).toEqual([
      expect.objectContaining({ municipality: 'toender', status: 'pending', host: 'pleje.example.dk' }),
    ]);
    const all = await fx.get('admin', '/v1/webhooks');
    expect(all.body).not.toContain(secret);
    expect(all.body).not.toContain('/private/path');
    expect((await fx.get('ana-toe', '/v1/webhooks')).statusCode).toBe(403);
    // A municipality filter the database cannot compare is bad input here as on the other lists.
    for (const list of ['webhooks', 'alarms', 'dispatches'])
      expect((await fx.get('admin', `/v1/${list}?municipality=a%00b`)).statusCode).toBe(400);
  });
});

describe('the OpenAPI', () => {
  it('documents the webhook routes and how a receiver verifies a delivery', async () => {
    const spec = (await fx.get('ana-toe', '/docs/json')).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/webhooks', '/v1/admin/webhooks/{municipality}']),
    );
    const description = spec.paths['/v1/admin/webhooks/{municipality}'].put.description as string;
    for (const word of [
      'X-Responscenter-Signature',
      'X-Responscenter-Timestamp',
      'X-Responscenter-Delivery',
      'HMAC-SHA256',
    ])
      expect(description).toContain(word);
    const dispatch = spec.paths['/v1/dispatches/{id}'].get.responses['200'].content['application/json'].schema;
    expect(JSON.stringify(dispatch)).toContain('webhook');
  });
});
