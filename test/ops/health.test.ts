// The console's health, readiness and metrics endpoints.
import { describe, expect, it } from 'vitest';
import { consoleAppFixture } from '../console/helpers.js';
import { metricsText } from '../support/env.js';

const fx = consoleAppFixture({ seed: false });

describe('the console server', () => {
  it('answers health and readiness to anyone, and metrics with the metrics token', async () => {
    expect((await fx.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await fx.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect(await metricsText(fx.app)).toContain('rc_live_connections');
  });
});

describe('request ids', () => {
  it('are the server’s own; a client’s x-request-id is logged beside it, cut to 64 printable characters', async () => {
    const from = fx.te.logs.length;
    const sent = `forged-id\u0001${'x'.repeat(200)}`;
    const r = await fx.app.inject({ method: 'GET', url: '/v1/no-such-route', headers: { 'x-request-id': sent } });
    expect(r.statusCode).toBe(404);
    const lines = fx.te.logs
      .slice(from)
      .map((l) => JSON.parse(l) as { reqId?: string; clientRequestId?: string })
      .filter((l) => l.clientRequestId !== undefined);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l.reqId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(l.clientRequestId).toBe(`forged-id?${'x'.repeat(54)}`);
    }
  });
});

describe('API answers', () => {
  it('are never cached or framed: the login, a refusal and a citizen card alike', async () => {
    const login = await fx.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'nobody', password: 'x' },
    });
    const refused = await fx.app.inject({ method: 'GET', url: '/v1/citizens/c-1' });
    for (const r of [login, refused]) {
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
  });
});
