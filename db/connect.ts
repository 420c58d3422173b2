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
  /**
   * Plan every statement generically (plan_cache_mode force_generic_plan): a prepared statement is then
   * planned once per connection, not per call. For a pool that runs only the hot prepared statements
   * (Runtime.hotDb), whose plans do not depend on the values given; other statements keep their plans
   * for the values (the default, auto).
   */
  genericPlans?: boolean;
  /**
   * With genericPlans: how old a new connection's plans may grow before it makes them again; the age
   * allowed then doubles each time, up to a minute (GENERIC_PLAN_AGES_MS).
   */
  genericPlanMaxAgeMs?: number;
};

/**
 * A statement whose text starts with this comment (`prepared('name')`) is prepared once per connection
 * under that name and then only executed: not parsed and analysed again per call. Kept for the few
 * hot statements whose text never changes (the accept, the triage lock and store). On a pool with
 * `genericPlans` it is also planned only once per connection; elsewhere Postgres still plans it per call
 * for the values given, whenever it judges that plan cheaper than its generic one (plan_cache_mode
 * auto), which for the statements taking arrays of alarms is nearly always, at a millisecond a time.
 * A transaction-pooling PgBouncer must keep prepared statements per client (max_prepared_statements).
 * A migration that changes a table such a statement reads (`SELECT a.*` after a column is added) makes
 * Postgres refuse the prepared statement once ("cached plan must not change result type"); the
 * connection then prepares it again under a new name, so the transaction that met it fails and its
 * retry works.
 */
const PREPARED = /^\/\* prepared:([a-z][a-z0-9-]*) \*\//;

/**
 * A generic plan is made for the tables as they are when it is made, and Postgres makes it again only
 * when their statistics change (ANALYZE). Made on a young table (a new installation, a table emptied),
 * it may scan what has since grown large: in a benchmark starting from empty tables, plans made at start
 * read two to three times the pages of plans made per call, within seconds. So a connection with
 * `genericPlans` drops its plans (DISCARD PLANS) and makes them again at their next use, first after
 * 2 s, then after twice as long each time, up to once a minute: young tables are planned again while
 * they grow fast, and a long-lived connection replans once a minute per statement, not once per call.
 */
const GENERIC_PLAN_AGES_MS = { first: 2_000, last: 60_000 };

/** The marker that makes a statement prepared (see PREPARED); put it first in the statement's text. */
export const prepared = (name: string) => {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`bad prepared statement name: ${name}`);
  return sql.raw(`/* prepared:${name} */`);
};

type QueryFn = (...args: unknown[]) => unknown;

/** Postgres refused a prepared statement whose result columns changed since it was prepared. */
const isStalePlan = (err: unknown): boolean =>
  typeof err === 'object' &&
  err !== null &&
  (err as { code?: unknown }).code === '0A000' &&
  /cached plan must not change result type/.test(String((err as { message?: unknown }).message));

export function createPool(databaseUrl: string, opts: DbOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    statement_timeout: opts.statementTimeoutMs ?? 10_000,
    application_name: opts.applicationName ?? 'responscenter',
    ...(opts.genericPlans ? { options: '-c plan_cache_mode=force_generic_plan' } : {}),
  });
  // A client losing its connection (Postgres restarted, network cut) must not crash the process.
  // Idle clients report through the pool; a checked-out client between two statements of a
  // transaction reports on itself, and its next query fails with a clear error instead.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
    // Kysely sends (text, values) and awaits the promise; a text marked PREPARED goes as a named
    // statement instead, under a new name each time Postgres refused the last one's cached plan.
    const query = client.query.bind(client) as QueryFn;
    const generation = new Map<string, number>();
    let plannedAt = Date.now();
    let maxAge = opts.genericPlanMaxAgeMs ?? GENERIC_PLAN_AGES_MS.first;
    (client as unknown as { query: QueryFn }).query = (text: unknown, ...rest: unknown[]) => {
      const marked = typeof text === 'string' ? PREPARED.exec(text)?.[1] : undefined;
      if (marked === undefined || rest.length !== 1) return query(text, ...rest);
      if (opts.genericPlans && Date.now() - plannedAt >= maxAge) {
        // Queued before the statement on the same connection; allowed inside a transaction too.
        plannedAt = Date.now();
        maxAge = Math.min(maxAge * 2, GENERIC_PLAN_AGES_MS.last);
        (query('DISCARD PLANS') as Promise<unknown>).catch(() => {});
      }
      const g = generation.get(marked) ?? 0;
      const name = g === 0 ? marked : `${marked}-${g}`;
      return (query({ name, text, values: rest[0] }) as Promise<unknown>).catch((err: unknown) => {
        if (isStalePlan(err)) generation.set(marked, g + 1);
        throw err;
      });
    };
  });
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
