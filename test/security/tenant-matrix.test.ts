// The tenant-isolation matrix, generated from the console's route table: every role (each with
// Aabenraa only in scope, and an administrator of all) × every protected route × the own and the
// foreign municipality's data. A role the route does not allow gets 403 (before anything is looked
// up); an allowed one gets a 2xx for its own data; the foreign municipality's data is answered as the
// route declares (404, or left out of the answer); no answer carries a byte of the foreign
// municipality's data (ids, names, addresses, key safes, webhook hosts), nothing of it changes, and
// nothing answers 5xx. Then every live-feed path, own and foreign, carries nothing of the foreign one.
// A route the generator does not know how to fill fails the test by name (route-world.ts, FILL).
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleMay } from '../../services/console/permission-matrix.js';
import { openFeed, refusedUpgrade } from '../console/helpers.js';
import { createWorld, FILL, FOREIGN, MATRIX_USERS, OWN, type MatrixUser, type World } from './route-world.js';

let w: World;
beforeAll(async () => {
  w = await createWorld();
}, 60_000);
afterAll(() => w?.te.close());

const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

/** What of the foreign municipality is stored: it must stay exactly as it is while only own-scoped users act. */
async function foreignState(): Promise<string> {
  const rows = await sql<{ state: unknown }>`
    SELECT json_build_object(
      'alarms', (SELECT json_agg(a ORDER BY a.id) FROM alarms a WHERE municipality_id = ${FOREIGN}),
      'dispatches', (SELECT json_agg(d ORDER BY d.id) FROM dispatches d WHERE municipality_id = ${FOREIGN}),
      'webhooks', (SELECT json_agg(h) FROM webhooks h WHERE municipality_id = ${FOREIGN}),
      'municipality', (SELECT row_to_json(m) FROM municipalities m WHERE id = ${FOREIGN}),
      'sessions', (SELECT count(*) FROM sessions WHERE username = 'op-toe')
    ) AS state`.execute(w.te.rt.db);
  return JSON.stringify(rows.rows[0]!.state);
}

/** Every failure of one user's run over the route table, as readable lines. */
async function runMatrix(user: MatrixUser): Promise<{ failures: string[]; calls: number }> {
  const failures: string[] = [];
  const markers = await w.foreignMarkers();
  const ownScoped = user.municipalities !== '*';
  let calls = 0;
  for (const route of w.routes) {
    const fill = FILL[key(route)];
    if (!fill) {
      failures.push(
        `${key(route)}: the matrix does not know how to fill this route; describe it in FILL (route-world.ts)`,
      );
      continue;
    }
    const permitted = roleMay(user.role, route.allow) && !(route.scope === 'all' && ownScoped);
    for (const variant of ['own', 'foreign'] as const) {
      const make = fill[variant];
      if (!make) continue;
      const f = await make(w, user);
      const r = await w.app.inject({
        method: route.method as 'GET',
        url: f.url,
        headers: { authorization: `Bearer ${await w.token(user.username)}` },
        ...(f.body === undefined ? {} : { payload: f.body as object }),
      });
      calls++;
      if (fill.endsSession && r.statusCode < 300) w.forget(user.username);
      const what = `${user.username} (${user.role}) ${route.method} ${f.url} [${variant}]`;
      const scope = route.scope;
      const outside = typeof scope === 'object' ? scope.outside : undefined;
      let expected: string;
      if (!permitted) expected = '403';
      else if (variant === 'own' || !ownScoped || outside === 'left_out') expected = String(f.status ?? '2xx');
      else if (outside === 'not_found') expected = '404';
      else expected = String(f.status ?? '2xx');
      const got = expected === '2xx' && r.statusCode >= 200 && r.statusCode < 300 ? '2xx' : String(r.statusCode);
      if (got !== expected) failures.push(`${what}: ${r.statusCode}, expected ${expected}: ${r.body.slice(0, 200)}`);
      if (ownScoped) {
        const sent = f.url + JSON.stringify(f.body ?? '');
        const answer = r.rawPayload.toString('latin1') + r.body + JSON.stringify(r.headers);
        const leaked = markers.filter((m) => !sent.includes(m) && answer.includes(m));
        if (leaked.length) failures.push(`${what}: the answer carries the foreign municipality's ${leaked.join(', ')}`);
      }
    }
  }
  return { failures, calls };
}

describe('the route table', () => {
  it('is described for the matrix: every protected route can be filled, every description is a route', () => {
    const routes = new Set(w.routes.map(key));
    expect(
      [...routes].filter((r) => !FILL[r]),
      'describe how to fill these routes in FILL (test/security/route-world.ts)',
    ).toEqual([]);
    expect(Object.keys(FILL).filter((r) => !routes.has(r))).toEqual([]);
  });
});

describe('every role with Aabenraa in scope, on every route, with own and foreign data', () => {
  let before: string;
  beforeAll(async () => {
    before = await foreignState();
  });

  it.each(MATRIX_USERS.filter((u) => u.municipalities !== '*').map((u) => [u.role, u] as const))(
    '%s: 403 where the role may not, 2xx for its own data, the foreign as declared, never a byte of it, never a 5xx',
    async (_role, user) => {
      const { failures, calls } = await runMatrix(user);
      expect(calls).toBeGreaterThanOrEqual(w.routes.length);
      expect(failures).toEqual([]);
    },
    120_000,
  );

  it('changed nothing of the foreign municipality', async () => {
    expect(await foreignState()).toBe(before);
  });
});

describe('an administrator of every municipality', () => {
  it('gets a 2xx (426 for the live feed’s plain GET) on every route, for either municipality', async () => {
    const { failures } = await runMatrix(MATRIX_USERS.find((u) => u.municipalities === '*')!);
    expect(failures).toEqual([]);
  }, 120_000);
});

describe('every live-feed path, own and foreign', () => {
  const livePaths = () =>
    w.routes.filter((r) => FILL[key(r)]?.websocket).map((r) => ({ route: r, fill: FILL[key(r)]! }));

  it('carries the own municipality’s alarms and dispatches and nothing of the foreign one, whatever is asked', async () => {
    expect(livePaths().length).toBeGreaterThanOrEqual(1);
    const markers = () => w.foreignMarkers();
    const ownScoped = MATRIX_USERS.filter((u) => u.municipalities !== '*');
    for (const { route, fill } of livePaths()) {
      for (const user of ownScoped) {
        for (const variant of ['own', 'foreign'] as const) {
          const f = await fill[variant]!(w, user);
          const query = f.url.includes('?') ? f.url.slice(f.url.indexOf('?')) : '';
          const token = await w.token(user.username);
          const what = `${user.username} ${f.url}`;
          if (!roleMay(user.role, route.allow)) {
            expect(await refusedUpgrade(w.url, { authorization: `Bearer ${token}` }, query), what).toBe(403);
            continue;
          }
          const feed = await openFeed(w.url, { token }, Object.fromEntries(new URLSearchParams(query)));
          await feed.synced();
          // The foreign municipality's news first, then the own: once the own has arrived, anything of the
          // foreign one would have (the feed is in seq order).
          const foreignDispatch = await w.openDispatch(FOREIGN);
          const ownDispatch = await w.openDispatch(OWN);
          await feed.waitFor(
            (m) => m.type === 'dispatch' && m.dispatch.id === ownDispatch,
            5000,
            `${what}: the own dispatch`,
          );
          const text = JSON.stringify(feed.messages);
          const leaked = (await markers()).filter((m) => text.includes(m));
          expect(leaked, `${what} carried the foreign municipality's data`).toEqual([]);
          expect(text).not.toContain(foreignDispatch);
          expect(feed.messages.some((m) => m.type === 'alarm' && m.alarm.municipality === OWN)).toBe(
            roleMay(user.role, ['live:alarms']),
          );
          await feed.close();
        }
      }
    }
  }, 120_000);
});
