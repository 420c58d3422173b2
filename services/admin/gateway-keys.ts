// Gateway API keys made by the server: 256 random bits, base64url, shown once and stored only as their
// SHA-256. Two may be active per gateway, so a key is rotated without a gap: create the new one, put it
// in the gateway, revoke the old one. Used by the administrators' routes and the registry import.
import type { Db, Trx } from '../../db/connect.js';
import { addGatewayKey, type GatewayKeyListing } from '../../db/gateway-keys.js';
import { randomToken, sha256 } from '../../platform/secrets.js';

/** A new key: `key` is the secret itself, which nothing stores; whoever receives it must keep it. */
export type NewGatewayKey = GatewayKeyListing & { key: string };

/**
 * Generate a key for the gateway and store its hash. TooManyKeys (db/gateway-keys.ts) when the gateway
 * has two active keys already.
 */
export async function createGatewayKey(db: Db | Trx, gatewayId: string): Promise<NewGatewayKey> {
  const key = randomToken();
  const stored = await addGatewayKey(db, { gatewayId, keyHash: sha256(key), origin: 'generated' });
  return { ...stored, key };
}
