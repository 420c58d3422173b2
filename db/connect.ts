// The Postgres connection: one pg pool per process, wrapped by Kysely.
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

// bigint (int8) columns such as changes.seq come back as strings by default; seq fits in a JS number
// for the lifetime of any deployment (2^53 changes), so parse it as one.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Db = Kysely<Database>;
/** A transaction: statements given one run in it, and its row locks are held until it ends. */
export type Trx = Transaction<Database>;

export type DbOptions = {
  /** Pool size. */
  max?: number;
  /** Abandon a statement after this long, so a stuck database answers 503 instead of hanging requests. */
  statementTimeoutMs?: number;
  applicationName?: string;
};

export function createPool(databaseUrl: string, opts: DbOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    statement_timeout: opts.statementTimeoutMs ?? 10_000,
    application_name: opts.applicationName ?? 'responscenter',
  });
  // A client losing its connection (Postgres restarted, network cut) must not crash the process.
  // Idle clients report through the pool; a checked-out client between two statements of a
  // transaction reports on itself, and its next query fails with a clear error instead.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** Whether Postgres answers a trivial statement now (readiness). */
export async function databaseAnswers(db: Db): Promise<boolean> {
  return sql`SELECT 1`.execute(db).then(
    () => true,
    () => false,
  );
}

export function createDb(pool: pg.Pool): Db {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Create the database named in the URL when it does not exist (several processes may race to do so).
 * True when this call created it.
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) return false;
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      return true;
    } catch (err) {
      // 42P04 duplicate_database, 23505: another process created it at the same moment.
      const code = (err as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw err;
      return false;
    }
  } finally {
    await client.end();
  }
}
