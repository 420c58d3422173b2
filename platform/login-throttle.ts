// Login throttling shared by every console instance (in Redis): growing delays after failed logins,
// counted per account (across addresses), per address (across accounts) and per (account, address).
//
// Delays, not a lock-out: an attacker who could lock an operator out by failing on purpose would have
// a weapon against the centre. So an account's own delay never applies at an address where that user
// has logged in successfully before (their workstation), and every delay is capped. Throttled attempts
// are refused before the password is checked, so a guess made during a delay tells nothing.
import { createHash } from 'node:crypto';
import type { Redis } from './redis.js';

export type ThrottleRule = { free: number; baseMs: number; maxMs: number };

export type LoginThrottleOptions = {
  /** Failures of one account from any address. */
  account: ThrottleRule;
  /** Failures from one address for any account (password spraying). */
  address: ThrottleRule;
  /** Failures of one account from one address. */
  pair: ThrottleRule;
  /** Counters are forgotten after this long without a failure. */
  forgetAfterMs: number;
  /** Addresses a user logged in from are remembered this long. */
  rememberAddressMs: number;
};

export const LOGIN_THROTTLE_DEFAULTS: LoginThrottleOptions = {
  pair: { free: 5, baseMs: 1_000, maxMs: 15 * 60_000 },
  account: { free: 20, baseMs: 1_000, maxMs: 15 * 60_000 },
  address: { free: 50, baseMs: 1_000, maxMs: 15 * 60_000 },
  forgetAfterMs: 60 * 60_000,
  rememberAddressMs: 30 * 86_400_000,
};

/** The wait after `failures` failures under `rule`: none while free, then doubling from baseMs, capped. */
export function delayAfter(rule: ThrottleRule, failures: number): number {
  if (failures < rule.free) return 0;
  return Math.min(rule.maxMs, rule.baseMs * 2 ** Math.min(failures - rule.free, 30));
}

type Counter = { failures: number; lastMs: number };

// Usernames and addresses appear in keys only hashed: a key listing is no list of who logs in where.
const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

export class LoginThrottle {
  private readonly opts: LoginThrottleOptions;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    opts: Partial<LoginThrottleOptions> = {},
  ) {
    this.opts = { ...LOGIN_THROTTLE_DEFAULTS, ...opts };
  }

  private keys(username: string, address: string) {
    const u = h(username.toLowerCase());
    const a = h(address);
    return {
      account: `${this.prefix}:login:account:${u}`,
      address: `${this.prefix}:login:address:${a}`,
      pair: `${this.prefix}:login:pair:${u}:${a}`,
      known: `${this.prefix}:login:known:${u}`,
      a,
    };
  }

  /** Milliseconds to wait before this attempt may be judged; 0 when it may go ahead. */
  async waitMs(username: string, address: string, now = Date.now()): Promise<number> {
    const k = this.keys(username, address);
    const [account, byAddress, pair, known] = await Promise.all([
      this.read(k.account),
      this.read(k.address),
      this.read(k.pair),
      this.redis.zscore(k.known, k.a),
    ]);
    const waits = [this.until(this.opts.pair, pair, now), this.until(this.opts.address, byAddress, now)];
    const knownHere = known !== null && Number(known) > now - this.opts.rememberAddressMs;
    if (!knownHere) waits.push(this.until(this.opts.account, account, now));
    return Math.max(0, ...waits);
  }

  async failed(username: string, address: string, now = Date.now()): Promise<void> {
    const k = this.keys(username, address);
    const m = this.redis.multi();
    for (const key of [k.account, k.address, k.pair]) {
      m.hincrby(key, 'failures', 1);
      m.hset(key, 'lastMs', now);
      m.pexpire(key, this.opts.forgetAfterMs);
    }
    await m.exec();
  }

  /** A successful login: the pair starts afresh and the address is remembered for this user. */
  async succeeded(username: string, address: string, now = Date.now()): Promise<void> {
    const k = this.keys(username, address);
    await this.redis
      .multi()
      .del(k.pair)
      .zadd(k.known, now, k.a)
      .zremrangebyscore(k.known, '-inf', now - this.opts.rememberAddressMs)
      .pexpire(k.known, this.opts.rememberAddressMs)
      .exec();
  }

  private async read(key: string): Promise<Counter | null> {
    const [failures, lastMs] = await this.redis.hmget(key, 'failures', 'lastMs');
    return failures === null ? null : { failures: Number(failures), lastMs: Number(lastMs ?? 0) };
  }

  private until(rule: ThrottleRule, c: Counter | null, now: number): number {
    if (!c) return 0;
    return c.lastMs + delayAfter(rule, c.failures) - now;
  }
}
