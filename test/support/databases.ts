// Test databases: one migrated template per run, and a fresh clone of it for every test file.
import { randomBytes, createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createDb, createPool } from '../../db/connect.js';
import { MIGRATIONS_DIR, migrateToLatest, migrationFiles, migrationName } from '../../db/migrate.js';

export const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/responscenter';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export function urlFor(database: string): string {
  const u = new URL(BASE_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: urlFor('postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The names of every migration in migrations/, in the order they apply (as kysely_migration records them). */
export async function migrationNames(): Promise<string[]> {
  return (await migrationFiles()).map(migrationName);
}

/** The template's name changes with the migrations, so an edited migration never reuses a stale template. */
export async function templateName(): Promise<string> {
  const h = createHash('sha256');
  for (const f of await migrationFiles()) h.update(f).update(await fs.readFile(path.join(MIGRATIONS_DIR, f)));
  return `rc_test_template_${h.digest('hex').slice(0, 12)}`;
}

export async function prepareTemplate(): Promise<string> {
  const name = await templateName();
  const exists = await admin((c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]));
  if (exists.rowCount) return name;
  const building = `${name}_build_${randomBytes(3).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${building}`));
  const pool = createPool(urlFor(building), { max: 1 });
  const db = createDb(pool);
  await migrateToLatest(db);
  await db.destroy();
  await admin(async (c) => {
    try {
      await c.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
    } catch {
      await c.query(`DROP DATABASE IF EXISTS ${building}`); // another run built it first
    }
  });
  return name;
}

export async function createTestDatabase(): Promise<string> {
  const template = await templateName();
  const name = `rc_test_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  return name;
}

export async function dropTestDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
