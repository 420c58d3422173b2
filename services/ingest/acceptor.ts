// The ingest side of durable accept: single events share group commits, a batch is one transaction.
// The gateway is answered as soon as its alarm is committed; queueing for triage follows.
import type { Accepted, NewAlarm, StoreOutcome } from '../../db/accept.js';
import { storeAlarms } from '../../db/accept.js';
import { announce } from '../intake/accept-alarms.js';
import type { IngestMetrics } from '../../platform/metrics.js';
import type { Runtime } from '../../platform/runtime.js';
import { CommitBatcher } from './commit-batcher.js';

export class AlarmAcceptor {
  private readonly batcher: CommitBatcher<NewAlarm, Accepted>;
  private readonly announcing = new Set<Promise<void>>();

  constructor(
    private readonly rt: Runtime,
    private readonly metrics: IngestMetrics,
  ) {
    this.batcher = new CommitBatcher((items) => this.commit(items), { maxBatch: 500, maxInFlight: 3 });
  }

  /** Resolves once the alarm is committed in Postgres; rejects when it could not be. */
  accept(item: NewAlarm): Promise<Accepted> {
    return this.batcher.submit(item);
  }

  acceptBatch(items: NewAlarm[]): Promise<Accepted[]> {
    return this.commit(items);
  }

  /** Wait for commits and the queueing that follows them (graceful shutdown). */
  async drain(): Promise<void> {
    await this.batcher.drained();
    await Promise.all([...this.announcing]);
  }

  private async commit(items: NewAlarm[]): Promise<Accepted[]> {
    const outcome = await storeAlarms(this.rt.db, items);
    this.record(outcome);
    const p = announce(this.rt, outcome).finally(() => this.announcing.delete(p));
    this.announcing.add(p);
    return outcome.results;
  }

  private record(outcome: StoreOutcome): void {
    this.metrics.commitBatchSize.observe(outcome.results.length);
    for (const row of outcome.created) this.metrics.accepted.inc({ type: row.type, municipality: row.municipality_id });
    const dups = outcome.results.length - outcome.created.length;
    if (dups > 0) this.metrics.duplicates.inc(dups);
  }
}
