// The console's health, readiness and metrics endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsoleApp } from '../../services/console/app.js';
import type { HttpApp } from '../../platform/http.js';
import { createTestEnv, type TestEnv } from '../support/env.js';

let te: TestEnv;
let app: HttpApp;

beforeAll(async () => {
  te = await createTestEnv();
  const built = await buildConsoleApp(te.rt);
  app = built.app;
  te.onClose(built.close);
});
afterAll(() => te.close());

describe('the console server', () => {
  it('answers health, readiness and metrics', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('rc_live_connections');
  });
});
