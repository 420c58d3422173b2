// Migrations: plain SQL files in migrations/, applied in name order by Kysely's Migrator.
// Every service runs them at start; an advisory lock makes concurrent starts take turns.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Migrator, sql, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Db } from './connect.js';

/**
 * The project's root: the nearest directory at or above `from` that holds package.json. This module runs
 * from db/ under tsx and from dist/db/ once compiled, so a fixed number of `..` would be right in only one.
 */
export function projectRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json at or above ${from}`);
  }
}

export const MIGRATIONS_DIR = path.join(projectRoot(), 'migrations');

/** Arbitrary constant: the advisory lock key under which one process at a time migrates. */
const MIGRATION_LOCK = 72_530_001;

/** The migration files in `dir`, in the order they apply (their names sort in that order). */
export async function migrationFiles(dir = MIGRATIONS_DIR): Promise<string[]> {
  return (await fs.readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
}

/** A migration's name as kysely_migration records it: its file name without .sql. */
export const migrationName = (file: string) => file.replace(/\.sql$/, '');

class SqlFileProvider implements MigrationProvider {
  constructor(private readonly dir: string) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const file of await migrationFiles(this.dir)) {
      const text = await fs.readFile(path.join(this.dir, file), 'utf8');
      out[migrationName(file)] = { up: async (db) => void (await sql.raw(text).execute(db)) };
    }
    return out;
  }
}

export async function migrateToLatest(db: Db, dir = MIGRATIONS_DIR): Promise<MigrationResultSet> {
  return db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
    try {
      const migrator = new Migrator({ db: conn, provider: new SqlFileProvider(dir) });
      const result = await migrator.migrateToLatest();
      if (result.error) throw result.error;
      return result;
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
    }
  });
}
