// The console's API documentation: OpenAPI at /docs for every endpoint, for logged-in users by default.
import { describe, expect, it } from 'vitest';
import { bearer, consoleAppFixture, login } from '../console/helpers.js';

const fx = consoleAppFixture();

describe('the console server', () => {
  it('documents every console endpoint in the OpenAPI at /docs, for any logged-in user', async () => {
    expect((await fx.app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(401);
    const r = await fx.app.inject({
      method: 'GET',
      url: '/docs/json',
      headers: bearer(await login(fx.app, 'ana-toe')),
    });
    expect(r.statusCode).toBe(200);
    const paths = Object.keys(r.json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/v1/auth/login',
        '/v1/auth/logout',
        '/v1/auth/me',
        '/v1/alarms',
        '/v1/alarms/{id}',
        '/v1/alarms/{id}/claim',
        '/v1/alarms/{id}/resolve',
        '/v1/citizens/{id}',
        '/v1/dispatches',
        '/v1/dispatches/{id}/status',
        '/v1/admin/registry',
        '/v1/centre',
        '/v1/webhooks',
        '/v1/admin/webhooks/{municipality}',
        '/v1/live',
        '/v1/alarms/{id}/correct',
        '/v1/stats/monthly',
        '/v1/stats/reports',
        '/v1/stats/reports/pdf',
        '/v1/stats/shared',
        '/v1/stats/shared/schema',
        '/v1/admin/gateways/{gateway}/keys',
        '/v1/admin/gateways/{gateway}/keys/{keyId}',
        '/v1/admin/gateways/{gateway}/disable',
        '/v1/admin/gateways/{gateway}/enable',
      ]),
    );
  });

  it('serves the built browser console at /, its assets without credentials and cached for good', async () => {
    const r = await fx.app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/html/);
    const csp = String(r.headers['content-security-policy']);
    for (const directive of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"])
      expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe-inline');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(r.body)?.[1];
    expect(script, 'the page loads its built script from /assets/ (npm run build)').toBeDefined();
    const asset = await fx.app.inject({ method: 'GET', url: script! });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await fx.app.inject({ method: 'GET', url: '/assets/none.js' })).statusCode).toBe(404);
  });
});
