// `npm run migrate`: creates a missing database and migrates it; an unreachable Postgres is one clear line.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropTestDatabase, migrationNames, urlFor } from '../support/databases.js';
import { ownLines, run } from './run-cli.js';

const database = `rc_test_migrate_${randomBytes(4).toString('hex')}`;
afterAll(() => dropTestDatabase(database));

describe('npm run migrate', () => {
  it('creates a missing database, applies every migration, and is a no-op the second time', async () => {
    const env = { DATABASE_URL: urlFor(database) };
    const first = await run('npm', ['run', '--silent', 'migrate'], env);
    expect(ownLines(first.stderr)).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`created database .*/${database}`));
    expect(first.stdout).toMatch(/applied \d+ migration\(s\)[\s\S]*0001_initial/);
    expect(first.stdout).toContain(`applied ${(await migrationNames()).length} migration(s)`);

    const c = new pg.Client({ connectionString: urlFor(database) });
    await c.connect();
    try {
      const applied = await c.query('SELECT name FROM kysely_migration ORDER BY name');
      expect(applied.rows.map((r) => r.name)).toContain('0001_initial');
      expect(applied.rows.map((r) => r.name)).toEqual(await migrationNames());
      const alarms = await c.query("SELECT to_regclass('public.alarms') AS t");
      expect(alarms.rows[0].t).toBe('alarms');
    } finally {
      await c.end();
    }

    const second = await run('npm', ['run', '--silent', 'migrate'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/up to date/);
  });

  it('exits 1 with one line naming the Postgres tried, password hidden, when Postgres is unreachable', async () => {
    const r = await run('node_modules/.bin/tsx', ['bin/migrate.ts'], {
      DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:1/responscenter',
    });
    expect(r.code).toBe(1);
    const lines = ownLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cannot reach Postgres at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/responscenter/);
    expect(r.stderr).not.toContain('s3cret');
  });
});
