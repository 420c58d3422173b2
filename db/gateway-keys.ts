// A gateway's API keys (only their SHA-256) and its disabled flag: what the administrators' routes and
// the registry import change (migrations/0012_gateway_keys_and_system_events.sql). Revoking a key or
// disabling a gateway is announced by Postgres to every ingest process (GATEWAY_KEYS_CHANNEL).
import { sql } from 'kysely';
import type { Db, Trx } from './connect.js';

/** NOTIFY channel (payload: the gateway's id) on a revoked or removed key and a disabled gateway. */
export const GATEWAY_KEYS_CHANNEL = 'responscenter_gateway_keys';

/** A gateway would have more than two active keys (the trigger gateway_keys_at_most_two). */
export class TooManyKeys extends Error {
  constructor(readonly gatewayId: string) {
    super(`gateway ${gatewayId} has two active keys already`);
  }
}

/** The key's hash is another key's already (only possible with keys chosen by hand). */
export class KeyTaken extends Error {
  constructor(readonly gatewayId: string) {
    super(`gateway ${gatewayId}: this key is in use already`);
  }
}

export type KeyOrigin = 'generated' | 'imported';

/** A key as an administrator sees it: never its hash. */
export type GatewayKeyListing = {
  id: string;
  origin: KeyOrigin;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

/**
 * Add an active key. TooManyKeys when the gateway has two active keys already, KeyTaken when the hash is
 * stored already; both are checked by the database, so concurrent additions cannot get past them.
 */
export async function addGatewayKey(
  db: Db | Trx,
  k: { gatewayId: string; keyHash: string; origin: KeyOrigin },
): Promise<GatewayKeyListing> {
  try {
    const row = await db
      .insertInto('gateway_keys')
      .values({ gateway_id: k.gatewayId, key_hash: k.keyHash, origin: k.origin })
      .returning(['id', 'origin', 'created_at', 'last_used_at', 'revoked_at'])
      .executeTakeFirstOrThrow();
    return listing(row);
  } catch (err) {
    const e = err as { code?: string; constraint?: string };
    if (e.constraint === 'gateway_keys_at_most_two') throw new TooManyKeys(k.gatewayId);
    if (e.code === '23505' && e.constraint === 'gateway_keys_key_hash_key') throw new KeyTaken(k.gatewayId);
    throw err;
  }
}

const listing = (r: {
  id: string;
  origin: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}): GatewayKeyListing => ({
  id: r.id,
  origin: r.origin as KeyOrigin,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/**
 * Whether the gateway is disabled, and its keys, oldest first, revoked ones included; undefined when there
 * is no such gateway.
 */
export async function listGatewayKeys(
  db: Db,
  gatewayId: string,
): Promise<{ disabled: boolean; keys: GatewayKeyListing[] } | undefined> {
  const gateway = await db.selectFrom('gateways').select('disabled').where('id', '=', gatewayId).executeTakeFirst();
  if (!gateway) return undefined;
  const rows = await db
    .selectFrom('gateway_keys')
    .select(['id', 'origin', 'created_at', 'last_used_at', 'revoked_at'])
    .where('gateway_id', '=', gatewayId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return { disabled: gateway.disabled, keys: rows.map(listing) };
}

/**
 * Revoke one of the gateway's keys (a key already revoked stays as it was); undefined when the gateway
 * has no such key.
 */
export async function revokeGatewayKey(
  db: Db | Trx,
  gatewayId: string,
  keyId: string,
): Promise<GatewayKeyListing | undefined> {
  await db
    .updateTable('gateway_keys')
    .set({ revoked_at: sql`now()` })
    .where('gateway_id', '=', gatewayId)
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .execute();
  const row = await db
    .selectFrom('gateway_keys')
    .select(['id', 'origin', 'created_at', 'last_used_at', 'revoked_at'])
    .where('gateway_id', '=', gatewayId)
    .where('id', '=', keyId)
    .executeTakeFirst();
  return row && listing(row);
}

/** Revoke every active key of the gateway that came from a registry import; how many were. */
export async function revokeImportedKeys(trx: Trx, gatewayId: string): Promise<number> {
  const r = await trx
    .updateTable('gateway_keys')
    .set({ revoked_at: sql`now()` })
    .where('gateway_id', '=', gatewayId)
    .where('origin', '=', 'imported')
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** The stored key with this hash, of whichever gateway. */
export async function findKeyByHash(
  db: Db | Trx,
  keyHash: string,
): Promise<{ id: string; gatewayId: string; revoked: boolean } | undefined> {
  const row = await db
    .selectFrom('gateway_keys')
    .select(['id', 'gateway_id', 'revoked_at'])
    .where('key_hash', '=', keyHash)
    .executeTakeFirst();
  return row && { id: row.id, gatewayId: row.gateway_id, revoked: row.revoked_at !== null };
}

/** Enable or disable a gateway; its state after, undefined when there is no such gateway. */
export async function setGatewayDisabled(
  db: Db,
  gatewayId: string,
  disabled: boolean,
): Promise<{ id: string; disabled: boolean } | undefined> {
  const row = await db
    .updateTable('gateways')
    .set({ disabled, updated_at: sql`now()` })
    .where('id', '=', gatewayId)
    .returning(['id', 'disabled'])
    .executeTakeFirst();
  return row;
}
