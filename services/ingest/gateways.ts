// Gateway authentication (Bearer API key → gateway) and signs of life.
import { EventEmitter } from 'node:events';
import type { Db } from '../../db/connect.js';
import { GATEWAY_KEYS_CHANNEL } from '../../db/gateway-keys.js';
import { findGatewayByKeyHash, recordSignOfLife, type KeyHolder } from '../../db/gateways.js';
import { listen, type Listener } from '../../db/notifications.js';
import { rateLimited, unauthorized, unavailable } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import { errorFields } from '../../platform/logger.js';
import { sha256 } from '../../platform/secrets.js';

export type Gateway = KeyHolder;

/**
 * Known keys are cached briefly so authentication costs no query per alarm. A revoked key or a disabled
 * gateway is dropped from the cache as soon as Postgres announces it (at its COMMIT); this bounds how long
 * a revoked key still works should that announcement be lost (the LISTEN connection down).
 */
const CACHE_MS = 5_000;
/** A sign of life is written at most this often per gateway and process, off the alarm's transaction. */
const SEEN_EVERY_MS = 30_000;

/** Keys (hashes) remembered, found or refused: bounded, least recently used first out. */
const CACHE_MAX = 10_000;
/** Invalid keys one address may present per minute before it is refused without a lookup (429). */
export const AUTH_FAILURES_PER_MINUTE = 30;
const FAILURE_WINDOW_MS = 60_000;
/** Addresses whose failures are counted: bounded like the key cache. */
const ADDRESSES_MAX = 10_000;

/** A Map used as an LRU: get refreshes, set evicts the oldest beyond `max`. */
class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  get size(): number {
    return this.map.size;
  }
}

/** The SHA-256 of a bearer key, or '' when the header holds none. */
const keyHash = (authorization: string | undefined): string => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m ? sha256(m[1]!) : '';
};

const noValidKey = () =>
  unauthorized('a valid gateway API key is required: Authorization: Bearer <key>', { 'www-authenticate': 'Bearer' });

export class GatewayDirectory {
  private cache = new Lru<string, { gateway: Gateway | null; until: number }>(CACHE_MAX);
  /** Invalid keys presented per address in the current window: a flood of guesses costs no queries. */
  private failures = new Lru<string, { count: number; since: number }>(ADDRESSES_MAX);
  private lastSeen = new Map<string, number>();
  private listener: Listener | undefined;
  /** Counts the times the cache was dropped: a lookup that began before a drop does not fill it. */
  private generation = 0;
  /** 'listening' once the key announcements are heard (again), 'forgotten' each time the cache is dropped. */
  readonly events = new EventEmitter();
  /** Resolves once the key announcements are first heard. */
  readonly listening: Promise<void>;

  constructor(private readonly db: Db) {
    this.listening = new Promise((resolve) => this.events.once('listening', () => resolve()));
  }

  /**
   * Hear Postgres announce revoked keys and disabled gateways (migrations/0012) and drop every cached key
   * then: such changes are rare, and a fresh lookup costs one indexed query per key in use. After the
   * connection was lost, the cache is dropped too (announcements may have been missed meanwhile).
   */
  listen(databaseUrl: string, logger: Logger): void {
    if (this.listener) return;
    this.listener = listen(databaseUrl, GATEWAY_KEYS_CHANNEL, {
      onNotify: () => this.forget(),
      onListening: () => this.events.emit('listening'),
      onReconnect: () => this.forget(),
      onError: (err) => logger.warn(errorFields(err), 'gateway key announcements lost; reconnecting'),
    });
  }

  /** Drop every cached key, found or refused: the next request of each looks its key up again. */
  forget(): void {
    this.cache = new Lru(CACHE_MAX);
    this.generation++;
    this.events.emit('forgotten');
  }

  async close(): Promise<void> {
    await this.listener?.close();
    this.listener = undefined;
  }

  /**
   * The gateway holding the bearer key. An address that presented more than AUTH_FAILURES_PER_MINUTE
   * invalid keys in the last minute is answered 429 before any lookup; refusals are cached too, so a
   * flood of wrong keys costs the database (the pool alarms commit on) next to nothing.
   */
  async authenticate(authorization: string | undefined, address = ''): Promise<Gateway> {
    const now = Date.now();
    const failed = this.failures.get(address);
    // A key this process has known as valid still gets through: a real gateway behind the same address
    // as a guesser keeps sending. Only unknown keys are refused without a lookup.
    if (
      failed &&
      now - failed.since < FAILURE_WINDOW_MS &&
      failed.count >= AUTH_FAILURES_PER_MINUTE &&
      !this.cache.get(keyHash(authorization))?.gateway
    )
      throw rateLimited(
        'too many invalid API keys from this address; wait and retry',
        failed.since + FAILURE_WINDOW_MS - now,
      );
    try {
      return await this.lookUp(authorization, now);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 401) {
        const current = failed && now - failed.since < FAILURE_WINDOW_MS ? failed : { count: 0, since: now };
        this.failures.set(address, { count: current.count + 1, since: current.since });
      }
      throw err;
    }
  }

  private async lookUp(authorization: string | undefined, now: number): Promise<Gateway> {
    const hash = keyHash(authorization);
    if (hash === '') throw noValidKey();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) {
      if (!hit.gateway) throw noValidKey();
      return hit.gateway;
    }
    let gateway: Gateway | null;
    const generation = this.generation;
    try {
      gateway = (await findGatewayByKeyHash(this.db, hash)) ?? null;
    } catch {
      throw unavailable('cannot check the API key: the database is unavailable');
    }
    // Read before a revocation was announced: answered as read, but not remembered.
    if (generation === this.generation) this.cache.set(hash, { gateway, until: now + (gateway ? CACHE_MS : 1_000) });
    if (!gateway) throw noValidKey();
    return gateway;
  }

  /** Record a heartbeat now, and the use of its key; returns the time stored. */
  async heartbeat(gateway: Gateway): Promise<Date> {
    const at = await recordSignOfLife(this.db, gateway.id, new Date(), gateway.keyId);
    if (!at) throw new Error(`gateway ${gateway.id} is not registered`);
    this.lastSeen.set(gateway.keyId, Date.now());
    return at;
  }

  /**
   * Any accepted event proves the gateway is alive: note it (and its key's use) now and then, never on the
   * alarm's critical path.
   */
  noteAlive(gateway: Gateway): void {
    const now = Date.now();
    if (now - (this.lastSeen.get(gateway.keyId) ?? 0) < SEEN_EVERY_MS) return;
    this.lastSeen.set(gateway.keyId, now);
    void recordSignOfLife(this.db, gateway.id, new Date(now), gateway.keyId).catch(() =>
      this.lastSeen.delete(gateway.keyId),
    );
  }
}
