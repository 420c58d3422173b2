// Deny by default: every route of every service answers 401 to a request without credentials, unless
// the service lists it as public; every route a service lists as public exists and asks for nothing.
// A route added outside a service's protected plugin, and not listed public, fails here.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, DOCS_ROUTES, type HttpApp, type RouteEntry } from '../../platform/http.js';
import { consoleMetrics, createRegistry } from '../../platform/metrics.js';
import type { Runtime } from '../../platform/runtime.js';
import type { ServiceApp } from '../../platform/service.js';
import { buildConsoleApp, CONSOLE_PUBLIC_ROUTES } from '../../services/console/app.js';
import { consoleContext } from '../../services/console/context.js';
import { LiveHub } from '../../services/console/live-hub.js';
import { protectedRoutes } from '../../services/console/protected.js';
import { buildIngestApp, INGEST_PUBLIC_ROUTES } from '../../services/ingest/app.js';
import { buildWorkerApp, WORKER_PUBLIC_ROUTES } from '../../services/triage/app.js';
import { createTestEnv, type TestEnv } from '../support/env.js';

let te: TestEnv;
beforeAll(async () => {
  te = await createTestEnv();
});
afterAll(() => te.close());

type Service = {
  name: string;
  build: (rt: Runtime) => Promise<ServiceApp>;
  publicRoutes: readonly string[];
  /** Routes the contract names that must be among those checked, so the check cannot pass on an empty table. */
  guards: string[];
};

const services: Service[] = [
  {
    name: 'ingest',
    build: (rt) => buildIngestApp(rt),
    publicRoutes: INGEST_PUBLIC_ROUTES,
    guards: [
      'POST /v1/alarms',
      'POST /v1/alarms/batch',
      'POST /v1/gateways/heartbeat',
      'GET /metrics',
      'GET /docs',
      'GET /docs/json',
    ],
  },
  {
    name: 'console',
    build: (rt) => buildConsoleApp(rt),
    publicRoutes: CONSOLE_PUBLIC_ROUTES,
    guards: [
      'POST /v1/auth/logout',
      'GET /v1/auth/me',
      'GET /v1/alarms',
      'GET /v1/alarms/:id',
      'POST /v1/alarms/:id/claim',
      'POST /v1/alarms/:id/resolve',
      'GET /v1/citizens/:id',
      'GET /v1/dispatches',
      'GET /v1/dispatches/:id',
      'POST /v1/dispatches/:id/status',
      'PUT /v1/admin/registry',
      'GET /v1/centre',
      'GET /v1/webhooks',
      'PUT /v1/admin/webhooks/:municipality',
      'DELETE /v1/admin/webhooks/:municipality',
      'GET /v1/live',
      'POST /v1/alarms/:id/correct',
      'GET /v1/stats/monthly',
      'GET /v1/stats/reports',
      'GET /v1/stats/reports/pdf',
      'GET /v1/stats/shared',
      'GET /v1/stats/shared/schema',
      'POST /v1/admin/gateways/:gateway/keys',
      'GET /v1/admin/gateways/:gateway/keys',
      'DELETE /v1/admin/gateways/:gateway/keys/:keyId',
      'POST /v1/admin/gateways/:gateway/disable',
      'POST /v1/admin/gateways/:gateway/enable',
      'GET /metrics',
      'GET /docs',
      'GET /docs/json',
    ],
  },
  {
    name: 'worker',
    build: (rt) => buildWorkerApp(rt, { reconcileEveryMs: 60_000, superviseEveryMs: 60_000 }),
    publicRoutes: WORKER_PUBLIC_ROUTES,
    guards: ['GET /metrics', 'GET /docs', 'GET /docs/json'],
  },
];

/** How a public list names a route: a GET's HEAD answers as the GET, and a trailing slash is the same route. */
const listed = ({ method, url }: RouteEntry) =>
  `${method === 'HEAD' ? 'GET' : method} ${url.length > 1 ? url.replace(/\/$/, '') : url}`;

/** A request the route would take, were it authenticated: ids are uuids, bodies are JSON. */
function requestFor({ method, url }: RouteEntry) {
  const path = url.replace(/:[^/]+/g, randomUUID()).replace(/\*/g, 'x');
  const withBody = !['GET', 'HEAD', 'OPTIONS'].includes(method);
  return {
    method: method as 'GET',
    url: path,
    ...(withBody ? { headers: { 'content-type': 'application/json' }, payload: '{}' } : {}),
  };
}

describe.each(services)('$name', ({ build, publicRoutes, guards }) => {
  let app: HttpApp;
  beforeAll(async () => {
    const built = await build(te.rt);
    te.onClose(built.close);
    app = built.app;
    await app.ready();
  });

  it('answers 401 without credentials on every route it does not list as public', async () => {
    const guarded = app.routeTable.filter((r) => !publicRoutes.includes(listed(r)));
    const answers = await Promise.all(
      guarded.map(async (r) => ({
        route: `${r.method} ${r.url}`,
        status: (await app.inject(requestFor(r))).statusCode,
      })),
    );
    expect(answers.map((a) => a.route)).toEqual(expect.arrayContaining(guards));
    expect(answers.filter((a) => a.status !== 401)).toEqual([]);
  });

  it('documents the credentials of every such route in its OpenAPI, with schemes the document defines', async () => {
    // The document itself, as the service builds it (/docs/json asks for a login by default).
    const spec = app.swagger() as unknown as {
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    // The documentation's own routes (DOCS) are not in the document they serve.
    const isDocs = (r: RouteEntry) => (DOCS_ROUTES as readonly string[]).includes(listed(r));
    const undocumented = app.routeTable
      .filter((r) => r.method !== 'HEAD' && !publicRoutes.includes(listed(r)) && !isDocs(r))
      .filter((r) => {
        const security = spec.paths[r.url.replace(/:([^/]+)/g, '{$1}')]?.[r.method.toLowerCase()]?.security ?? [];
        const schemes = security.flatMap((s) => Object.keys(s));
        return schemes.length === 0 || schemes.some((name) => !(name in spec.components.securitySchemes));
      });
    expect(undocumented.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  it('has every route it lists as public, and none of them asks for credentials', async () => {
    const table = new Set(app.routeTable.map(listed));
    expect(publicRoutes.filter((p) => !table.has(p))).toEqual([]);
    const publicOnes = app.routeTable.filter((r) => publicRoutes.includes(listed(r)));
    const answers = await Promise.all(
      publicOnes.map(async (r) => ({
        route: `${r.method} ${r.url}`,
        status: (await app.inject(requestFor(r))).statusCode,
      })),
    );
    expect(answers.filter((a) => a.status === 401 || a.status === 403)).toEqual([]);
  });
});

describe('a protected console route', () => {
  it('that declares no access stops the console from starting', async () => {
    const registry = createRegistry('console');
    const metrics = consoleMetrics(registry);
    const ctx = consoleContext(te.rt, metrics, new LiveHub(te.rt, metrics));
    const app = await createHttpApp({
      service: 'console',
      title: 'test',
      description: 'test',
      logger: te.logger,
      registry,
      ready: async () => ({}),
      docs: 'public',
    });
    te.onClose(() => app.close());
    const forgetful = app.register(protectedRoutes, {
      ctx,
      routes: [async (scope) => void scope.get('/v1/forgotten', async () => ({ secret: true }))],
    });
    await expect(forgetful).rejects.toThrow(/GET \/v1\/forgotten declares no access/);
  });
});
