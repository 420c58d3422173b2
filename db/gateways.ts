// Gateways as the ingest and the worker see them: who holds an API key, when each last showed a sign
// of life, and which have gone silent.
import { sql } from 'kysely';
import type { Db } from './connect.js';

export type GatewayIdentity = { id: string; municipalities: string[]; heartbeatSeconds: number };

/** The gateway whose API key has this SHA-256 (keys are stored only as their hash). */
export async function findGatewayByKeyHash(db: Db, apiKeyHash: string): Promise<GatewayIdentity | undefined> {
  const row = await db
    .selectFrom('gateways')
    .select(['id', 'municipalities', 'heartbeat_seconds'])
    .where('api_key_hash', '=', apiKeyHash)
    .executeTakeFirst();
  return row && { id: row.id, municipalities: row.municipalities, heartbeatSeconds: row.heartbeat_seconds };
}

/**
 * Record a sign of life (a heartbeat, or any accepted event) at `at`; returns the time stored, undefined
 * when no such gateway is registered.
 */
export async function recordSignOfLife(db: Db, gatewayId: string, at: Date): Promise<Date | undefined> {
  const r = await db
    .updateTable('gateways')
    .set({ last_heartbeat_at: at })
    .where('id', '=', gatewayId)
    .returning('last_heartbeat_at')
    .executeTakeFirst();
  return r?.last_heartbeat_at ?? undefined;
}

export type SilentGateway = GatewayIdentity & { lastSignOfLife: Date };

/**
 * Gateways silent for longer than their heartbeat interval, by the database clock. A gateway that never
 * sent a heartbeat counts from its registration.
 */
export async function listSilentGateways(db: Db): Promise<SilentGateway[]> {
  const rows = await db
    .selectFrom('gateways')
    .select(['id', 'municipalities', 'heartbeat_seconds'])
    .select(sql<Date>`COALESCE(last_heartbeat_at, created_at)`.as('last_sign'))
    .where(sql<boolean>`COALESCE(last_heartbeat_at, created_at) < now() - make_interval(secs => heartbeat_seconds)`)
    .execute();
  return rows.map((g) => ({
    id: g.id,
    municipalities: g.municipalities,
    heartbeatSeconds: g.heartbeat_seconds,
    lastSignOfLife: g.last_sign,
  }));
}
