// The console's health, readiness and metrics endpoints.
import { describe, expect, it } from 'vitest';
import { consoleAppFixture } from '../console/helpers.js';

const fx = consoleAppFixture({ seed: false });

describe('the console server', () => {
  it('answers health, readiness and metrics', async () => {
    expect((await fx.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await fx.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const metrics = await fx.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('rc_live_connections');
  });
});
