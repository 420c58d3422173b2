// A world with two municipalities for the generated security tests (tenant matrix, route fuzz): users of
// every role whose scope is Aabenraa only (plus an administrator of all), data of both municipalities
// (alarms open and resolved, dispatches, citizens, webhooks, frozen reports, sessions), and for every
// console route a description of how to fill its parameters with the own municipality's data and with
// the foreign one's. A route the table does not describe fails the tests that use it, by name.
import { sql } from 'kysely';
import { buildConsoleApp } from '../../services/console/app.js';
import { CONSOLE_PUBLIC_ROUTES } from '../../services/console/app.js';
import { declaredRoutes, type DeclaredRoute } from '../../services/console/permission-matrix.js';
import { freezeDueReports } from '../../services/statistics/reports.js';
import { addMonths, monthOf } from '../../domain/statistics.js';
import type { Role } from '../../domain/roles.js';
import type { HttpApp } from '../../platform/http.js';
import { randomToken, sha256 } from '../../platform/secrets.js';
import { createSession } from '../../db/sessions.js';
import { createTestEnv, seedRegistry, testEvent, testRegistry, type TestEnv } from '../support/env.js';
import { storeAlarms } from '../console/helpers.js';
import type { NewAlarm } from '../../db/accept.js';

export const OWN = 'aabenraa';
export const FOREIGN = 'toender';

/** Users of every role with Aabenraa only in scope, and an administrator of every municipality. */
export const MATRIX_USERS = [
  { username: 'm-operator', role: 'operator', municipalities: [OWN] },
  { username: 'm-supervisor', role: 'supervisor', municipalities: [OWN] },
  { username: 'm-planner', role: 'planner', municipalities: [OWN] },
  { username: 'm-analyst', role: 'analyst', municipalities: [OWN] },
  { username: 'm-admin', role: 'admin', municipalities: [OWN] },
  { username: 'm-admin-all', role: 'admin', municipalities: '*' },
] as const satisfies readonly { username: string; role: Role; municipalities: readonly string[] | '*' }[];
export type MatrixUser = (typeof MATRIX_USERS)[number];
const password = (username: string) => `pw-${username}-long-enough`;

/** The last ended month, which has a frozen report. */
export const LAST_MONTH = addMonths(monthOf(new Date()), -1);

const CITIZENS = 30;

/** The test registry, the foreign municipality's people made recognisable (names, addresses, key safes). */
function registry() {
  const base = testRegistry(CITIZENS * 2);
  return {
    ...base,
    municipalities: base.municipalities.map((m) => ({ ...m, shareStatistics: m.id === OWN })),
    citizens: base.citizens.map((c, i) =>
      c.municipality === FOREIGN
        ? {
            ...c,
            name: `Fremmed Borger ${i}`,
            address: `Fremmedvej ${i}, 6270 Tønder`,
            phone: `+45 99 ${String(100000 + i)}`,
            keySafe: `KS-FOREIGN-${i}`,
          }
        : c,
    ),
    users: [
      ...base.users,
      ...MATRIX_USERS.map((u) => ({
        username: u.username,
        password: password(u.username),
        role: u.role,
        municipalities: u.municipalities === '*' ? ('*' as const) : [...u.municipalities],
      })),
    ],
  };
}

let deviceCounter = 0;
/**
 * A new alarm in municipality m from a device never seen before (the gateway's municipality's, no
 * citizen), so each is its own incident, whoever holds the earlier ones.
 */
export function freshAlarm(m: typeof OWN | typeof FOREIGN, type = 'pendant'): NewAlarm {
  return {
    gatewayId: `gw-${m}`,
    ...testEvent(m, 0, type),
    deviceId: `dev-fresh-${m}-${process.pid}-${deviceCounter++}`,
  } as NewAlarm;
}

export type World = {
  te: TestEnv;
  app: HttpApp;
  url: string;
  /** The current token of a user (logged in on first use, again after a route ended its sessions). */
  token(username: string): Promise<string>;
  forget(username: string): void;
  login(username: string): Promise<string>;
  /** Data of each municipality, by name. */
  own: WorldData;
  foreign: WorldData;
  /** Everything of the foreign municipality an own-scoped user must never see, as it appears in answers. */
  foreignMarkers(): Promise<string[]>;
  /** The routes the console declares (protected ones). */
  routes: DeclaredRoute[];
  /** An open alarm of m nobody holds. */
  openAlarm(m: string): Promise<string>;
  /** A resolved alarm of m. */
  resolvedAlarm(m: string): Promise<string>;
  /** An open (requested) dispatch of m. */
  openDispatch(m: string): Promise<string>;
  /** m's webhook, registered again. */
  webhook(m: string): Promise<void>;
  /** A session of a throwaway login, by its id. */
  sessionId(): Promise<string>;
};

export type WorldData = {
  municipality: string;
  citizen: string;
  alarm: string;
  resolved: string;
  dispatch: string;
};

const A = (m: string) => m as typeof OWN | typeof FOREIGN;

export async function createWorld(): Promise<World> {
  const te = await createTestEnv();
  await seedRegistry(te, registry() as Parameters<typeof seedRegistry>[1]);
  // Registered two months back, so last month's report is due and frozen below.
  await sql`UPDATE municipalities SET created_at = now() - interval '70 days'`.execute(te.rt.db);
  const built = await buildConsoleApp(te.rt);
  te.onClose(built.close);
  const app = built.app;
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const tokens = new Map<string, string>();
  const passwords = new Map(registry().users.map((u) => [u.username, u.password]));

  const login = async (username: string) => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username, password: passwords.get(username) },
    });
    if (r.statusCode !== 200) throw new Error(`login ${username}: ${r.statusCode} ${r.body}`);
    return r.json().token as string;
  };
  const token = async (username: string) => {
    let t = tokens.get(username);
    if (!t) tokens.set(username, (t = await login(username)));
    return t;
  };
  const admin = () => token('admin');
  const call = async (method: 'GET' | 'POST' | 'PUT', path: string, payload?: object) => {
    const r = await app.inject({
      method,
      url: path,
      headers: { authorization: `Bearer ${await admin()}` },
      ...(payload ? { payload } : {}),
    });
    if (r.statusCode >= 300) throw new Error(`${method} ${path}: ${r.statusCode} ${r.body}`);
    return r.json();
  };

  const openAlarm = async (m: string) => (await storeAlarms(te.rt, freshAlarm(A(m))))[0]!;
  const resolveAs = async (m: string, outcome: string) => {
    const id = await openAlarm(m);
    const r = (await call('POST', `/v1/alarms/${id}/resolve`, { outcome, note: `note ${m}` })) as {
      dispatch?: { id: string };
    };
    return { id, dispatch: r.dispatch?.id };
  };
  const resolvedAlarm = async (m: string) => (await resolveAs(m, 'false_alarm')).id;
  const openDispatch = async (m: string) => (await resolveAs(m, 'dispatch')).dispatch!;
  const webhook = async (m: string) =>
    void (await call('PUT', `/v1/admin/webhooks/${m}`, {
      url: `https://${m}-pleje.example/responscenter`,
      secret: `secret-of-${m}-0123456789abcdef0123456789`,
    }));

  const data = async (m: string): Promise<WorldData> => {
    // The planner's card: the citizen of device 0 has an open dispatch.
    const [first] = await storeAlarms(te.rt, {
      gatewayId: `gw-${m}`,
      ...testEvent(m, m === OWN ? 0 : 1),
    } as NewAlarm);
    const r = (await call('POST', `/v1/alarms/${first}/resolve`, { outcome: 'dispatch', note: `brief ${m}` })) as {
      dispatch: { id: string };
    };
    await webhook(m);
    return {
      municipality: m,
      citizen: `c-${m}-${m === OWN ? 0 : 1}`,
      // An open alarm of a citizen (its card, name and address are what must not leak).
      alarm: (await storeAlarms(te.rt, { gatewayId: `gw-${m}`, ...testEvent(m, m === OWN ? 2 : 3) } as NewAlarm))[0]!,
      resolved: await resolvedAlarm(m),
      dispatch: r.dispatch.id,
    };
  };
  const own = await data(OWN);
  const foreign = await data(FOREIGN);
  await freezeDueReports(te.rt.db);
  await app.ready();

  return {
    te,
    app,
    url,
    token,
    forget: (u) => void tokens.delete(u),
    login,
    own,
    foreign,
    routes: declaredRoutes(app.routeTable, CONSOLE_PUBLIC_ROUTES),
    openAlarm,
    resolvedAlarm,
    openDispatch,
    webhook,
    async sessionId() {
      // Stored as a login stores it (no password hashing: this is asked for often).
      await createSession(te.rt.db, { tokenHash: sha256(randomToken()), username: 'op-both', hours: 1, address: null });
      const row = await te.rt.db
        .selectFrom('sessions')
        .select('id')
        .where('username', '=', 'op-both')
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      return row.id;
    },
    async foreignMarkers() {
      const db = te.rt.db;
      const ids = async (table: 'alarms' | 'dispatches') =>
        (await db.selectFrom(table).select('id').where('municipality_id', '=', FOREIGN).execute()).map((r) => r.id);
      return [
        FOREIGN,
        'Tønder',
        'Fremmed',
        'KS-FOREIGN',
        '+45 99 ',
        `${FOREIGN}-pleje.example`,
        ...(await ids('alarms')),
        ...(await ids('dispatches')),
      ];
    },
  };
}

// ---- How to fill each route ----

export type Filled = {
  url: string;
  body?: unknown;
  /** The status a permitted user gets when it is not a 2xx (the live feed's plain GET: 426). */
  status?: number;
};

export type Fill = {
  /** A request about the own municipality's data (made afresh for each call: claims, deletions…). */
  own(w: World, user: MatrixUser): Promise<Filled>;
  /** The same about the foreign municipality's data; absent when nothing in the request names one. */
  foreign?(w: World, user: MatrixUser): Promise<Filled>;
  /** The request ends the caller's session(s): log in again after it. */
  endsSession?: boolean;
  /** A live feed (WebSocket) path. */
  websocket?: boolean;
};

const q = (path: string, query: Record<string, string>) => `${path}?${new URLSearchParams(query)}`;
const month = LAST_MONTH;

/** As the administrator of every municipality: a request whose answer the FILL needs (an id). */
async function asAdminAll(w: World, method: 'POST', url: string, payload: unknown): Promise<{ id: string }> {
  const r = await w.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: `Bearer ${await w.token('m-admin-all')}` },
  });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json() as { id: string };
}
const newSchedule = (w: World, citizen: string) =>
  asAdminAll(w, 'POST', `/v1/citizens/${citizen}/schedules`, { kind: 'planned_call', times: ['10:00'] });
/** No consent in force for the citizen (one may be given again): those in force withdrawn. */
async function noConsent(w: World, citizen: string): Promise<void> {
  await w.te.rt.db
    .updateTable('care_consents')
    .set({ withdrawn_at: new Date(), withdrawn_by: 'route-world' })
    .where('citizen_id', '=', citizen)
    .where('withdrawn_at', 'is', null)
    .execute();
}
async function newConsent(w: World, citizen: string): Promise<{ id: string }> {
  await noConsent(w, citizen);
  return asAdminAll(w, 'POST', `/v1/citizens/${citizen}/consents`, { givenBy: 'citizen' });
}
/** Room for a new key on m's gateway (at most two are active): its generated keys revoked. */
async function keySlot(w: World, m: string): Promise<void> {
  await w.te.rt.db
    .updateTable('gateway_keys')
    .set({ revoked_at: new Date() })
    .where('gateway_id', '=', `gw-${m}`)
    .where('origin', '=', 'generated')
    .where('revoked_at', 'is', null)
    .execute();
}
/** An open maintenance task of m, opened by m's stored alarm. */
async function newTask(w: World, m: string, alarm: string): Promise<string> {
  const row = await w.te.rt.db
    .insertInto('maintenance_tasks')
    .values({
      municipality_id: m,
      device_id: `unit-${Math.random().toString(36).slice(2)}`,
      citizen_id: null,
      kind: 'low_battery',
      opened_by: alarm,
      opened_at: new Date(),
      last_alarm_at: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export const FILL: Record<string, Fill> = {
  'POST /v1/auth/logout': { own: async () => ({ url: '/v1/auth/logout' }), endsSession: true },
  'POST /v1/auth/logout-all': { own: async () => ({ url: '/v1/auth/logout-all' }), endsSession: true },
  'GET /v1/auth/me': { own: async () => ({ url: '/v1/auth/me' }) },
  'GET /v1/alarms': {
    own: async () => ({ url: q('/v1/alarms', { status: 'all', municipality: OWN }) }),
    foreign: async () => ({ url: q('/v1/alarms', { status: 'all', municipality: FOREIGN }) }),
  },
  'GET /v1/alarms/:id': {
    own: async (w) => ({ url: `/v1/alarms/${w.own.alarm}` }),
    foreign: async (w) => ({ url: `/v1/alarms/${w.foreign.alarm}` }),
  },
  'POST /v1/alarms/:id/claim': {
    own: async (w) => ({ url: `/v1/alarms/${await w.openAlarm(OWN)}/claim` }),
    foreign: async (w) => ({ url: `/v1/alarms/${w.foreign.alarm}/claim` }),
  },
  'POST /v1/alarms/:id/resolve': {
    own: async (w) => ({ url: `/v1/alarms/${await w.openAlarm(OWN)}/resolve`, body: { outcome: 'false_alarm' } }),
    foreign: async (w) => ({ url: `/v1/alarms/${w.foreign.alarm}/resolve`, body: { outcome: 'false_alarm' } }),
  },
  'POST /v1/alarms/:id/correct': {
    own: async (w) => ({ url: `/v1/alarms/${w.own.resolved}/correct`, body: { outcome: 'dispatch', note: 'a fall' } }),
    foreign: async (w) => ({
      url: `/v1/alarms/${w.foreign.resolved}/correct`,
      body: { outcome: 'dispatch', note: 'a fall' },
    }),
  },
  'GET /v1/citizens': {
    own: async (w) => ({ url: q('/v1/citizens', { ids: w.own.citizen }) }),
    foreign: async (w) => ({ url: q('/v1/citizens', { ids: w.foreign.citizen }) }),
  },
  'GET /v1/citizens/:id': {
    own: async (w) => ({ url: `/v1/citizens/${w.own.citizen}` }),
    foreign: async (w) => ({ url: `/v1/citizens/${w.foreign.citizen}` }),
  },
  'GET /v1/dispatches': {
    own: async () => ({ url: q('/v1/dispatches', { status: 'all', municipality: OWN }) }),
    foreign: async () => ({ url: q('/v1/dispatches', { status: 'all', municipality: FOREIGN }) }),
  },
  'GET /v1/dispatches/:id': {
    own: async (w) => ({ url: `/v1/dispatches/${w.own.dispatch}` }),
    foreign: async (w) => ({ url: `/v1/dispatches/${w.foreign.dispatch}` }),
  },
  'POST /v1/dispatches/:id/status': {
    own: async (w) => ({ url: `/v1/dispatches/${await w.openDispatch(OWN)}/status`, body: { status: 'accepted' } }),
    foreign: async (w) => ({ url: `/v1/dispatches/${w.foreign.dispatch}/status`, body: { status: 'accepted' } }),
  },
  'GET /v1/municipalities': { own: async () => ({ url: '/v1/municipalities' }) },
  'GET /v1/centre': { own: async () => ({ url: '/v1/centre' }) },
  'GET /v1/stats/monthly': {
    own: async () => ({ url: q('/v1/stats/monthly', { municipality: OWN }) }),
    foreign: async () => ({ url: q('/v1/stats/monthly', { municipality: FOREIGN }) }),
  },
  'GET /v1/stats/reports': {
    own: async () => ({ url: q('/v1/stats/reports', { municipality: OWN }) }),
    foreign: async () => ({ url: q('/v1/stats/reports', { municipality: FOREIGN }) }),
  },
  'GET /v1/stats/reports/pdf': {
    own: async () => ({ url: q('/v1/stats/reports/pdf', { municipality: OWN, month }) }),
    foreign: async () => ({ url: q('/v1/stats/reports/pdf', { municipality: FOREIGN, month }) }),
  },
  'GET /v1/stats/shared': { own: async () => ({ url: '/v1/stats/shared' }) },
  'GET /v1/stats/shared/schema': { own: async () => ({ url: '/v1/stats/shared/schema' }) },
  'PUT /v1/admin/registry': {
    own: async () => ({ url: '/v1/admin/registry', body: { municipalities: [] } }),
    foreign: async () => ({
      url: '/v1/admin/registry',
      body: { municipalities: [{ id: FOREIGN, name: 'Tønder', code: '550' }] },
    }),
  },
  'GET /v1/admin/sessions': { own: async () => ({ url: '/v1/admin/sessions' }) },
  'DELETE /v1/admin/sessions/:id': { own: async (w) => ({ url: `/v1/admin/sessions/${await w.sessionId()}` }) },
  'DELETE /v1/admin/users/:username/sessions': {
    own: async () => ({ url: '/v1/admin/users/op-aab/sessions' }),
    foreign: async () => ({ url: '/v1/admin/users/op-toe/sessions' }),
  },
  'GET /v1/admin/audit': {
    own: async () => ({ url: q('/v1/admin/audit', { municipality: OWN }) }),
    foreign: async () => ({ url: q('/v1/admin/audit', { municipality: FOREIGN }) }),
  },
  'GET /v1/admin/citizens/:id/access-history': {
    own: async (w) => ({ url: `/v1/admin/citizens/${w.own.citizen}/access-history` }),
    foreign: async (w) => ({ url: `/v1/admin/citizens/${w.foreign.citizen}/access-history` }),
  },
  'GET /v1/schedules': {
    own: async () => ({ url: q('/v1/schedules', { municipality: OWN }) }),
    foreign: async () => ({ url: q('/v1/schedules', { municipality: FOREIGN }) }),
  },
  'GET /v1/citizens/:id/schedules': {
    own: async (w) => ({ url: `/v1/citizens/${w.own.citizen}/schedules` }),
    foreign: async (w) => ({ url: `/v1/citizens/${w.foreign.citizen}/schedules` }),
  },
  'POST /v1/citizens/:id/schedules': {
    own: async (w) => ({
      url: `/v1/citizens/${w.own.citizen}/schedules`,
      body: { kind: 'planned_call', times: ['11:00'] },
    }),
    foreign: async (w) => ({
      url: `/v1/citizens/${w.foreign.citizen}/schedules`,
      body: { kind: 'planned_call', times: ['11:00'] },
    }),
  },
  'PUT /v1/schedules/:id': {
    own: async (w) => ({
      url: `/v1/schedules/${(await newSchedule(w, w.own.citizen)).id}`,
      body: { kind: 'planned_call', times: ['12:00'] },
    }),
    foreign: async (w) => ({
      url: `/v1/schedules/${(await newSchedule(w, w.foreign.citizen)).id}`,
      body: { kind: 'planned_call', times: ['12:00'] },
    }),
  },
  'DELETE /v1/schedules/:id': {
    own: async (w) => ({ url: `/v1/schedules/${(await newSchedule(w, w.own.citizen)).id}` }),
    foreign: async (w) => ({ url: `/v1/schedules/${(await newSchedule(w, w.foreign.citizen)).id}` }),
  },
  'POST /v1/citizens/:id/consents': {
    own: async (w) => {
      await noConsent(w, w.own.citizen);
      return { url: `/v1/citizens/${w.own.citizen}/consents`, body: { givenBy: 'citizen' } };
    },
    foreign: async (w) => {
      await noConsent(w, w.foreign.citizen);
      return { url: `/v1/citizens/${w.foreign.citizen}/consents`, body: { givenBy: 'citizen' } };
    },
  },
  'POST /v1/consents/:id/withdraw': {
    own: async (w) => ({ url: `/v1/consents/${(await newConsent(w, w.own.citizen)).id}/withdraw`, body: {} }),
    foreign: async (w) => ({ url: `/v1/consents/${(await newConsent(w, w.foreign.citizen)).id}/withdraw`, body: {} }),
  },
  'GET /v1/maintenance': {
    own: async () => ({ url: q('/v1/maintenance', { municipality: OWN }) }),
    foreign: async () => ({ url: q('/v1/maintenance', { municipality: FOREIGN }) }),
  },
  'POST /v1/maintenance/:id/close': {
    own: async (w) => ({ url: `/v1/maintenance/${await newTask(w, OWN, w.own.alarm)}/close`, body: {} }),
    foreign: async (w) => ({ url: `/v1/maintenance/${await newTask(w, FOREIGN, w.foreign.alarm)}/close`, body: {} }),
  },
  'PUT /v1/admin/municipalities/:municipality/triage': {
    own: async () => ({ url: `/v1/admin/municipalities/${OWN}/triage`, body: { cancelWindowSeconds: 120 } }),
    foreign: async () => ({ url: `/v1/admin/municipalities/${FOREIGN}/triage`, body: { cancelWindowSeconds: 120 } }),
  },
  'POST /v1/admin/gateways/:gateway/keys': {
    own: async (w) => {
      await keySlot(w, OWN);
      return { url: `/v1/admin/gateways/gw-${OWN}/keys` };
    },
  },
  'GET /v1/admin/gateways/:gateway/keys': { own: async () => ({ url: `/v1/admin/gateways/gw-${OWN}/keys` }) },
  'DELETE /v1/admin/gateways/:gateway/keys/:keyId': {
    own: async (w) => {
      await keySlot(w, OWN);
      const key = await asAdminAll(w, 'POST', `/v1/admin/gateways/gw-${OWN}/keys`, undefined);
      return { url: `/v1/admin/gateways/gw-${OWN}/keys/${key.id}` };
    },
  },
  'POST /v1/admin/gateways/:gateway/disable': { own: async () => ({ url: `/v1/admin/gateways/gw-${OWN}/disable` }) },
  'POST /v1/admin/gateways/:gateway/enable': { own: async () => ({ url: `/v1/admin/gateways/gw-${OWN}/enable` }) },
  'GET /v1/webhooks': {
    own: async () => ({ url: q('/v1/webhooks', { municipality: OWN }) }),
    foreign: async () => ({ url: q('/v1/webhooks', { municipality: FOREIGN }) }),
  },
  'PUT /v1/admin/webhooks/:municipality': {
    own: async () => ({
      url: `/v1/admin/webhooks/${OWN}`,
      body: { url: `https://${OWN}-pleje.example/v2`, secret: 'another-secret-0123456789abcdef012345' },
    }),
    foreign: async () => ({
      url: `/v1/admin/webhooks/${FOREIGN}`,
      body: { url: 'https://attacker.example/steal', secret: 'another-secret-0123456789abcdef012345' },
    }),
  },
  'DELETE /v1/admin/webhooks/:municipality': {
    own: async (w) => {
      await w.webhook(OWN);
      return { url: `/v1/admin/webhooks/${OWN}` };
    },
    foreign: async () => ({ url: `/v1/admin/webhooks/${FOREIGN}` }),
  },
  'GET /v1/live': {
    own: async () => ({ url: '/v1/live', status: 426 }),
    foreign: async () => ({ url: q('/v1/live', { municipality: FOREIGN }), status: 426 }),
    websocket: true,
  },
};
