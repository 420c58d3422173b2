// The triage worker: one BullMQ worker per urgency lane, the reconciler and gateway supervision.
// Its HTTP side (health, readiness, metrics) is app.ts.
import { EventEmitter } from 'node:events';
import { Worker } from 'bullmq';
import { LANES, type Lane } from '../../domain/events.js';
import { errorFields } from '../../platform/logger.js';
import { createRegistry, queueDepthGauge, triageMetrics, type TriageMetrics } from '../../platform/metrics.js';
import { alarmIdsOf, bullPrefix, queueName, type TriageJob } from '../../platform/queue.js';
import { blockingRedis } from '../../platform/redis.js';
import type { Runtime } from '../../platform/runtime.js';
import { every, type Loop } from '../../platform/loop.js';
import { reconcile } from './reconciler.js';
import { superviseGateways } from './supervision.js';
import { triageAlarms, type TriageOutcome } from './triage-alarm.js';

export type TriageWorkerOptions = {
  reconcileEveryMs?: number;
  superviseEveryMs?: number;
  /** Lanes to work (all by default). */
  lanes?: readonly Lane[];
};

/** What became of each alarm a job asked for (or of the job, when it failed): for tests and tools. */
export type TriageEvents = {
  alarm: [alarmId: string, result: TriageOutcome['result']];
  failed: [alarmIds: string[], error: Error];
};

export type TriageWorker = {
  workers: Worker<TriageJob>[];
  events: EventEmitter<TriageEvents>;
  metrics: TriageMetrics;
  registry: ReturnType<typeof createRegistry>;
  close(): Promise<void>;
};

// Triage takes milliseconds: a job whose worker died is given back after ~10 s, not BullMQ's default 30 s.
const LOCK_MS = 10_000;
const STALLED_CHECK_MS = 5_000;

export function createTriageWorker(rt: Runtime, opts: TriageWorkerOptions = {}): TriageWorker {
  const registry = createRegistry('worker');
  const metrics = triageMetrics(registry);
  const events = new EventEmitter<TriageEvents>();
  queueDepthGauge(registry, () => rt.queues.depth());
  const connections = (opts.lanes ?? LANES).map(() => blockingRedis(rt.config.redisUrl));
  const workers = (opts.lanes ?? LANES).map((lane, i) => {
    const connection = connections[i]!;
    connection.on('error', () => {}); // reported through the worker's own error events
    const worker = new Worker<TriageJob>(
      queueName(lane),
      async (job) => {
        const outcomes = await triageAlarms(rt, alarmIdsOf(job.data));
        const counts: Partial<Record<TriageOutcome['result'], number>> = {};
        for (const [id, out] of outcomes) {
          counts[out.result] = (counts[out.result] ?? 0) + 1;
          if (out.result === 'triaged') {
            metrics.triaged.inc({ class: out.triage.class });
            metrics.triageSeconds.observe({ lane }, (Date.now() - new Date(out.alarm.received_at).getTime()) / 1000);
          }
          events.emit('alarm', id, out.result);
        }
        return counts;
      },
      {
        connection,
        prefix: bullPrefix(rt.config.redisPrefix),
        concurrency: rt.config.triageConcurrency,
        lockDuration: LOCK_MS,
        stalledInterval: STALLED_CHECK_MS,
        maxStalledCount: 2,
      },
    );
    worker.on('failed', (job, err) => {
      const alarmIds = job ? alarmIdsOf(job.data) : [];
      rt.logger.warn({ alarmIds, lane, attempts: job?.attemptsMade, ...errorFields(err) }, 'triage job failed');
      events.emit('failed', alarmIds, err);
    });
    worker.on('error', (err) => rt.logger.debug({ lane, ...errorFields(err) }, 'triage worker: redis error'));
    return worker;
  });

  const loops: Loop[] = [
    every(opts.reconcileEveryMs ?? 1_000, 'reconciler', rt.logger, async () => {
      const n = await reconcile(rt);
      if (n > 0) {
        metrics.reconciled.inc(n);
        rt.logger.info({ alarms: n }, 'reconciler triaged alarms left untriaged');
      }
    }),
    every(opts.superviseEveryMs ?? 5_000, 'gateway supervision', rt.logger, async () => {
      const n = await superviseGateways(rt);
      if (n > 0) rt.logger.warn({ alarms: n }, 'silent gateways: heartbeat_missed raised');
    }),
  ];

  return {
    workers,
    events,
    metrics,
    registry,
    async close() {
      await Promise.all(loops.map((l) => l.stop()));
      // Waits for running jobs to finish; waiting jobs stay in Redis for the next worker.
      await Promise.all(workers.map((w) => w.close()));
      for (const c of connections) c.disconnect();
    },
  };
}
