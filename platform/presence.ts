// Who is there now, shared through Redis by every process: the users with an open live feed (each
// console instance publishes its own) and the worker processes. A sorted set per kind; each member is
// scored with the time it was last published, taken from Redis's own clock inside a script, so the
// processes' clocks never matter. A member not refreshed within its time to live counts as gone, so a
// process that dies without a word drops out by itself; one that closes removes its members at once.
// Members carry user names and process ids only, never personal data of citizens.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { errorFields, type Logger } from './logger.js';
import type { Redis } from './redis.js';

/** Console instances refresh their users this often; one missing twice is gone. */
export const FEED_PRESENCE = { refreshMs: 10_000, ttlMs: 25_000 } as const;
/** Workers refresh themselves this often; "no worker seen for 15 s" means none is running. */
export const WORKER_PRESENCE = { refreshMs: 5_000, ttlMs: 15_000 } as const;

/** After a failed publish, the next try. */
const RETRY_MS = 1_000;

export const feedPresenceKey = (redisPrefix: string) => `${redisPrefix}:presence:feeds`;
export const workerPresenceKey = (redisPrefix: string) => `${redisPrefix}:presence:workers`;

/** Redis's clock in milliseconds, inside a script. */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] the set; ARGV: ttl ms, number of members present, the present ones, then the gone ones. */
const PUBLISH = `${NOW}
local n = tonumber(ARGV[2])
for i = 3, n + 2 do redis.call('ZADD', KEYS[1], now, ARGV[i]) end
for i = n + 3, #ARGV do redis.call('ZREM', KEYS[1], ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
return n`;

/** KEYS[1] the set; ARGV[1] ttl ms: the members refreshed within it. */
const READ = `${NOW}
return redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf')`;

export class PresenceSet {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
    private readonly ttlMs: number,
  ) {}

  /** Refresh `present`, remove `gone`, forget members whose time to live has passed. */
  async publish(present: readonly string[], gone: readonly string[] = []): Promise<void> {
    await this.redis.eval(PUBLISH, 1, this.key, this.ttlMs, present.length, ...present, ...gone);
  }

  /** The members refreshed within their time to live. */
  async read(): Promise<string[]> {
    return (await this.redis.eval(READ, 1, this.key, this.ttlMs)) as string[];
  }
}

/** A user with an open live feed on a console instance: one member per instance and user. */
export const feedMember = (instanceId: string, username: string) => `${instanceId}\n${username}`;
/** The user of a feedMember (instance ids hold no newline). */
export const usernameOfFeedMember = (member: string) => member.slice(member.indexOf('\n') + 1);

/** A process's own id in presence sets: readable in Redis, unique even for two processes of one host. */
export const processInstanceId = () => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

/**
 * Keeps one process's members of a presence set published: `update` replaces them (published at
 * once; updates during a publish share the next one), a timer refreshes them, `close` removes them.
 * A failed publish is logged once per outage and retried a second later.
 */
export class PresencePublisher {
  private current = new Set<string>();
  private published = new Set<string>();
  private running: Promise<void> | null = null;
  private again = false;
  private failing = false;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly set: PresenceSet,
    refreshMs: number,
    private readonly logger: Logger,
    private readonly name: string,
  ) {
    this.timer = setInterval(() => this.flush(), refreshMs);
    this.timer.unref();
  }

  update(members: Iterable<string>): void {
    if (this.closed) return;
    this.current = new Set(members);
    this.flush();
  }

  private flush(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.push().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.flush();
      }
    });
  }

  private async push(): Promise<void> {
    const present = [...this.current];
    const gone = [...this.published].filter((m) => !this.current.has(m));
    try {
      await this.set.publish(present, gone);
      this.published = new Set(present);
      if (this.failing) this.logger.info(`${this.name}: publishing presence again`);
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.logger.warn(errorFields(err), `${this.name}: publishing presence failed; retrying`);
      this.failing = true;
      // Sooner than the next refresh: a process that is there should not look gone for long.
      setTimeout(() => this.flush(), RETRY_MS).unref();
    }
  }

  /** Stop refreshing and remove this process's members (best effort: otherwise they expire). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
    const gone = [...new Set([...this.published, ...this.current])];
    if (gone.length > 0) await this.set.publish([], gone).catch(() => {});
  }
}
