// Start-up checks: the database exists and is migrated, Redis answers. On failure, one line that says
// what was tried and how to start it, and the caller exits non-zero.
import { safeUrl, type Config } from './config.js';
import { createDb, createPool, ensureDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { fastFailRedis, redisReady } from './redis.js';

export class StartupError extends Error {}

const PG_HINT =
  'start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` (or `docker compose up -d postgres`), or set DATABASE_URL';
const REDIS_HINT =
  'start it with `redis-server --daemonize yes --bind 127.0.0.1 --port 6379` (or `docker compose up -d redis`), or set REDIS_URL';

const reason = (err: unknown) => {
  const e = err as { code?: string; message?: string };
  return [e.code, e.message].filter(Boolean).join(' ') || String(err);
};

export type PreparedDatabase = {
  /** The database did not exist and was created. */
  created: boolean;
  /** Names of the migrations applied now, in order (empty when it was up to date). */
  applied: string[];
};

/** Create and migrate the database when needed. */
export async function prepareDatabase(config: Config): Promise<PreparedDatabase> {
  let created: boolean;
  try {
    created = await ensureDatabase(config.databaseUrl);
  } catch (err) {
    throw new StartupError(`cannot reach Postgres at ${safeUrl(config.databaseUrl)} (${reason(err)}): ${PG_HINT}`);
  }
  const pool = createPool(config.databaseUrl, { max: 1, statementTimeoutMs: 120_000 });
  const db = createDb(pool);
  try {
    const { results = [] } = await migrateToLatest(db);
    return { created, applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
  } catch (err) {
    throw new StartupError(`migrating ${safeUrl(config.databaseUrl)} failed: ${reason(err)}`);
  } finally {
    await db.destroy();
  }
}

export async function checkRedis(config: Config): Promise<void> {
  const redis = fastFailRedis(config.redisUrl, { lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redisReady(redis, 3000);
    await redis.ping();
  } catch (err) {
    throw new StartupError(`cannot reach Redis at ${safeUrl(config.redisUrl)} (${reason(err)}): ${REDIS_HINT}`);
  } finally {
    redis.disconnect();
  }
}
