// The ingest side of durable accept: single events share group commits, a batch is one transaction.
// The gateway is answered as soon as its alarm is committed; queueing for triage follows. Each urgency
// lane has its own group commit, so a press never waits in a transaction of 500 technical events.
//
// A shared transaction must not let one event fail the others. When it fails for a reason other than
// the database being unavailable, the reason may be one item's (a value the database refuses that the
// validation let through), so its items are committed again in halves, in input order, narrowing the
// failure down to the items that fail on their own. Every other item is committed; only those get the
// error. Without a failure this costs nothing: one transaction, as before.
import type { Accepted, NewAlarm, StoreOutcome } from '../../db/accept.js';
import { storeAlarms } from '../../db/accept.js';
import { LANES, laneFor, perLane, type Lane } from '../../domain/events.js';
import { announce } from '../intake/accept-alarms.js';
import { dataRefusal, isDatabaseUnavailable } from '../../platform/errors.js';
import { CommitBatcher } from '../../platform/group-commit.js';
import { errorFields } from '../../platform/logger.js';
import type { IngestMetrics } from '../../platform/metrics.js';
import { hotDbFor, type Runtime } from '../../platform/runtime.js';

/**
 * The database refused this event's data (domain/storable.ts lists what the validation refuses before
 * that): sending it again would fail the same way, so it is bad input, answered 400, not 503.
 */
export class EventRefused extends Error {
  constructor(
    /** Postgres' reason, without any input it quotes. */
    readonly reason: string,
    /** The SQLSTATE. */
    readonly code: string,
  ) {
    super(`the database refused this event: ${reason}`);
  }
}

/** An error for the log: Postgres' message without the input it may quote, when it refused data. */
const loggable = (err: unknown) => {
  const fields = errorFields(err);
  const reason = dataRefusal(err);
  return reason === undefined ? fields : { err: { ...fields.err, message: reason } };
};

/** At most `n` calls of `run` at once; the others wait their turn, in order. */
class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    private readonly n: number,
    /** Told how many run and how many wait, whenever either changes. */
    private readonly report: (running: number, waiting: number) => void,
  ) {
    report(0, 0);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.n) {
      const turn = new Promise<void>((resolve) => this.waiting.push(resolve));
      this.report(this.running, this.waiting.length);
      await turn;
    } else this.running++;
    this.report(this.running, this.waiting.length);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
      this.report(this.running, this.waiting.length);
    }
  }
}

/** What became of one item: committed, or the error that kept it out (EventRefused for its own data). */
export type Outcome = { ok: true; accepted: Accepted } | { ok: false; error: unknown };

export class AlarmAcceptor {
  private readonly batchers: Record<Lane, CommitBatcher<NewAlarm, Outcome>>;
  private readonly announcing = new Set<Promise<void>>();
  /**
   * Batches (a gateway flushing a backlog) commit at most INGEST_BULK_COMMITS at a time: each is a large
   * transaction, and more of them at once only share the same cores, while a press arriving meanwhile
   * needs its share to commit at once. The others wait in memory, before their transaction begins.
   */
  private readonly bulk: Slots;

  constructor(
    private readonly rt: Runtime,
    private readonly metrics: IngestMetrics,
  ) {
    this.bulk = new Slots(rt.config.ingestBulkCommits, (running, waiting) => {
      metrics.batches.set({ state: 'committing' }, running);
      metrics.batches.set({ state: 'waiting' }, waiting);
    });
    this.batchers = perLane(
      () => new CommitBatcher<NewAlarm, Outcome>((items) => this.commit(items), { maxBatch: 500, maxInFlight: 2 }),
    );
  }

  /**
   * Resolves once the alarm is committed in Postgres. Rejects with EventRefused when the database
   * refused its data, or with the error that kept it from being committed.
   */
  async accept(item: NewAlarm): Promise<Accepted> {
    const outcome = await this.batchers[laneFor(item.type)].submit(item);
    if (!outcome.ok) throw outcome.error;
    return outcome.accepted;
  }

  /**
   * One result per item, in order: its alarm, or EventRefused when the database refused its data (the
   * others are committed without it). Rejects when any item could not be committed for another reason:
   * the gateway re-sends the batch, and what was committed answers as duplicates.
   */
  async acceptBatch(items: NewAlarm[]): Promise<(Accepted | EventRefused)[]> {
    const outcomes = await this.bulk.run(() => this.commit(items));
    const failed = outcomes.find((o) => !o.ok && !(o.error instanceof EventRefused));
    if (failed && !failed.ok) throw failed.error;
    return outcomes.map((o) => (o.ok ? o.accepted : (o.error as EventRefused)));
  }

  /** Wait for commits and the queueing that follows them (graceful shutdown). */
  async drain(): Promise<void> {
    await Promise.all(LANES.map((lane) => this.batchers[lane].drained()));
    await Promise.all([...this.announcing]);
  }

  /**
   * Commit the items in one transaction; if it fails for a reason that may be tied to items, in halves
   * (see the top of this file). The first half is settled before the second is tried, so an eventId
   * repeated across the halves answers with its first occurrence's alarm, as within one transaction.
   *
   * `narrow` false: split only for a refusal of data. When nothing of a first half could be committed
   * and not for its data, the failure is most likely every transaction's (the table, a trigger, a
   * read-only database), so the second half is tried once rather than taken apart: a failure of
   * everything costs about 2·log2(n) transactions, not 2n.
   */
  private async commit(items: NewAlarm[], narrow = true): Promise<Outcome[]> {
    let stored: StoreOutcome;
    try {
      stored = await storeAlarms(hotDbFor(this.rt, items.length), items);
    } catch (err) {
      const split = items.length > 1 && !isDatabaseUnavailable(err) && (narrow || dataRefusal(err) !== undefined);
      if (!split) return items.map(() => this.failure(err));
      this.metrics.isolations.inc();
      this.rt.logger.warn(
        { ...loggable(err), items: items.length },
        'shared commit failed; committing its items in halves',
      );
      const mid = Math.ceil(items.length / 2);
      const first = await this.commit(items.slice(0, mid));
      // Once the database is unavailable, trying the rest would only wait for it to time out again.
      const down = first.find((o) => !o.ok && isDatabaseUnavailable(o.error));
      if (down) return [...first, ...items.slice(mid).map(() => down)];
      const blocked = first.every((o) => !o.ok && !(o.error instanceof EventRefused));
      return [...first, ...(await this.commit(items.slice(mid), !blocked))];
    }
    this.record(stored);
    const p = announce(this.rt, stored).finally(() => this.announcing.delete(p));
    this.announcing.add(p);
    return stored.results.map((accepted) => ({ ok: true, accepted }));
  }

  /** An item that failed on its own: refused for its data, or not committed for another reason. */
  private failure(err: unknown): Outcome {
    const reason = dataRefusal(err);
    if (reason === undefined) return { ok: false, error: err };
    this.metrics.refused.inc();
    return { ok: false, error: new EventRefused(reason, (err as { code: string }).code) };
  }

  private record(outcome: StoreOutcome): void {
    this.metrics.commitBatchSize.observe(outcome.results.length);
    for (const row of outcome.created) this.metrics.accepted.inc({ type: row.type, municipality: row.municipality_id });
    const dups = outcome.results.length - outcome.created.length;
    if (dups > 0) this.metrics.duplicates.inc(dups);
  }
}
