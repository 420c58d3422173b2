// The triage queues: one BullMQ queue per urgency lane. A job carries the ids of alarms accepted
// together (one commit's alarms of one lane, at most TRIAGE_JOB_MAX), never personal data (Redis keeps
// job data in clear text): the worker triages them in one transaction, so queueing, the job's round
// trips and triage's own are paid per commit, not per alarm. Redis is the fast path: the reconciler
// triages whatever Postgres holds untriaged for long, whatever became of its job.
import { Queue, type JobsOptions, type JobState } from 'bullmq';
import { LANES, perLane, type Lane } from '../domain/events.js';
import { CommitBatcher } from './group-commit.js';
import type { Redis } from './redis.js';

/** `{ alarmId }`: a job of one alarm, as queued before jobs carried several; still worked. */
export type TriageJob = { alarmIds: string[] } | { alarmId: string };

/** The alarms a job asks to triage. */
export const alarmIdsOf = (job: TriageJob): string[] => ('alarmIds' in job ? job.alarmIds : [job.alarmId]);

/** Most alarms in one job, so one lane's backlog is still worked by several jobs at once. */
export const TRIAGE_JOB_MAX = 200;
/** One add in flight per lane; what arrives meanwhile waits for the next. */
const ADDING = { maxBatch: 10_000, maxInFlight: 1 };

export const queueName = (lane: Lane) => `triage-${lane}`;
export const bullPrefix = (redisPrefix: string) => `${redisPrefix}:bull`;

export const TRIAGE_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 250 },
  removeOnComplete: true,
  // Kept for inspection; the reconciler triages any alarm still untriaged, failed job or not.
  removeOnFail: { count: 5000 },
};

export class TriageQueues {
  readonly queues: Record<Lane, Queue<TriageJob>>;
  /**
   * Per lane, alarms handed in while the lane's previous add is still in flight are queued together by
   * the next one: under load, commits that follow each other closely share jobs.
   */
  private readonly adding: Record<Lane, CommitBatcher<string, void>>;

  constructor(connection: Redis, redisPrefix: string) {
    const prefix = bullPrefix(redisPrefix);
    this.queues = perLane((lane) => {
      const queue = new Queue<TriageJob>(queueName(lane), { connection, prefix });
      // Connection errors surface on the calls that fail; without a listener they would be printed raw.
      queue.on('error', () => {});
      return queue;
    });
    this.adding = perLane(
      (lane) =>
        new CommitBatcher<string, void>(async (ids) => {
          await this.add(lane, ids);
          return ids.map(() => undefined);
        }, ADDING),
    );
  }

  /**
   * Enqueue alarms for triage, in their order: per lane, one job for every TRIAGE_JOB_MAX of them,
   * shared with other alarms handed in meanwhile. Resolves once every one of them is in Redis.
   */
  async enqueue(alarms: { alarmId: string; lane: Lane }[]): Promise<void> {
    await Promise.all(alarms.map((a) => this.adding[a.lane].submit(a.alarmId)));
  }

  private async add(lane: Lane, ids: string[]): Promise<void> {
    const jobs = [];
    for (let i = 0; i < ids.length; i += TRIAGE_JOB_MAX)
      jobs.push({ name: 'triage', data: { alarmIds: ids.slice(i, i + TRIAGE_JOB_MAX) }, opts: TRIAGE_JOB_OPTIONS });
    await this.queues[lane].addBulk(jobs);
  }

  /** The alarms in a lane's jobs in the given states (inspection; it reads every such job). */
  async alarmsIn(lane: Lane, states: JobState[]): Promise<string[]> {
    const jobs = await this.queues[lane].getJobs(states);
    return jobs.flatMap((j) => alarmIdsOf(j.data));
  }

  /** Jobs waiting, running, delayed or failed, per lane (for /metrics). */
  async depth(): Promise<Record<Lane, Record<string, number>>> {
    const entries = await Promise.all(
      LANES.map(
        async (lane) =>
          [
            lane,
            await this.queues[lane].getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'),
          ] as const,
      ),
    );
    return Object.fromEntries(entries) as Record<Lane, Record<string, number>>;
  }

  async close(): Promise<void> {
    await Promise.all(LANES.map((lane) => this.queues[lane].close()));
  }
}
