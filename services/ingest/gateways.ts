// Gateway authentication (Bearer API key → gateway) and signs of life.
import type { Db } from '../../db/connect.js';
import { findGatewayByKeyHash, recordSignOfLife, type GatewayIdentity } from '../../db/gateways.js';
import { unauthorized, unavailable } from '../../platform/errors.js';
import { sha256 } from '../../platform/secrets.js';

export type Gateway = GatewayIdentity;

/** Known keys are cached briefly so authentication costs no query per alarm; a revoked key stops working within this. */
const CACHE_MS = 5_000;
/** A sign of life is written at most this often per gateway and process, off the alarm's transaction. */
const SEEN_EVERY_MS = 30_000;

const noValidKey = () =>
  unauthorized('a valid gateway API key is required: Authorization: Bearer <key>', { 'www-authenticate': 'Bearer' });

export class GatewayDirectory {
  private cache = new Map<string, { gateway: Gateway | null; until: number }>();
  private lastSeen = new Map<string, number>();

  constructor(private readonly db: Db) {}

  async authenticate(authorization: string | undefined): Promise<Gateway> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) throw noValidKey();
    const hash = sha256(m[1]!);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) {
      if (!hit.gateway) throw noValidKey();
      return hit.gateway;
    }
    let gateway: Gateway | null;
    try {
      gateway = (await findGatewayByKeyHash(this.db, hash)) ?? null;
    } catch {
      throw unavailable('cannot check the API key: the database is unavailable');
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { gateway, until: now + (gateway ? CACHE_MS : 1_000) });
    if (!gateway) throw noValidKey();
    return gateway;
  }

  /** Record a heartbeat now; returns the time stored. */
  async heartbeat(gatewayId: string): Promise<Date> {
    const at = await recordSignOfLife(this.db, gatewayId, new Date());
    if (!at) throw new Error(`gateway ${gatewayId} is not registered`);
    this.lastSeen.set(gatewayId, Date.now());
    return at;
  }

  /** Any accepted event proves the gateway is alive: note it now and then, never on the alarm's critical path. */
  noteAlive(gatewayId: string): void {
    const now = Date.now();
    if (now - (this.lastSeen.get(gatewayId) ?? 0) < SEEN_EVERY_MS) return;
    this.lastSeen.set(gatewayId, now);
    void recordSignOfLife(this.db, gatewayId, new Date(now)).catch(() => this.lastSeen.delete(gatewayId));
  }
}
