// Configuration is read once, validated, and typed: what each variable becomes, and what is refused.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../platform/config.js';
import { createHttpApp } from '../../platform/http.js';
import { createLogger } from '../../platform/logger.js';
import { createRegistry } from '../../platform/metrics.js';

describe('TRUST_PROXY', () => {
  it('is off by default, and takes true, a hop count, or addresses and CIDRs', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(ConfigError);
  });

  it('decides which client address a request has: the peer by default, the forwarded one behind a trusted proxy', async () => {
    const addressSeen = async (trustProxy: boolean | number | string[]) => {
      const app = await createHttpApp({
        service: 'test',
        title: 'test',
        description: 'test',
        logger: createLogger('silent', 'test'),
        registry: createRegistry('test'),
        ready: async () => ({}),
        trustProxy,
        docs: 'public',
      });
      app.get('/ip', async (req) => ({ ip: req.ip }));
      const r = await app.inject({
        method: 'GET',
        url: '/ip',
        remoteAddress: '10.1.2.3',
        headers: { 'x-forwarded-for': '198.51.100.9' },
      });
      await app.close();
      return r.json().ip as string;
    };
    expect(await addressSeen(loadConfig({}).trustProxy)).toBe('10.1.2.3');
    expect(await addressSeen(loadConfig({ TRUST_PROXY: '1' }).trustProxy)).toBe('198.51.100.9');
    expect(await addressSeen(loadConfig({ TRUST_PROXY: '10.0.0.0/8' }).trustProxy)).toBe('198.51.100.9');
    expect(await addressSeen(loadConfig({ TRUST_PROXY: '192.168.0.0/16' }).trustProxy)).toBe('10.1.2.3');
  });
});

describe('AUDIT_RETENTION_MONTHS', () => {
  it('keeps the audit trail 12 months by default, and refuses less than 6', () => {
    expect(loadConfig({}).auditRetentionMonths).toBe(12);
    expect(loadConfig({ AUDIT_RETENTION_MONTHS: '6' }).auditRetentionMonths).toBe(6);
    expect(loadConfig({ AUDIT_RETENTION_MONTHS: '60' }).auditRetentionMonths).toBe(60);
    expect(() => loadConfig({ AUDIT_RETENTION_MONTHS: '5' })).toThrow(
      /AUDIT_RETENTION_MONTHS: the audit trail is kept at least 6 months/,
    );
    expect(() => loadConfig({ AUDIT_RETENTION_MONTHS: 'six' })).toThrow(ConfigError);
  });
});
