// A simulated alarm gateway: sends the traffic profile's events to ingest as real gateways do (contract:
// "Gateways → ingest"): a Bearer key per gateway, backlogs through the batch endpoint, and bounded retries
// on 503/429 (after Retry-After) and on network errors that always re-send the same eventId.
import { setTimeout as sleep } from 'node:timers/promises';
import { JsonClient, type JsonResponse } from './http.js';
import type { GatewayEvent, Send, TrafficItem } from './profile.js';

/** What ingest answered for one event. Times are performance.now(). */
export type Delivery = {
  gatewayId: string;
  event: GatewayEvent;
  /** When the request carrying it was sent (its last attempt) and when it was answered. */
  sentAt: number;
  answeredAt: number;
  /** From a backlog flush (POST /v1/alarms/batch). */
  batch: boolean;
  /** Requests made for it, 1 when the first was answered. */
  attempts: number;
} & ({ alarmId: string; duplicate: boolean } | { error: string });

/** A new alarm ingest made durable: its 202 arrived at `acceptedAt` (performance.now()). */
export type Accepted = {
  alarmId: string;
  gatewayId: string;
  eventId: string;
  deviceId: string;
  acceptedAt: number;
  batch: boolean;
};

export type GatewayClientOptions = {
  ingestUrl: string;
  /** API key of each gateway id. */
  keys: ReadonlyMap<string, string>;
  /** Requests per event or batch before giving up (a unit on hold re-sends for minutes, domain.md). */
  maxAttempts?: number;
  /** A Retry-After longer than this is cut short. */
  maxWaitMs?: number;
  connections?: number;
  /** Called once per new alarm (202, not a duplicate), as soon as its answer arrives. */
  onAccepted?: (a: Accepted) => void;
  /** Called for every answer: new, duplicate or refused. */
  onDelivery?: (d: Delivery) => void;
  /** Aborting stops retries and waits at once (shutdown). */
  signal?: AbortSignal;
};

const RETRYABLE = new Set([429, 503]);
/** Without Retry-After (a network error): back off 0.5, 1, 2 … s, at most 10 s. */
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 10_000;

export class GatewayClient {
  private readonly http: JsonClient;
  private readonly maxAttempts: number;
  private readonly maxWaitMs: number;

  constructor(private readonly opts: GatewayClientOptions) {
    this.http = new JsonClient(opts.ingestUrl, { maxSockets: opts.connections ?? 64 });
    this.maxAttempts = opts.maxAttempts ?? 10;
    this.maxWaitMs = opts.maxWaitMs ?? 30_000;
  }

  /** One event to POST /v1/alarms. */
  async sendEvent(gatewayId: string, event: GatewayEvent): Promise<Delivery> {
    const { res, sentAt, answeredAt, attempts } = await this.withRetries(gatewayId, '/v1/alarms', event);
    const body = res.body as { alarmId?: string; duplicate?: boolean; error?: string; message?: string } | undefined;
    const base = { gatewayId, event, sentAt, answeredAt, batch: false, attempts };
    const d: Delivery =
      (res.status === 202 || res.status === 200) && body?.alarmId
        ? { ...base, alarmId: body.alarmId, duplicate: body.duplicate === true }
        : { ...base, error: `${res.status} ${body?.error ?? ''} ${body?.message ?? ''}`.trim() };
    this.report(d);
    return d;
  }

  /** A backlog to POST /v1/alarms/batch; one delivery per event, in order. */
  async sendBatch(gatewayId: string, events: GatewayEvent[]): Promise<Delivery[]> {
    const { res, sentAt, answeredAt, attempts } = await this.withRetries(gatewayId, '/v1/alarms/batch', { events });
    const results = (res.body as { results?: ({ alarmId?: string; duplicate?: boolean } & { error?: string })[] })
      ?.results;
    return events.map((event, i) => {
      const base = { gatewayId, event, sentAt, answeredAt, batch: true, attempts };
      const r = res.status === 202 ? results?.[i] : undefined;
      const d: Delivery = r?.alarmId
        ? { ...base, alarmId: r.alarmId, duplicate: r.duplicate === true }
        : { ...base, error: r?.error ?? `batch answered ${res.status}` };
      this.report(d);
      return d;
    });
  }

  /** A scheduled item of the traffic profile (or a raw send): one event or a backlog. */
  async send(item: TrafficItem | Send): Promise<Delivery[]> {
    if ('kind' in item) {
      return item.kind === 'batch'
        ? this.sendBatch(item.gatewayId, item.events)
        : [await this.sendEvent(item.gatewayId, item.event)];
    }
    return item.batch ? this.sendBatch(item.gatewayId, item.batch) : [await this.sendEvent(item.gatewayId, item.event)];
  }

  /** POST /v1/gateways/heartbeat: the gateway is alive even when its units are quiet. */
  async heartbeat(gatewayId: string): Promise<number> {
    const res = await this.http.post('/v1/gateways/heartbeat', {}, this.auth(gatewayId));
    return res.status;
  }

  /** Drops the connections: requests in flight fail (and, once the signal is aborted, are not retried). */
  close(): void {
    this.http.close();
  }

  private report(d: Delivery): void {
    this.opts.onDelivery?.(d);
    if ('alarmId' in d && !d.duplicate) {
      this.opts.onAccepted?.({
        alarmId: d.alarmId,
        gatewayId: d.gatewayId,
        eventId: d.event.eventId,
        deviceId: d.event.deviceId,
        acceptedAt: d.answeredAt,
        batch: d.batch,
      });
    }
  }

  private auth(gatewayId: string) {
    const key = this.opts.keys.get(gatewayId);
    if (!key) throw new Error(`no API key for gateway ${gatewayId}`);
    return { authorization: `Bearer ${key}` };
  }

  /** The same body every attempt, so a re-send carries the same eventId(s): ingest answers it as a duplicate. */
  private async withRetries(gatewayId: string, path: string, body: unknown) {
    const signal = this.opts.signal;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const sentAt = performance.now();
      let res: JsonResponse | undefined;
      let failure: Error | undefined;
      try {
        res = await this.http.post(path, body, this.auth(gatewayId));
      } catch (err) {
        failure = err as Error; // refused, reset or timed out: ingest restarting or overloaded, try again
      }
      const answeredAt = performance.now();
      if (res && !RETRYABLE.has(res.status)) return { res, sentAt, answeredAt, attempts: attempt };
      if (attempt >= this.maxAttempts) {
        if (res) return { res, sentAt, answeredAt, attempts: attempt };
        throw failure!;
      }
      await sleep(this.waitMs(res, attempt), undefined, signal ? { signal } : undefined);
    }
  }

  private waitMs(res: JsonResponse | undefined, attempt: number): number {
    const header = Number(res?.headers['retry-after']);
    const ms =
      Number.isFinite(header) && header >= 0
        ? header * 1000
        : Math.min(BACKOFF_FIRST_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS);
    return Math.min(ms, this.maxWaitMs);
  }
}

/**
 * The item as a unit would send it if its simulated moment were now: live events carry the current time,
 * backlog events keep how long they waited (a 6 h backlog is 6 h old, whatever the speed).
 */
export function rebase(item: TrafficItem, nowMs: number): TrafficItem {
  const shift = (e: GatewayEvent): GatewayEvent => ({
    ...e,
    occurredAt: new Date(nowMs - (item.simAt - Date.parse(e.occurredAt))).toISOString(),
  });
  return item.batch ? { ...item, batch: item.batch.map(shift) } : { ...item, event: shift(item.event) };
}

export type PlayOptions = {
  /** Real time (Date.now()) that the schedule's atMs = 0 maps to. Default: now. */
  realStart?: number;
  signal: AbortSignal;
  /** Called for each item at its time, rebased to the clock; not awaited, so a slow answer never delays the next. */
  deliver: (item: TrafficItem) => Promise<void>;
};

/** Plays a schedule (see createTraffic) in real time until the signal aborts; then waits for sends in flight. */
export async function play(items: Iterator<TrafficItem>, opts: PlayOptions): Promise<void> {
  const realStart = opts.realStart ?? Date.now();
  const inFlight = new Set<Promise<void>>();
  while (!opts.signal.aborted) {
    const next = items.next();
    if (next.done) break;
    const item = next.value;
    const wait = realStart + item.atMs - Date.now();
    if (wait > 0) {
      try {
        await sleep(wait, undefined, { signal: opts.signal });
      } catch {
        break; // aborted
      }
    }
    const p = opts.deliver(rebase(item, Date.now())).catch(() => {});
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
  await Promise.allSettled([...inFlight]);
}
