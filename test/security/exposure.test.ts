// What the services show without a login: /metrics only with the metrics token, /docs as DOCS says
// (behind a login by default), /healthz and /readyz to anyone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../platform/runtime.js';
import type { ServiceApp } from '../../platform/service.js';
import { buildConsoleApp } from '../../services/console/app.js';
import { buildIngestApp } from '../../services/ingest/app.js';
import { buildWorkerApp } from '../../services/triage/app.js';
import { login } from '../console/helpers.js';
import { createTestEnv, gatewayKey, seedRegistry, TEST_METRICS_TOKEN, type TestEnv } from '../support/env.js';

let te: TestEnv;
beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te);
});
afterAll(() => te.close());

const builders: Record<'ingest' | 'console' | 'worker', (rt: Runtime) => Promise<ServiceApp>> = {
  ingest: (rt) => buildIngestApp(rt),
  console: (rt) => buildConsoleApp(rt),
  worker: (rt) => buildWorkerApp(rt, { reconcileEveryMs: 60_000, superviseEveryMs: 60_000 }),
};

async function service(name: keyof typeof builders, env: Record<string, string> = {}) {
  const built = await builders[name](Object.keys(env).length ? te.runtime(env) : te.rt);
  te.onClose(built.close);
  await built.app.ready();
  return built.app;
}

const get = (app: ServiceApp['app'], url: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers }).then((r) => r.statusCode);

describe.each(['ingest', 'console', 'worker'] as const)('%s', (name) => {
  it('answers /metrics only with the metrics token, and /healthz and /readyz to anyone', async () => {
    const app = await service(name);
    expect(await get(app, '/metrics')).toBe(401);
    expect(await get(app, '/metrics', { authorization: 'Bearer wrong-token-0123456789abcdef0123456789' })).toBe(401);
    expect(await get(app, '/metrics', { authorization: `Bearer ${TEST_METRICS_TOKEN}x` })).toBe(401);
    const ok = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('process_cpu_seconds_total');
    expect(await get(app, '/healthz')).toBe(200);
    expect(await get(app, '/readyz')).toBe(200);
  });

  it('answers /metrics to nobody while no METRICS_TOKEN is set', async () => {
    const app = await service(name, { METRICS_TOKEN: '' });
    expect(await get(app, '/metrics')).toBe(401);
    expect(await get(app, '/metrics', { authorization: `Bearer ${TEST_METRICS_TOKEN}` })).toBe(401);
  });

  it('serves /docs to anyone with DOCS=public and to nobody with DOCS=off', async () => {
    const open = await service(name, { DOCS: 'public' });
    expect(await get(open, '/docs/json')).toBe(200);
    expect(await get(open, '/docs')).toBeLessThan(400);
    const off = await service(name, { DOCS: 'off' });
    expect(await get(off, '/docs/json')).toBe(404);
    expect(await get(off, '/docs')).toBe(404);
  });
});

describe('DOCS=login (the default)', () => {
  it('console: the documentation for a logged-in user, by bearer token or the session cookie', async () => {
    const app = await service('console');
    for (const url of ['/docs', '/docs/json', '/docs/static/index.html']) expect(await get(app, url)).toBe(401);
    const token = await login(app, 'ana-toe');
    expect(await get(app, '/docs/json', { authorization: `Bearer ${token}` })).toBe(200);
    expect(await get(app, '/docs/json', { cookie: `__Host-rc_session=${token}` })).toBe(200);
    expect(await get(app, '/docs/json', { authorization: 'Bearer not-a-session' })).toBe(401);
  });

  it('ingest: the documentation for the holder of a gateway key', async () => {
    const app = await service('ingest');
    expect(await get(app, '/docs/json')).toBe(401);
    expect(await get(app, '/docs/json', { authorization: 'Bearer not-a-key-0123456789' })).toBe(401);
    expect(await get(app, '/docs/json', { authorization: `Bearer ${gatewayKey('aabenraa')}` })).toBe(200);
  });

  it('worker: nobody logs in to a worker, so nobody reads its documentation', async () => {
    const app = await service('worker');
    expect(await get(app, '/docs/json')).toBe(401);
  });
});
