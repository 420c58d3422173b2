// Gateways as the ingest and the worker see them: who holds an API key, when each last showed a sign
// of life, and which have gone silent.
import { sql } from 'kysely';
import type { Db } from './connect.js';

export type GatewayIdentity = { id: string; municipalities: string[]; heartbeatSeconds: number };

/** A gateway as its key identifies it: the key's own id comes along, to record its use. */
export type KeyHolder = GatewayIdentity & { keyId: string };

/**
 * The enabled gateway holding an active API key with this SHA-256 (keys are stored only as their hash):
 * one lookup by the unique index on key_hash. A revoked key and a disabled gateway find nothing.
 */
export async function findGatewayByKeyHash(db: Db, keyHash: string): Promise<KeyHolder | undefined> {
  const row = await db
    .selectFrom('gateway_keys as k')
    .innerJoin('gateways as g', 'g.id', 'k.gateway_id')
    .select(['g.id', 'g.municipalities', 'g.heartbeat_seconds', 'k.id as key_id'])
    .where('k.key_hash', '=', keyHash)
    .where('k.revoked_at', 'is', null)
    .where('g.disabled', '=', false)
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      municipalities: row.municipalities,
      heartbeatSeconds: row.heartbeat_seconds,
      keyId: row.key_id,
    }
  );
}

/**
 * Record a sign of life (a heartbeat, or any accepted event) at `at`, and the use of the key it came
 * with; returns the time stored, undefined when no such gateway is registered.
 */
export async function recordSignOfLife(db: Db, gatewayId: string, at: Date, keyId?: string): Promise<Date | undefined> {
  if (keyId !== undefined)
    await db.updateTable('gateway_keys').set({ last_used_at: at }).where('id', '=', keyId).execute();
  const r = await db
    .updateTable('gateways')
    .set({ last_heartbeat_at: at })
    .where('id', '=', gatewayId)
    .returning('last_heartbeat_at')
    .executeTakeFirst();
  return r?.last_heartbeat_at ?? undefined;
}

export type SilentGateway = GatewayIdentity & { lastSignOfLife: Date };

/** A gateway's last sign of life; one that never sent a heartbeat counts from its registration. */
const lastSign = sql<Date>`COALESCE(last_heartbeat_at, created_at)`;
/** Silent for longer than its heartbeat interval, by the database clock. */
const isSilent = sql<boolean>`${lastSign} < now() - make_interval(secs => heartbeat_seconds)`;

/** Enabled gateways silent for longer than their heartbeat interval (see isSilent); a disabled one is not supervised. */
export async function listSilentGateways(db: Db): Promise<SilentGateway[]> {
  const rows = await db
    .selectFrom('gateways')
    .select(['id', 'municipalities', 'heartbeat_seconds'])
    .select(lastSign.as('last_sign'))
    .where(isSilent)
    .where('disabled', '=', false)
    .execute();
  return rows.map((g) => ({
    id: g.id,
    municipalities: g.municipalities,
    heartbeatSeconds: g.heartbeat_seconds,
    lastSignOfLife: g.last_sign,
  }));
}

export type SilentGatewayStatus = {
  id: string;
  name: string;
  /** The last heartbeat or accepted event; null when there has been none since registration. */
  lastHeartbeatAt: Date | null;
  heartbeatSeconds: number;
  /** Whole seconds since the last sign of life (or the registration). */
  silentSeconds: number;
};

/**
 * Silent gateways serving at least one of `municipalities` (null: any), the longest silent first. The
 * gateways table holds one row per gateway, a few hundred at most: it is read whole.
 */
export async function listSilentGatewaysServing(
  db: Db,
  municipalities: readonly string[] | null,
): Promise<SilentGatewayStatus[]> {
  if (municipalities !== null && municipalities.length === 0) return [];
  let q = db
    .selectFrom('gateways')
    .select(['id', 'name', 'last_heartbeat_at', 'heartbeat_seconds'])
    .select(sql<number>`floor(extract(epoch FROM now() - ${lastSign}))::int`.as('silent_seconds'))
    .where(isSilent)
    .where('disabled', '=', false);
  if (municipalities !== null) q = q.where(sql<boolean>`municipalities && ${[...municipalities]}::text[]`);
  const rows = await q.orderBy('silent_seconds', 'desc').orderBy('id').execute();
  return rows.map((g) => ({
    id: g.id,
    name: g.name,
    lastHeartbeatAt: g.last_heartbeat_at,
    heartbeatSeconds: g.heartbeat_seconds,
    silentSeconds: g.silent_seconds,
  }));
}
