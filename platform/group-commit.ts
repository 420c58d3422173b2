// Group commit: concurrent callers share one transaction. Items submitted in the same turn of the
// event loop, or while the previous commits are still in flight, are flushed together. Each caller's
// promise settles only when the transaction holding its item has committed (or failed). Ingest's
// accepts and the worker's triage both go through it, so the cost of a transaction is shared by
// everything that arrived while the previous one was busy.
type Pending<I, R> = { item: I; resolve: (r: R) => void; reject: (e: unknown) => void };

export type BatcherOptions = {
  /** Most items in one transaction. */
  maxBatch: number;
  /** Transactions in flight at once (they overlap their statements; commits serialise in Postgres). */
  maxInFlight: number;
};

export class CommitBatcher<I, R> {
  private queue: Pending<I, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly flush: (items: I[]) => Promise<R[]>,
    private readonly opts: BatcherOptions,
  ) {}

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Defer to let requests parsed in the same I/O phase join this batch.
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Resolves when nothing is queued or in flight. */
  drained(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight++;
      this.flush(batch.map((p) => p.item))
        .then(
          (results) => batch.forEach((p, i) => p.resolve(results[i]!)),
          (err) => batch.forEach((p) => p.reject(err)),
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
          if (this.queue.length === 0 && this.inFlight === 0) this.idle.splice(0).forEach((f) => f());
        });
    }
  }
}
