// A registry import that is wrong is refused whole with a 400 that says what is wrong, changes nothing,
// and never quotes a stored secret's hash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRegistry, type Registry } from '../../services/admin/registry.js';
import { HttpError } from '../../platform/errors.js';
import { sha256 } from '../../platform/secrets.js';
import { createTestEnv, type TestEnv } from '../support/env.js';

let te: TestEnv;

beforeAll(async () => {
  te = await createTestEnv();
});
afterAll(async () => te?.close());

let n = 0;
/** A registry of its own for each test: one municipality, a gateway, a citizen with a device, an operator. */
function ownRegistry() {
  const k = `${n++}-${process.pid}`;
  const m = `m-${k}`;
  return {
    municipality: { id: m, name: `Kommune ${k}`, code: '999' },
    gateway: { id: `gw-${k}`, name: 'Gateway', apiKey: `key-${k}-0123456789abcdef`, municipalities: [m] },
    citizen: { id: `c-${k}`, municipality: m, name: 'Borger', address: 'Vej 1' },
    device: { id: `d-${k}`, citizenId: `c-${k}`, gatewayId: `gw-${k}` },
    user: { username: `u-${k}`, password: 'a-long-password-1', role: 'operator' as const, municipalities: [m] },
  };
}

async function snapshot() {
  const tables = ['municipalities', 'gateways', 'gateway_keys', 'citizens', 'devices', 'users'];
  const out: Record<string, unknown[]> = {};
  for (const t of tables) out[t] = (await te.rt.pool.query(`SELECT * FROM ${t} ORDER BY 1`)).rows;
  return out;
}

/** The import is refused with 400 invalid_registry, its message matches, and no row changed. */
async function refused(reg: Registry, message: RegExp): Promise<string> {
  const before = await snapshot();
  const err = await importRegistry(te.rt.db, reg).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpError);
  const e = err as HttpError;
  expect({ status: e.statusCode, code: e.code }).toEqual({ status: 400, code: 'invalid_registry' });
  expect(e.message).toMatch(message);
  expect(await snapshot()).toEqual(before);
  return e.message;
}

describe('a wrong registry import is refused whole, with what is wrong', () => {
  it('refuses the same id twice in one import, naming the second row', async () => {
    const r = ownRegistry();
    await refused(
      { municipalities: [r.municipality], citizens: [r.citizen, { ...r.citizen, name: 'Another' }] },
      /citizens\.1: this id appears twice/,
    );
    await refused({ municipalities: [r.municipality, r.municipality] }, /municipalities\.1: this id appears twice/);
    await refused(
      { municipalities: [r.municipality], users: [r.user, { ...r.user, role: 'admin' }] },
      /users\.1: this username appears twice/,
    );
  });

  it('refuses one API key for two gateways, without quoting any key or hash', async () => {
    const r = ownRegistry();
    const other = ownRegistry();
    await importRegistry(te.rt.db, { municipalities: [r.municipality], gateways: [r.gateway] });
    const inOneImport = await refused(
      {
        municipalities: [other.municipality],
        gateways: [other.gateway, { ...other.gateway, id: `${other.gateway.id}-b`, apiKey: other.gateway.apiKey }],
      },
      /gateways\.1: this apiKey appears twice/,
    );
    expect(inOneImport).not.toContain(other.gateway.apiKey);
    const againstStored = await refused(
      { municipalities: [other.municipality], gateways: [{ ...other.gateway, apiKey: r.gateway.apiKey }] },
      /an apiKey is already used by another gateway/,
    );
    expect(againstStored).not.toContain(r.gateway.apiKey);
    expect(againstStored).not.toContain(sha256(r.gateway.apiKey));
  });

  it('requires the password of a new user, generates the key of a new gateway, and keeps stored ones when left out', async () => {
    const r = ownRegistry();
    const { apiKey: _key, ...gatewayWithoutKey } = r.gateway;
    const { password: _password, ...userWithoutPassword } = r.user;
    await refused(
      { municipalities: [r.municipality], users: [userWithoutPassword] },
      new RegExp(`users\\.${r.user.username}: password is required for a new user`),
    );

    // A new gateway without apiKey gets a generated key, answered this once and stored only as its hash.
    const made = await importRegistry(te.rt.db, { municipalities: [r.municipality], gateways: [gatewayWithoutKey] });
    expect(made.keys).toEqual([{ gateway: r.gateway.id, keyId: expect.any(String), key: expect.any(String) }]);
    const generated = made.keys[0]!.key;
    expect(Buffer.from(generated, 'base64url').length).toBeGreaterThanOrEqual(16);
    const storedKeys = () =>
      te.rt.pool
        .query('SELECT id, key_hash, origin, revoked_at FROM gateway_keys WHERE gateway_id = $1 ORDER BY created_at', [
          r.gateway.id,
        ])
        .then((q) => q.rows);
    expect(await storedKeys()).toEqual([
      { id: made.keys[0]!.keyId, key_hash: sha256(generated), origin: 'generated', revoked_at: null },
    ]);

    await importRegistry(te.rt.db, { gateways: [r.gateway], users: [r.user] });
    const before = await storedKeys();
    const result = await importRegistry(te.rt.db, {
      gateways: [{ ...gatewayWithoutKey, name: 'Renamed' }],
      users: [userWithoutPassword],
    });
    expect(result.gateways).toEqual({ created: 0, updated: 1 });
    expect(result.users).toEqual({ created: 0, updated: 1 });
    expect(result.keys).toEqual([]);
    const after = await te.rt.pool.query('SELECT name FROM gateways WHERE id = $1', [r.gateway.id]);
    expect(after.rows[0]).toEqual({ name: 'Renamed' });
    expect(await storedKeys()).toEqual(before);
  });

  it('accepts an admin-chosen key with a warning; a new one replaces the imported one, not the generated ones', async () => {
    const r = ownRegistry();
    const { apiKey: _key, ...gatewayWithoutKey } = r.gateway;
    const first = await importRegistry(te.rt.db, { municipalities: [r.municipality], gateways: [gatewayWithoutKey] });
    const chosen = await importRegistry(te.rt.db, { gateways: [r.gateway] });
    expect(chosen.warnings).toEqual([expect.stringMatching(new RegExp(`gateways\\.${r.gateway.id}: apiKey chosen`))]);
    expect(chosen.warnings.join()).not.toContain(r.gateway.apiKey);
    const active = () =>
      te.rt.pool
        .query('SELECT key_hash FROM gateway_keys WHERE gateway_id = $1 AND revoked_at IS NULL ORDER BY key_hash', [
          r.gateway.id,
        ])
        .then((q) => q.rows.map((k) => k.key_hash as string).sort());
    expect(await active()).toEqual([sha256(first.keys[0]!.key), sha256(r.gateway.apiKey)].sort());
    // The same file again changes nothing.
    await importRegistry(te.rt.db, { gateways: [r.gateway] });
    expect(await active()).toEqual([sha256(first.keys[0]!.key), sha256(r.gateway.apiKey)].sort());
    // Another chosen key replaces the earlier chosen one; the generated key stays.
    const next = `${r.gateway.apiKey}-next`;
    await importRegistry(te.rt.db, { gateways: [{ ...r.gateway, apiKey: next }] });
    expect(await active()).toEqual([sha256(first.keys[0]!.key), sha256(next)].sort());
    // The earlier chosen key, revoked, is not brought back by importing it again.
    const again = await importRegistry(te.rt.db, { gateways: [r.gateway] });
    expect(again.warnings).toEqual([expect.stringMatching(/was revoked and stays revoked/)]);
    expect(await active()).toEqual([sha256(first.keys[0]!.key), sha256(next)].sort());
  });

  it('refuses references to a municipality or citizen that does not exist', async () => {
    const r = ownRegistry();
    await refused({ gateways: [r.gateway] }, new RegExp(`unknown municipalities: ${r.municipality.id}`));
    await refused({ municipalities: [r.municipality], gateways: [r.gateway], devices: [r.device] }, /citizen/);
  });
});
