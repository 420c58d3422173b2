// A test file's own world: a database cloned from the migrated template, a Redis key prefix, a runtime.
// Everything it starts is closed and dropped by `close()`.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../platform/config.js';
import { importRegistry, type Registry } from '../../services/admin/registry.js';
import { createLogger, type Logger } from '../../platform/logger.js';
import { deleteByPrefix, fastFailRedis } from '../../platform/redis.js';
import { createRuntime, type Runtime } from '../../platform/runtime.js';
import { createTestDatabase, dropTestDatabase, REDIS_URL, urlFor } from './databases.js';

export type TestEnv = {
  config: Config;
  rt: Runtime;
  /** Every log line written by the runtime's logger, as text (for "no personal data in logs" checks). */
  logs: string[];
  logger: Logger;
  database: string;
  /** Register something to close before the runtime and database go (closed in reverse order). */
  onClose(fn: () => Promise<unknown> | unknown): void;
  /** Make a second runtime on the same database and prefix (another process's view), closed with the env. */
  runtime(overrides?: Record<string, string>): Runtime;
  close(): Promise<void>;
};

/** The METRICS_TOKEN of every test env: /metrics answers only with it (metricsText). */
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789abcdef';

/** A service's /metrics, asked with the metrics token as Prometheus would. */
export async function metricsText(app: {
  inject(o: { url: string; headers: Record<string, string> }): Promise<{ statusCode: number; body: string }>;
}): Promise<string> {
  const r = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
  if (r.statusCode !== 200) throw new Error(`/metrics answered ${r.statusCode}: ${r.body}`);
  return r.body;
}

export async function createTestEnv(overrides: Record<string, string> = {}): Promise<TestEnv> {
  const database = await createTestDatabase();
  const prefix = `rct-${randomBytes(5).toString('hex')}`;
  const env = {
    DATABASE_URL: urlFor(database),
    REDIS_URL,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'info',
    RECONCILE_AFTER_SECONDS: '1',
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    ...overrides,
  };
  const config = loadConfig(env);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger(config.logLevel, 'test', sink);
  const closers: (() => Promise<unknown> | unknown)[] = [];
  const rt = createRuntime(config, logger);
  const te: TestEnv = {
    config,
    rt,
    logs,
    logger,
    database,
    onClose: (fn) => void closers.push(fn),
    runtime(more = {}) {
      const other = createRuntime(loadConfig({ ...env, ...more }), logger);
      closers.push(() => other.close());
      return other;
    },
    async close() {
      for (const fn of closers.reverse()) await fn();
      await rt.close();
      const redis = fastFailRedis(REDIS_URL);
      await deleteByPrefix(redis, prefix).catch(() => {});
      redis.disconnect();
      await dropTestDatabase(database);
    },
  };
  return te;
}

/** Two municipalities, a gateway each (plus one serving both), citizens with devices, users of every role. */
export function testRegistry(n = 20) {
  const ms = ['aabenraa', 'toender'] as const;
  const citizens = Array.from({ length: n }, (_, i) => {
    const m = ms[i % 2]!;
    return {
      id: `c-${m}-${i}`,
      municipality: m,
      name: `Borger ${i}`,
      address: `Vej ${i}, ${m}`,
      phone: `+45 20${100000 + i}`,
      keySafe: `KS-${1000 + i}`,
      notes: i % 7 === 0 ? 'demens' : '',
    };
  });
  return {
    municipalities: [
      { id: 'aabenraa', name: 'Aabenraa', code: '580' },
      { id: 'toender', name: 'Tønder', code: '550' },
    ],
    gateways: [
      ...ms.map((m) => ({
        id: `gw-${m}`,
        name: `Gateway ${m}`,
        apiKey: gatewayKey(m),
        municipalities: [m],
        heartbeatSeconds: 300,
      })),
      {
        id: 'gw-both',
        name: 'Gateway both',
        apiKey: gatewayKey('both'),
        municipalities: ['aabenraa', 'toender'],
        heartbeatSeconds: 300,
      },
    ],
    citizens,
    devices: citizens.map((c, i) => ({
      id: `dev-${c.municipality}-${i}`,
      citizenId: c.id,
      gatewayId: `gw-${c.municipality}`,
    })),
    users: [
      {
        username: 'op-both',
        password: 'pw-op-both-123',
        role: 'operator' as const,
        municipalities: ['aabenraa', 'toender'],
      },
      { username: 'op-aab', password: 'pw-op-aab-123', role: 'operator' as const, municipalities: ['aabenraa'] },
      { username: 'op-toe', password: 'pw-op-toe-123', role: 'operator' as const, municipalities: ['toender'] },
      { username: 'sup-all', password: 'pw-sup-all-123', role: 'supervisor' as const, municipalities: '*' as const },
      { username: 'plan-aab', password: 'pw-plan-aab-123', role: 'planner' as const, municipalities: ['aabenraa'] },
      { username: 'ana-toe', password: 'pw-ana-toe-123', role: 'analyst' as const, municipalities: ['toender'] },
      { username: 'admin', password: 'pw-admin-12345', role: 'admin' as const, municipalities: '*' as const },
    ],
  } satisfies Registry;
}

export const gatewayKey = (m: string) => `key-${m}-9f8e7d6c5b4a`;

export async function seedRegistry(te: TestEnv, reg: Registry = testRegistry()): Promise<void> {
  await importRegistry(te.rt.db, reg);
}

let n = 0;
/** A valid event for device i of municipality m. */
export function testEvent(m: string, i: number, type = 'pendant', extra: Record<string, unknown> = {}) {
  return {
    eventId: `ev-${process.pid}-${Date.now()}-${n++}`,
    deviceId: `dev-${m}-${i}`,
    type,
    occurredAt: new Date().toISOString(),
    ...extra,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `fn` returns a truthy value, or fail after `ms`. */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  ms = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await sleep(25);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
