// Hostile input on every route of the console and of ingest, generated from their route tables: each
// route's valid request (route-world.ts, FILL) with one part made hostile — a path parameter, a query
// parameter (also repeated, or one the route does not know, `__proto__` and `constructor[prototype]`
// included), a body field or the whole body (arrays instead of objects, deep nesting, huge strings,
// NUL, lone surrogates, numbers beyond range, prototype-pollution keys, text that is not JSON, other
// content types) — as an administrator of every municipality and as an operator of one. Never a 5xx;
// a refused request (4xx) leaves every table as it was; the service stays ready.
//
// FUZZ_RUNS [20] requests per route and user, FUZZ_SEED [20261201] repeats a run (printed on failure).
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpApp, RouteEntry } from '../../platform/http.js';
import { buildIngestApp, INGEST_PUBLIC_ROUTES } from '../../services/ingest/app.js';
import { gatewayKey, testEvent } from '../support/env.js';
import { createWorld, FILL, MATRIX_USERS, type Fill, type Filled, type World } from './route-world.js';
import { encode } from '../support/percent-encode.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);

let w: World;
let ingest: HttpApp;
beforeAll(async () => {
  w = await createWorld();
  const built = await buildIngestApp(w.te.rt);
  w.te.onClose(built.close);
  ingest = built.app;
  await ingest.ready();
}, 60_000);
afterAll(() => w?.te.close());

// ---- Hostile values ----

/** One UTF-16 unit or code point: anything Unicode has, plus NUL and lone surrogates, often. */
const unit = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constant('\u0000') },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);
const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit, maxLength: 60 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '\ud800',
      'a\udfffb',
      '*',
      'all',
      '%',
      '%00',
      '../../../etc/passwd',
      "' OR 1=1 --",
      '"; DROP TABLE alarms; --',
      '<script>alert(1)</script>',
      '=cmd|calc!A1',
      '__proto__',
      'constructor',
      'toender',
      'aabenraa,toender',
      '00000000-0000-0000-0000-000000000000',
      '2026-13',
      '0000-01',
      '0001-01',
      '1899-12',
      '9999-12',
      '2026-02',
      '-1',
      '1e400',
      'NaN',
      '9007199254740993',
      '9'.repeat(400),
      'x'.repeat(5000),
    ),
  },
);
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53 + 2, -0, 1e-320, Number.MAX_SAFE_INTEGER),
);
const key = fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'));
const { value: hostileValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 3 }),
  ),
}));

/** Body text that is no plain JSON object: deep nesting, pollution keys written as JSON, broken JSON. */
const rawBody = fc.oneof(
  fc.integer({ min: 1, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  fc.constantFrom(
    '{"__proto__": {"polluted": true}}',
    '{"constructor": {"prototype": {"polluted": true}}}',
    '{"outcome": "false_alarm", "__proto__": {"role": "admin"}}',
    '{"a": 1, "a": 2}',
    '{',
    '}',
    'null',
    '[]',
    '"text"',
    '1e99999',
    '{"note": "\\ud800"}',
    '{"note": "\\u0000"}',
    '\u0000',
    '\ufeff{}',
    '',
  ),
  fc.string({ unit, maxLength: 200 }),
);
const contentType = fc.constantFrom(
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/xml',
  'application/json, text/plain',
  '',
);

/**
 * Values at the edges of what each query parameter's schema lets through (a month of the year 0000 has
 * the month's pattern; a number in exponent form is a number), tried on the parameters a route declares.
 */
const PARAM_EDGES: Record<string, string[]> = {
  month: ['0000-01', '0001-01', '1899-12', '1900-01', '9999-12', '2026-00', '2026-13', '02-2026'],
  since: ['0', '-1', '1e400', '9007199254740993', '1.5', '0x10', ' 1'],
  limit: ['0', '1', '1000', '1001', '1e3', '-1', '1.5', 'Infinity'],
  municipality: ['*', 'all', 'all,aabenraa', 'aabenraa,aabenraa', 'toender', ',', 'a'.repeat(65), ','.repeat(300)],
  ids: [',', 'c-aabenraa-0,c-toender-1', ','.repeat(300), 'x'.repeat(13_001)],
  before: ['', 'e30', 'eyJ0IjoiMCJ9', 'x'.repeat(201)],
  alarm: ['00000000-0000-0000-0000-000000000000', 'not-a-uuid'],
};
PARAM_EDGES.from = PARAM_EDGES.to = PARAM_EDGES.month!;
const edgeFor = (name: string, pick: number) => {
  const edges = PARAM_EDGES[name] ?? ['', '\u0000', 'x'.repeat(300)];
  return edges[pick % edges.length]!;
};

/** The keys of a zod object schema (a route's querystring or body), if it is one. */
const keysOf = (schema: unknown): string[] => {
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape && typeof shape === 'object' ? Object.keys(shape) : [];
};

type Mutation = {
  kind: 'path' | 'query' | 'repeat' | 'edge' | 'field' | 'body' | 'raw' | 'type';
  pick: number;
  text: string;
  value: unknown;
  raw: string;
  contentType: string;
};
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('path', 'query', 'repeat', 'edge', 'edge', 'field', 'body', 'raw', 'type'),
  pick: fc.nat(),
  text: hostileString,
  value: hostileValue,
  raw: rawBody,
  contentType,
});

/** Query names worth trying on any route: every one the API uses, and pollution. */
const QUERY_NAMES = [
  'municipality',
  'status',
  'limit',
  'before',
  'ids',
  'alarm',
  'since',
  'from',
  'to',
  'month',
  'format',
  'sep',
  'username',
  '__proto__',
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
];

type Request = { url: string; payload?: string; headers: Record<string, string> };

/** The valid request with the mutation applied. */
function mutate(route: Route, valid: Filled, m: Mutation, headers: Record<string, string>): Request {
  const routeUrl = route.url;
  const [path, query = ''] = valid.url.split('?') as [string, string?];
  const segments = path.split('/');
  const params = routeUrl
    .split('/')
    .map((s, i) => (s.startsWith(':') ? i : -1))
    .filter((i) => i >= 0);
  const search = new URLSearchParams(query);
  let body: string | undefined = valid.body === undefined ? undefined : JSON.stringify(valid.body);
  const json = { ...headers, 'content-type': 'application/json' };
  let kind = m.kind;
  if (kind === 'path' && params.length === 0) kind = 'query';
  const declared = keysOf(route.schema?.querystring);
  const names = [...new Set([...search.keys(), ...declared, ...QUERY_NAMES])];
  const qs = () => {
    const s = search.toString();
    return s ? `?${s}` : '';
  };
  switch (kind) {
    case 'path': {
      segments[params[m.pick % params.length]!] = encode(m.text);
      return {
        url: segments.join('/') + (query ? `?${query}` : ''),
        headers: json,
        ...(body ? { payload: body } : {}),
      };
    }
    case 'query':
    case 'repeat': {
      // Half the time one the valid request has, so each route's own parameters get most of it.
      const own = [...search.keys()];
      const name = own.length && m.pick % 2 === 0 ? own[(m.pick >> 1) % own.length]! : names[m.pick % names.length]!;
      if (kind === 'query') search.set(name, m.text);
      else search.append(name, m.text);
      // URLSearchParams writes a lone surrogate as U+FFFD: put the raw bytes in for it.
      const url = path + qs().replace(/%EF%BF%BD/g, '%ED%A0%80');
      return { url, headers: json, ...(body ? { payload: body } : {}) };
    }
    case 'edge': {
      const own = [...new Set([...search.keys(), ...declared])];
      if (own.length === 0) return mutate(route, valid, { ...m, kind: 'query' }, headers);
      const name = own[m.pick % own.length]!;
      search.set(name, edgeFor(name, m.pick >> 3));
      return { url: path + qs(), headers: json, ...(body ? { payload: body } : {}) };
    }
    case 'field': {
      if (valid.body && typeof valid.body === 'object' && !Array.isArray(valid.body)) {
        const fields = [...new Set([...Object.keys(valid.body), ...keysOf(route.schema?.body)])];
        const name = fields.length ? fields[m.pick % fields.length]! : 'x';
        body = JSON.stringify({ ...(valid.body as object), [name]: m.value });
      } else body = JSON.stringify(m.value);
      return { url: valid.url, headers: json, payload: body };
    }
    case 'body':
      return { url: valid.url, headers: json, payload: JSON.stringify(m.value) ?? 'null' };
    case 'raw':
      return { url: valid.url, headers: json, payload: m.raw };
    case 'type':
      return {
        url: valid.url,
        headers: m.contentType ? { ...headers, 'content-type': m.contentType } : headers,
        payload: body ?? m.raw,
      };
  }
}

/** Every table a request could change, as one digest (a session's last use aside). */
async function stored(): Promise<string> {
  const tables = [
    'municipalities',
    'gateways',
    'citizens',
    'devices',
    'users',
    'alarms',
    'dispatches',
    'changes',
    'citizen_reads',
    'webhooks',
    'webhook_deliveries',
    'alarm_corrections',
    'escalations',
  ];
  // A gateway's last sign of life is written after its accepted requests, in the background.
  const row = (t: string) => (t === 'gateways' ? `(to_jsonb(x) - 'last_heartbeat_at')::text` : 'x::text');
  const parts = tables.map(
    (t) => `(SELECT md5(coalesce(string_agg(${row(t)}, ',' ORDER BY ${row(t)}), '')) FROM ${t} x)`,
  );
  const r = await sql<{ digest: string }>`SELECT concat_ws('|', ${sql.raw(parts.join(', '))},
    (SELECT string_agg(id::text, ',' ORDER BY id) FROM sessions)) AS digest`.execute(w.te.rt.db);
  return r.rows[0]!.digest;
}

type Route = { method: string; url: string; schema?: RouteEntry['schema'] };

type Target = Route & {
  service: 'console' | 'ingest';
  fill: Fill;
  as: string;
};

/** The ingest routes' valid requests: an event of the gateway's own municipality. */
const INGEST_FILL: Record<string, Fill> = {
  'POST /v1/alarms': { own: async () => ({ url: '/v1/alarms', body: testEvent('aabenraa', 0) }) },
  'POST /v1/alarms/batch': {
    own: async () => ({
      url: '/v1/alarms/batch',
      body: { events: [testEvent('aabenraa', 0), testEvent('aabenraa', 2)] },
    }),
  },
  'POST /v1/gateways/heartbeat': { own: async () => ({ url: '/v1/gateways/heartbeat', body: {} }) },
};

async function fuzz(t: Target, app: HttpApp, headers: () => Promise<Record<string, string>>) {
  const user = MATRIX_USERS.find((u) => u.username === t.as) ?? MATRIX_USERS[0];
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      const valid = await t.fill.own(w, user);
      const req = mutate(t, valid, m, await headers());
      const before = await stored();
      const r = await app.inject({ method: t.method as 'GET', ...req });
      const what = `${t.as} ${t.method} ${req.url.slice(0, 200)} ${(req.payload ?? '').slice(0, 200)}`;
      expect(r.statusCode, `${what}: ${r.body.slice(0, 300)}`).toBeLessThan(500);
      if (t.fill.endsSession && r.statusCode < 300) w.forget(t.as);
      if (r.statusCode >= 400) expect(await stored(), `${what}: refused (${r.statusCode}) but stored`).toBe(before);
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
}

const routeKey = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

describe('hostile input on every console route', () => {
  for (const as of ['m-admin-all', 'm-operator']) {
    it(`as ${as}: never a 5xx, nothing stored for a refused request, still ready`, async () => {
      const unknown = w.routes.filter((r) => !FILL[routeKey(r)]).map(routeKey);
      expect(unknown, 'describe these routes in FILL (test/security/route-world.ts)').toEqual([]);
      for (const r of w.routes) {
        await fuzz(
          { service: 'console', method: r.method, url: r.url, schema: r.schema, fill: FILL[routeKey(r)]!, as },
          w.app,
          async () => ({
            authorization: `Bearer ${await w.token(as)}`,
          }),
        );
      }
    }, 600_000);
  }
});

describe('hostile input on every ingest route', () => {
  it('with a gateway key: never a 5xx, nothing stored for a refused request, still ready', async () => {
    // /docs and /metrics guard themselves (a login, the metrics token): test/security/exposure.test.ts.
    const routes = ingest.routeTable.filter(
      (r) =>
        r.method !== 'HEAD' &&
        !INGEST_PUBLIC_ROUTES.includes(routeKey(r)) &&
        r.url !== '/metrics' &&
        r.url !== '/docs' &&
        !r.url.startsWith('/docs/'),
    );
    expect(
      routes.map(routeKey).filter((k) => !INGEST_FILL[k]),
      'describe these routes in INGEST_FILL',
    ).toEqual([]);
    for (const r of routes)
      await fuzz(
        {
          service: 'ingest',
          method: r.method,
          url: r.url,
          schema: r.schema,
          fill: INGEST_FILL[routeKey(r)]!,
          as: 'gw-aabenraa',
        },
        ingest,
        async () => ({
          authorization: `Bearer ${gatewayKey('aabenraa')}`,
        }),
      );
  }, 600_000);
});
