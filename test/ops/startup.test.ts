// Start-up: when Postgres or Redis is unreachable, one line naming what was tried and how to start it,
// and a non-zero exit; a fresh database is created and migrated, also by several processes at once.
import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteByPrefix, fastFailRedis, redisReady } from '../../platform/redis.js';
import { dropTestDatabase, migrationNames, REDIS_URL, urlFor } from '../support/databases.js';

/** The Redis prefix of the services this file starts, deleted when it ends. */
const PREFIX = `rct-startup-${process.pid}`;

type Exit = { code: number | null; stderr: string; stdout: string };

function runMain(role: string, env: Record<string, string>, untilReady = false): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn('node_modules/.bin/tsx', ['bin/server.ts', role], {
      env: { ...process.env, LOG_LEVEL: 'info', REDIS_PREFIX: PREFIX, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (untilReady && /ready/.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

const created: string[] = [];
afterAll(async () => {
  for (const db of created) await dropTestDatabase(db);
  const redis = fastFailRedis(REDIS_URL);
  await redisReady(redis)
    .then(() => deleteByPrefix(redis, PREFIX))
    .finally(() => redis.disconnect());
});

describe('start-up', () => {
  it('exits non-zero with one line naming the Postgres URL tried and how to start it, password hidden', async () => {
    const r = await runMain('ingest', { DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:1/responscenter' });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^cannot reach Postgres at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/responscenter .*pg_ctlcluster/,
    );
    expect(r.stderr).not.toContain('s3cret');
  });

  it('exits non-zero with one line naming the Redis URL tried and how to start it', async () => {
    const db = `rc_test_startup_${process.pid}_a`;
    created.push(db);
    const r = await runMain('worker', { DATABASE_URL: urlFor(db), REDIS_URL: 'redis://127.0.0.1:1/0' });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0 .*redis-server/);
  });

  it('rejects invalid configuration with a message naming the variable', async () => {
    const r = await runMain('ingest', { INGEST_PORT: 'eighty' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/INGEST_PORT/);
  });

  it('creates and migrates a missing database, also when three services start at once', async () => {
    const db = `rc_test_startup_${process.pid}_b`;
    created.push(db);
    const env = { DATABASE_URL: urlFor(db), REDIS_URL, INGEST_PORT: '0', CONSOLE_PORT: '0', WORKER_PORT: '0' };
    const results = await Promise.all(['ingest', 'worker', 'console'].map((role) => runMain(role, env, true)));
    for (const r of results) expect(r.stdout).toMatch(/ready/);
    const c = new pg.Client({ connectionString: urlFor(db) });
    await c.connect();
    const tables = await c.query(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('alarms', 'changes', 'users')",
    );
    const migrations = await c.query('SELECT name FROM kysely_migration ORDER BY name');
    await c.end();
    expect(tables.rows[0].n).toBe(3);
    expect(migrations.rows.map((r) => r.name)).toEqual(await migrationNames());
  }, 60_000);
});
