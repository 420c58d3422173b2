// Gateway authentication (Bearer API key → gateway) and signs of life.
import type { Db } from '../../db/connect.js';
import { HttpError, unavailable } from '../../platform/errors.js';
import { sha256 } from '../../platform/secrets.js';

export type Gateway = { id: string; municipalities: string[]; heartbeatSeconds: number };

/** Known keys are cached briefly so authentication costs no query per alarm; a revoked key stops working within this. */
const CACHE_MS = 5_000;
/** A sign of life is written at most this often per gateway and process, off the alarm's transaction. */
const SEEN_EVERY_MS = 30_000;

const unauthorized = () =>
  new HttpError(401, 'unauthorized', 'a valid gateway API key is required: Authorization: Bearer <key>', {
    'www-authenticate': 'Bearer',
  });

export class GatewayDirectory {
  private cache = new Map<string, { gateway: Gateway | null; until: number }>();
  private lastSeen = new Map<string, number>();

  constructor(private readonly db: Db) {}

  async authenticate(authorization: string | undefined): Promise<Gateway> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) throw unauthorized();
    const hash = sha256(m[1]!);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) {
      if (!hit.gateway) throw unauthorized();
      return hit.gateway;
    }
    let row;
    try {
      row = await this.db
        .selectFrom('gateways')
        .select(['id', 'municipalities', 'heartbeat_seconds'])
        .where('api_key_hash', '=', hash)
        .executeTakeFirst();
    } catch {
      throw unavailable('cannot check the API key: the database is unavailable');
    }
    const gateway = row
      ? { id: row.id, municipalities: row.municipalities, heartbeatSeconds: row.heartbeat_seconds }
      : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { gateway, until: now + (gateway ? CACHE_MS : 1_000) });
    if (!gateway) throw unauthorized();
    return gateway;
  }

  /** Record a heartbeat now; returns the time stored. */
  async heartbeat(gatewayId: string): Promise<Date> {
    const r = await this.db
      .updateTable('gateways')
      .set({ last_heartbeat_at: new Date() })
      .where('id', '=', gatewayId)
      .returning('last_heartbeat_at')
      .executeTakeFirstOrThrow();
    this.lastSeen.set(gatewayId, Date.now());
    return r.last_heartbeat_at!;
  }

  /** Any accepted event proves the gateway is alive: note it now and then, never on the alarm's critical path. */
  noteAlive(gatewayId: string): void {
    const now = Date.now();
    if (now - (this.lastSeen.get(gatewayId) ?? 0) < SEEN_EVERY_MS) return;
    this.lastSeen.set(gatewayId, now);
    void this.db
      .updateTable('gateways')
      .set({ last_heartbeat_at: new Date(now) })
      .where('id', '=', gatewayId)
      .execute()
      .catch(() => this.lastSeen.delete(gatewayId));
  }
}
