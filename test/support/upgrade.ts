// An installation as it was before a migration: a database of its own, migrated with the migrations
// whose files sort before `migration` only, for tests of what that migration does to existing data.
// `toLatest()` then applies the rest, as an upgrade would.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDb, type Db } from '../../db/connect.js';
import { MIGRATIONS_DIR, migrateToLatest, migrationFiles } from '../../db/migrate.js';
import { dropTestDatabase, urlFor } from './databases.js';

export type Installation = { db: Db; toLatest(): Promise<void>; close(): Promise<void> };

export async function installationBefore(migration: string, poolSize = 2): Promise<Installation> {
  const database = `rc_test_upgrade_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: urlFor('postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const db = createDb(new pg.Pool({ connectionString: urlFor(database), max: poolSize }));
  const before = await fs.mkdtemp(path.join(os.tmpdir(), 'rc-migrations-'));
  const close = async () => {
    await db.destroy();
    await dropTestDatabase(database);
    await fs.rm(before, { recursive: true, force: true });
  };
  try {
    const files = await migrationFiles();
    const older = files.filter((f) => f < migration);
    if (older.length === files.length) throw new Error(`no migration ${migration} to upgrade to`);
    for (const f of older) await fs.copyFile(path.join(MIGRATIONS_DIR, f), path.join(before, f));
    await migrateToLatest(db, before);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    db,
    toLatest: async () => {
      await migrateToLatest(db);
    },
    close,
  };
}
