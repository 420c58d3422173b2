// The triage queues: one BullMQ queue per urgency lane. Jobs carry the alarm id only, never personal
// data (Redis keeps job data in clear text). jobId = alarmId, so an alarm is queued at most once at a time.
import { Queue, type JobsOptions } from 'bullmq';
import { LANES, type Lane } from '../domain/events.js';
import type { Redis } from './redis.js';

export type TriageJob = { alarmId: string };

export const queueName = (lane: Lane) => `triage-${lane}`;
export const bullPrefix = (redisPrefix: string) => `${redisPrefix}:bull`;

export const TRIAGE_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 250 },
  removeOnComplete: true,
  // Kept for inspection; the reconciler retries any alarm still untriaged, failed job or not.
  removeOnFail: { count: 5000 },
};

export class TriageQueues {
  readonly queues: Record<Lane, Queue<TriageJob>>;

  constructor(connection: Redis, redisPrefix: string) {
    const prefix = bullPrefix(redisPrefix);
    this.queues = Object.fromEntries(
      LANES.map((lane) => {
        const queue = new Queue<TriageJob>(queueName(lane), { connection, prefix });
        // Connection errors surface on the calls that fail; without a listener they would be printed raw.
        queue.on('error', () => {});
        return [lane, queue];
      }),
    ) as Record<Lane, Queue<TriageJob>>;
  }

  /** Enqueue alarms for triage; an alarm already waiting or running is not queued twice. */
  async enqueue(jobs: { alarmId: string; lane: Lane }[]): Promise<void> {
    const byLane = new Map<Lane, { alarmId: string }[]>();
    for (const j of jobs) {
      const list = byLane.get(j.lane) ?? [];
      list.push({ alarmId: j.alarmId });
      byLane.set(j.lane, list);
    }
    await Promise.all(
      [...byLane].map(([lane, list]) =>
        this.queues[lane].addBulk(
          list.map((j) => ({
            name: 'triage',
            data: { alarmId: j.alarmId },
            opts: { ...TRIAGE_JOB_OPTIONS, jobId: j.alarmId },
          })),
        ),
      ),
    );
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
