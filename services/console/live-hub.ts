// The live feed of one console process: reads the change log in seq order and fans each change out
// to every connected user allowed to see it.
//
// Why this is gap- and duplicate-free:
//  - The hub reads only final changes (db/changes.ts: below the horizon of running transactions), in
//    seq order, so whenever it has read up to seq N, every row below N is final. It only moves forward.
//    Changes held back behind an older running transaction are read again shortly (`heldBackMs`).
//  - A notification on Redis ("the log reached N") only triggers a read; a lost one is made up by the
//    poll timer. Pulls are coalesced: one in flight, and a notification during it asks for one more.
//  - A new client is registered *before* its catch-up query and, until synced, buffers what the hub
//    fans out. Whatever the hub fanned out before registration was committed before the catch-up
//    snapshot, so it is in the catch-up; the rest is in the buffer or still to come. After `synced`
//    the client is sent only seqs above the last one it was sent.
//
// The hub also publishes who has a feed open on this instance (platform/presence.ts), for the
// centre's staffing figures: at once when a feed opens or closes, and refreshed every few seconds.
import type { WebSocket } from 'ws';
import { currentSeq, readChangesSince, type FeedRow } from '../../db/changes.js';
import { feedChangesBetween, feedSnapshot } from '../../db/live-feed.js';
import { listen, type Listener } from '../../db/notifications.js';
import { findSessions, SESSIONS_ENDED_CHANNEL } from '../../db/sessions.js';
import type { LiveMessage } from '../../domain/views.js';
import { feedChannel, subscribeFeed } from '../../platform/feed-bus.js';
import { errorFields } from '../../platform/logger.js';
import type { ConsoleMetrics } from '../../platform/metrics.js';
import {
  FEED_PRESENCE,
  feedMember,
  feedPresenceKey,
  PresencePublisher,
  PresenceSet,
  processInstanceId,
} from '../../platform/presence.js';
import { blockingRedis, type Redis } from '../../platform/redis.js';
import type { Runtime } from '../../platform/runtime.js';
import { accessKey, feedAccess, feedAllows, type ConsoleUser, type FeedAccess } from './access.js';
import { toConsoleUser } from './auth.js';

/** WebSocket close codes (RFC 6455 §7.4.1). */
export const CLOSE = {
  goingAway: 1001,
  policy: 1008,
  internalError: 1011,
  tryAgainLater: 1013,
} as const;

export type LiveHubOptions = {
  /** Safety poll of the change log, for notifications lost while Redis is away. */
  pollMs: number;
  /** A socket with more unsent bytes than this is too slow: it is closed (1013) and reconnects with since. */
  maxBufferedBytes: number;
  /** Changes a client may accumulate while its catch-up runs before it is closed (1013). */
  maxPendingRows: number;
  /** How often open feeds re-check their session, so a logout, expiry or changed scope ends the feed. */
  revalidateMs: number;
  /** Ping interval; a client that has not answered the previous ping is dropped. */
  pingMs: number;
  /** Rows read from the log per query. */
  pageSize: number;
  /**
   * How soon to read again when committed changes wait behind an older transaction still running. One
   * that wrote changes announces its own commit; this covers those that wrote none, or rolled back.
   */
  heldBackMs: number;
};

const DEFAULTS: LiveHubOptions = {
  pollMs: 500,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxPendingRows: 50_000,
  revalidateMs: 15_000,
  pingMs: 30_000,
  pageSize: 1000,
  heldBackMs: 5,
};

class LiveClient {
  state: 'catching_up' | 'live' | 'closed' = 'catching_up';
  /** The highest seq sent to this client. */
  lastSent = 0;
  /** Fanned-out changes held back until the catch-up is done. */
  pending: { seq: number; message: string }[] = [];
  alive = true;
  /** Ends the feed when its session's lifetime ends. */
  expiry: NodeJS.Timeout | null = null;
  readonly access: FeedAccess;
  readonly accessKey: string;

  constructor(
    readonly socket: WebSocket,
    readonly user: ConsoleUser,
    readonly tokenHash: string,
  ) {
    this.access = feedAccess(user);
    this.accessKey = accessKey(user);
  }
}

const OPEN = 1; // WebSocket.OPEN
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Every message on the feed goes through here, so each is a LiveMessage (domain/views.ts). */
const encode = (message: LiveMessage): string => JSON.stringify(message);

/** A change as a feed message. */
export const feedMessage = (row: FeedRow): string =>
  encode(
    row.kind === 'alarm'
      ? { type: 'alarm', seq: row.seq, alarm: row.payload }
      : { type: 'dispatch', seq: row.seq, dispatch: row.payload },
  );

export class LiveHub {
  private readonly opts: LiveHubOptions;
  private readonly clients = new Set<LiveClient>();
  /** The last seq fanned out. */
  private head = 0;
  private started = false;
  private closed = false;
  private pulling: Promise<void> | null = null;
  private dirty = false;
  private failing = false;
  private subscriber: Redis | null = null;
  private timers: NodeJS.Timeout[] = [];
  private recheck: NodeJS.Timeout | null = null;
  private sessionEnds: Listener | null = null;
  private revalidating: Promise<void> | null = null;
  private revalidateAgain = false;
  private presence: PresencePublisher | null = null;
  private readonly instanceId = processInstanceId();

  constructor(
    private readonly rt: Runtime,
    private readonly metrics: ConsoleMetrics,
    opts: Partial<LiveHubOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  get connections(): number {
    return this.clients.size;
  }

  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    this.presence = new PresencePublisher(
      new PresenceSet(this.rt.redis, feedPresenceKey(this.rt.config.redisPrefix), FEED_PRESENCE.ttlMs),
      FEED_PRESENCE.refreshMs,
      this.rt.logger,
      'live feed',
    );
    this.head = await currentSeq(this.rt.db);
    const subscriber = blockingRedis(this.rt.config.redisUrl);
    this.subscriber = subscriber;
    subscriber.on('error', (err) => this.rt.logger.debug(errorFields(err), 'live feed subscriber: redis error'));
    // Not awaited: while Redis is away the poll timer carries the feed, and ioredis resubscribes on reconnect.
    subscribeFeed(subscriber, feedChannel(this.rt.config.redisPrefix), () => this.kick()).catch((err: Error) =>
      this.rt.logger.warn(errorFields(err), 'live feed: subscribing failed; polling only'),
    );
    this.every(this.opts.pollMs, () => this.kick());
    // A session ended anywhere (logout, log out everywhere, an admin, a changed or disabled user) closes
    // its feeds at once; the periodic re-check covers notifications lost while Postgres was away.
    this.sessionEnds = listen(this.rt.config.databaseUrl, SESSIONS_ENDED_CHANNEL, {
      onNotify: (username) => {
        if ([...this.clients].some((c) => c.user.username === username)) this.revalidateNow();
      },
      onReconnect: () => this.revalidateNow(),
      onError: (err) => this.rt.logger.debug(errorFields(err), 'live feed: session notifications lost; reconnecting'),
    });
    this.every(this.opts.revalidateMs, () => this.revalidateNow());
    this.every(this.opts.pingMs, () => this.ping());
  }

  /** Read the log now (or once more after the read in flight). */
  kick(): void {
    if (this.closed || !this.started) return;
    if (this.pulling) {
      this.dirty = true;
      return;
    }
    this.pulling = this.pull().finally(() => {
      this.pulling = null;
    });
  }

  private async pull(): Promise<void> {
    try {
      do {
        this.dirty = false;
        for (;;) {
          if (this.clients.size === 0) {
            // Nobody to send to: move the head without reading payloads. Only if still nobody is
            // connected once the answer is in: a client that registered meanwhile may have read its
            // catch-up head before this query ran, and needs the rows in between fanned out.
            const seq = await currentSeq(this.rt.db);
            if (this.clients.size === 0) {
              this.head = Math.max(this.head, seq);
              break;
            }
            continue;
          }
          const { rows, heldBack } = await readChangesSince(this.rt.db, this.head, this.opts.pageSize);
          if (this.closed) return;
          for (const row of rows) {
            if (row.seq <= this.head) continue;
            this.fanOut(row);
            this.head = row.seq;
          }
          if (heldBack) {
            this.recheck ??= setTimeout(() => {
              this.recheck = null;
              this.kick();
            }, this.opts.heldBackMs);
            break;
          }
          if (rows.length < this.opts.pageSize) break;
        }
      } while (this.dirty && !this.closed);
      if (this.failing) this.rt.logger.info('live feed: reading the change log again');
      this.failing = false;
    } catch (err) {
      // The next poll retries; log once per outage, not every 500 ms.
      if (!this.failing) this.rt.logger.warn(errorFields(err), 'live feed: reading the change log failed');
      this.failing = true;
    }
  }

  private fanOut(row: FeedRow): void {
    let message: string | undefined;
    for (const c of this.clients) {
      if (!feedAllows(c.access, row.kind, row.municipality)) continue;
      message ??= feedMessage(row);
      if (c.state === 'catching_up') {
        c.pending.push({ seq: row.seq, message });
        if (c.pending.length > this.opts.maxPendingRows)
          this.drop(c, CLOSE.tryAgainLater, 'catch-up too slow; reconnect with since');
      } else if (c.state === 'live' && row.seq > c.lastSent) {
        this.send(c, row.seq, message);
      }
    }
  }

  private send(c: LiveClient, seq: number, message: string): void {
    if (c.socket.readyState !== OPEN) return;
    c.socket.send(message);
    c.lastSent = seq;
    this.metrics.liveMessages.inc();
    if (c.socket.bufferedAmount > this.opts.maxBufferedBytes)
      this.drop(c, CLOSE.tryAgainLater, 'client too slow; reconnect with since');
  }

  /** Serve one connected user: catch up (snapshot or replay from `since`), say synced, go live. */
  async connect(
    socket: WebSocket,
    user: ConsoleUser,
    tokenHash: string,
    since?: number,
    expiresAt?: Date,
  ): Promise<void> {
    const c = new LiveClient(socket, user, tokenHash);
    if (this.closed) {
      socket.close(CLOSE.goingAway, 'server shutting down');
      return;
    }
    this.clients.add(c);
    if (expiresAt) this.endAt(c, expiresAt.getTime());
    this.metrics.liveConnections.inc();
    this.publishPresence();
    socket.on('close', () => this.remove(c));
    socket.on('pong', () => {
      c.alive = true;
    });
    // The feed is one-way; anything a client sends is ignored.
    socket.on('message', () => {});
    try {
      await this.catchUp(c, since);
    } catch (err) {
      if (c.state === 'closed') return;
      this.rt.logger.warn(errorFields(err), 'live feed: catch-up failed');
      this.drop(c, CLOSE.internalError, 'catch-up failed; reconnect with since');
    }
  }

  private async catchUp(c: LiveClient, since: number | undefined): Promise<void> {
    const db = this.rt.db;
    let synced: number;
    const head = since === undefined ? 0 : await currentSeq(db);
    // A since beyond the log's head comes from another database (or a reset one): start afresh.
    if (since === undefined || since > head) {
      const snapshot = await feedSnapshot(db, c.access);
      synced = snapshot.seq;
      for (const row of snapshot.rows) this.sendCatchUp(c, row.seq, feedMessage(row));
      await this.flushed(c);
    } else {
      synced = head;
      c.lastSent = since;
      let after = since;
      while (after < head && c.state === 'catching_up') {
        const rows = await feedChangesBetween(db, after, head, c.access, this.opts.pageSize);
        for (const row of rows) this.sendCatchUp(c, row.seq, feedMessage(row));
        // Backpressure: the next page waits until this one has left.
        await this.flushed(c);
        if (rows.length < this.opts.pageSize) break;
        after = rows.at(-1)!.seq;
      }
    }
    if (c.state !== 'catching_up' || c.socket.readyState !== OPEN) return;
    // From here to the end nothing awaits, so no fan-out can interleave.
    c.socket.send(encode({ type: 'synced', seq: synced }));
    this.metrics.liveMessages.inc();
    c.lastSent = Math.max(c.lastSent, synced);
    const pending = c.pending;
    c.pending = [];
    c.state = 'live';
    for (const p of pending) if (p.seq > c.lastSent) this.send(c, p.seq, p.message);
  }

  private sendCatchUp(c: LiveClient, seq: number, message: string): void {
    if (c.state !== 'catching_up' || c.socket.readyState !== OPEN || seq <= c.lastSent) return;
    c.socket.send(message);
    c.lastSent = seq;
    this.metrics.liveMessages.inc();
  }

  /** Resolves when what was sent so far has been handed to the network (or the socket is gone). */
  private flushed(c: LiveClient): Promise<void> {
    if (c.socket.readyState !== OPEN || c.socket.bufferedAmount === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        c.socket.off('close', done);
        resolve();
      };
      c.socket.on('close', done);
      // An empty ping's callback runs once everything queued before it has been written.
      c.socket.ping(undefined, undefined, () => done());
    });
  }

  private drop(c: LiveClient, code: number, reason: string): void {
    if (c.state === 'closed') return;
    this.remove(c);
    if (c.socket.readyState === OPEN) c.socket.close(code, reason);
    else c.socket.terminate();
  }

  /**
   * A session's lifetime is known when its feed opens: the feed ends (1008) when it does, not at the next
   * periodic re-check. (Timers hold at most 2^31-1 ms, about 24 days; a longer wait is taken in steps.)
   */
  private endAt(c: LiveClient, at: number): void {
    const wait = at - Date.now();
    if (wait <= 0) {
      this.drop(c, CLOSE.policy, 'session expired; log in again');
      return;
    }
    c.expiry = setTimeout(() => this.endAt(c, at), Math.min(wait, MAX_TIMER_MS));
    c.expiry.unref();
  }

  private remove(c: LiveClient): void {
    if (c.expiry) clearTimeout(c.expiry);
    c.expiry = null;
    c.state = 'closed';
    c.pending = [];
    if (this.clients.delete(c)) {
      this.metrics.liveConnections.dec();
      this.publishPresence();
    }
  }

  /** The users with a feed open here, as this instance's members of the shared presence set. */
  private publishPresence(): void {
    const users = new Set([...this.clients].map((c) => c.user.username));
    this.presence?.update([...users].map((u) => feedMember(this.instanceId, u)));
  }

  /** Re-check now, or once more after the check in flight. */
  private revalidateNow(): void {
    if (this.revalidating) {
      this.revalidateAgain = true;
      return;
    }
    this.revalidating = this.revalidate().finally(() => {
      this.revalidating = null;
      if (this.revalidateAgain && !this.closed) {
        this.revalidateAgain = false;
        this.revalidateNow();
      }
    });
  }

  /** End feeds whose session ended (logout, expiry) or whose user's role or scope changed. */
  private async revalidate(): Promise<void> {
    if (this.clients.size === 0 || this.closed) return;
    const clients = [...this.clients];
    let sessions;
    try {
      sessions = await findSessions(
        this.rt.db,
        [...new Set(clients.map((c) => c.tokenHash))],
        this.rt.config.sessionIdleMinutes,
      );
    } catch {
      return; // the database is away; the next round checks again
    }
    for (const c of clients) {
      const s = sessions.get(c.tokenHash);
      if (!s) this.drop(c, CLOSE.policy, 'session ended; log in again');
      else if (accessKey(toConsoleUser(s)) !== c.accessKey) this.drop(c, CLOSE.policy, 'access changed; reconnect');
    }
  }

  private ping(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        this.remove(c);
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      if (c.socket.readyState === OPEN) c.socket.ping();
    }
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  /** Close every feed with 1001 (clients reconnect with since), stop reading, unsubscribe. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = null;
    for (const c of [...this.clients]) this.drop(c, CLOSE.goingAway, 'server shutting down; reconnect with since');
    this.subscriber?.disconnect();
    this.subscriber = null;
    await Promise.all([this.pulling, this.presence?.close(), this.sessionEnds?.close(), this.revalidating]);
  }
}
