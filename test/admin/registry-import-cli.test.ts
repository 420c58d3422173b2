// Onboarding from a file: `npm run registry:import -- file.json` upserts in one transaction and stores
// only hashes of secrets.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRegistry } from '../../services/admin/registry.js';
import { sha256 } from '../../platform/secrets.js';
import { createTestEnv, gatewayKey, testRegistry, type TestEnv } from '../support/env.js';
import { ownLines, run } from './run-cli.js';

let dir: string;
const envs: TestEnv[] = [];

/** A database of the test's own, and the environment the command line runs with against it. */
async function freshDatabase() {
  const te = await createTestEnv();
  envs.push(te);
  const env = {
    DATABASE_URL: te.config.databaseUrl,
    REDIS_URL: te.config.redisUrl,
    REDIS_PREFIX: te.config.redisPrefix,
  };
  return { te, importFile: (file: string) => run('node_modules/.bin/tsx', ['bin/registry-import.ts', file], env) };
}

async function writeJson(name: string, value: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

const TABLES = ['municipalities', 'gateways', 'citizens', 'devices', 'users'] as const;

async function rowCounts(te: TestEnv) {
  const counts: Record<string, number> = {};
  for (const t of TABLES) {
    const r = await te.rt.pool.query(`SELECT count(*)::int AS n FROM ${t}`);
    counts[t] = r.rows[0].n;
  }
  return counts;
}

/** Every row of the registry's tables, to tell "nothing changed" from "nothing added". */
async function registryRows(te: TestEnv) {
  const rows: Record<string, unknown[]> = {};
  for (const t of TABLES) rows[t] = (await te.rt.pool.query(`SELECT * FROM ${t} ORDER BY 1`)).rows;
  return rows;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rc-registry-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  for (const te of envs) await te.close();
});

describe('registry import from the command line', () => {
  it('rejects a registry referring to an unknown municipality with exit code 1 and changes nothing', async () => {
    const { te, importFile } = await freshDatabase();
    await importRegistry(te.rt.db, testRegistry(2));
    const before = await registryRows(te);
    const reg = testRegistry(4);
    reg.users.push({ username: 'op-x', password: 'pw-op-x-12345', role: 'operator', municipalities: ['atlantis'] });
    const r = await importFile(await writeJson('unknown-municipality.json', reg));
    expect(r.code).toBe(1);
    expect(ownLines(r.stderr).join('\n')).toMatch(/not imported, nothing changed: .*atlantis/);
    expect(await registryRows(te)).toEqual(before);
    expect(await rowCounts(te)).toEqual({ municipalities: 2, gateways: 3, citizens: 2, devices: 2, users: 7 });
  });

  it('rejects a file that is not JSON, or not in the registry shape, with a message naming the problem', async () => {
    const { te, importFile } = await freshDatabase();
    const notJson = await importFile(await writeJson('broken.json', '{"municipalities": ['));
    expect(notJson.code).toBe(1);
    expect(ownLines(notJson.stderr)).toEqual([expect.stringMatching(/broken\.json is not valid JSON/)]);

    const wrongShape = await importFile(await writeJson('wrong.json', { municipalities: [{ id: 'aabenraa' }] }));
    expect(wrongShape.code).toBe(1);
    expect(ownLines(wrongShape.stderr).join('\n')).toMatch(/municipalities\.0\.name/);

    const missing = await importFile(path.join(dir, 'no-such-file.json'));
    expect(missing.code).toBe(1);
    expect(ownLines(missing.stderr).join('\n')).toMatch(/cannot read .*no-such-file\.json/);
    expect(await rowCounts(te)).toEqual({ municipalities: 0, gateways: 0, citizens: 0, devices: 0, users: 0 });
  });

  it('imports a registry file, prints what it created, and updates on a second import', async () => {
    const { importFile } = await freshDatabase();
    const reg = testRegistry(6);
    const file = await writeJson('registry.json', reg);
    const first = await importFile(file);
    expect(ownLines(first.stderr)).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/municipalities\s+created\s+2\s+updated\s+0/);
    expect(first.stdout).toMatch(/gateways\s+created\s+3\s+updated\s+0/);
    expect(first.stdout).toMatch(/citizens\s+created\s+6\s+updated\s+0/);
    expect(first.stdout).toMatch(/devices\s+created\s+6\s+updated\s+0/);
    expect(first.stdout).toMatch(new RegExp(`users\\s+created\\s+${reg.users.length}\\s+updated\\s+0`));
    expect(first.stdout).toMatch(/consents\s+created\s+0\s+updated\s+0\s+withdrawn\s+0/);

    const second = await importFile(file);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/citizens\s+created\s+0\s+updated\s+6/);
  });

  it('prints the key it generates for a new gateway given without apiKey, once, and stores only its hash', async () => {
    const { te, importFile } = await freshDatabase();
    const reg = testRegistry(2);
    const { apiKey: _key, ...keyless } = reg.gateways[0]!;
    const imported = await importFile(
      await writeJson('keyless.json', { municipalities: reg.municipalities, gateways: [keyless] }),
    );
    expect(imported.code, imported.stderr).toBe(0);
    const key = new RegExp(`^  ${keyless.id}  ([A-Za-z0-9_-]{43})  \\(key id [0-9a-f-]{36}\\)$`, 'm').exec(
      imported.stdout,
    )?.[1];
    expect(key, imported.stdout).toBeDefined();
    const stored = await te.rt.pool.query('SELECT key_hash, origin FROM gateway_keys WHERE gateway_id = $1', [
      keyless.id,
    ]);
    expect(stored.rows).toEqual([{ key_hash: sha256(key!), origin: 'generated' }]);
    const again = await importFile(
      await writeJson('keyless-again.json', { municipalities: reg.municipalities, gateways: [keyless] }),
    );
    expect(again.stdout).not.toMatch(/API keys generated/);
  });

  it('stores passwords as argon2id hashes and API keys only as hashes, never in plain text', async () => {
    const { te, importFile } = await freshDatabase();
    const reg = testRegistry(6);
    const imported = await importFile(await writeJson('secrets.json', reg));
    expect(imported.code, imported.stderr).toBe(0);
    const users = await te.rt.pool.query('SELECT username, password_hash FROM users ORDER BY username');
    expect(users.rows.map((u) => u.username)).toEqual(reg.users.map((u) => u.username).sort());
    const passwords = new Map(reg.users.map((u) => [u.username, u.password]));
    for (const u of users.rows) {
      expect(u.password_hash).toMatch(/^\$argon2id\$/);
      expect(u.password_hash).not.toContain(passwords.get(u.username));
    }
    const gateways = await te.rt.pool.query(
      'SELECT gateway_id AS id, key_hash FROM gateway_keys WHERE revoked_at IS NULL ORDER BY gateway_id',
    );
    expect(gateways.rows.map((g) => g.id)).toEqual(['gw-aabenraa', 'gw-both', 'gw-toender']);
    for (const g of gateways.rows) {
      const key = gatewayKey(g.id.replace(/^gw-/, ''));
      expect(g.key_hash).not.toBe(key);
      expect(g.key_hash).not.toContain(key);
      expect(g.key_hash).toBe(sha256(key));
    }
    // An admin-chosen key is accepted for compatibility, and the import says so.
    expect(imported.stdout).toMatch(/warning: gateways\.gw-aabenraa: apiKey chosen in the registry/);
  });
});
