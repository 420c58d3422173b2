// The triage worker: one BullMQ worker per urgency lane, the reconciler, gateway supervision, planned
// work (planned-work.ts: due planned calls and night checks raised as alarms), escalation, the
// statistics' upkeep (monthly rollups and reports, services/statistics/upkeep.ts) and the retention of
// personal data and of the audit trail (services/retention/retention.ts); it
// reports itself alive to the consoles (platform/presence.ts). Its HTTP side (health, readiness,
// metrics) is app.ts.
//
// A lane's jobs running at once share their transactions: each job hands its alarms to the lane's
// group commit (platform/group-commit.ts) and completes when they are stored, so a burst of small jobs
// costs a few transactions, not one each. A failure tied to one alarm fails only the jobs holding it.
import { EventEmitter } from 'node:events';
import { Worker } from 'bullmq';
import { LANES, type Lane } from '../../domain/events.js';
import { CommitBatcher, type BatcherOptions } from '../../platform/group-commit.js';
import { errorFields } from '../../platform/logger.js';
import type { Escalated } from '../../db/escalations.js';
import {
  createRegistry,
  escalationMetrics,
  queueDepthGauge,
  triageMetrics,
  type TriageMetrics,
} from '../../platform/metrics.js';
import {
  PresencePublisher,
  PresenceSet,
  processInstanceId,
  WORKER_PRESENCE,
  workerPresenceKey,
} from '../../platform/presence.js';
import { alarmIdsOf, bullPrefix, queueName, TRIAGE_JOB_MAX, type TriageJob } from '../../platform/queue.js';
import { blockingRedis } from '../../platform/redis.js';
import type { Runtime } from '../../platform/runtime.js';
import { every, type Loop } from '../../platform/loop.js';
import { escalateOverdue } from './escalation.js';
import { keepStatistics } from '../statistics/upkeep.js';
import { applyRetention, type RetentionResult } from '../retention/retention.js';
import { keepPlannedWork, materialiseSchedules, type PlannedPass } from './planned-work.js';
import { reconcile } from './reconciler.js';
import { superviseGateways } from './supervision.js';
import { triageIsolating, type TriageOutcome, type TriageResult } from './triage-alarm.js';

export type TriageWorkerOptions = {
  reconcileEveryMs?: number;
  superviseEveryMs?: number;
  /** How often to look for passed deadlines (ESCALATION_INTERVAL_MS by default). */
  escalateEveryMs?: number;
  /** Statistics' upkeep; default STATS_UPKEEP_SECONDS. */
  statisticsEveryMs?: number;
  /** Retention of personal data and the audit trail; default RETENTION_INTERVAL_MINUTES. */
  retentionEveryMs?: number;
  /** Raising due planned work and settling check-ins; default PLANNED_WORK_INTERVAL_MS. */
  plannedEveryMs?: number;
  /** Storing the schedules' occurrences ahead of time; default once a minute. */
  materialiseEveryMs?: number;
  /** Lanes to work (all by default). */
  lanes?: readonly Lane[];
};

/** What became of each alarm a job asked for (or of the job, when it failed): for tests and tools. */
export type TriageEvents = {
  alarm: [alarmId: string, result: TriageOutcome['result']];
  failed: [alarmIds: string[], error: Error];
  /** One pass of the escalation loop finished, with what it escalated (often nothing). */
  escalations: [escalated: Escalated[]];
  /** One round of the retention job finished, with what it pseudonymised and removed (often nothing). */
  retention: [done: RetentionResult];
  /** One pass of the planned-work loop finished, with what it raised and settled. */
  planned: [pass: PlannedPass];
  /** The schedules' occurrences were stored ahead (how many were new). */
  materialised: [stored: number];
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
/**
 * Most alarms in one triage transaction, and such transactions in flight, per lane. A lane's batch is
 * worked on the worker's one event loop: kept to a job's size (a few milliseconds of classifying and
 * encoding), so an urgent job never waits long behind a technical one; and the technical and routine
 * lanes keep one transaction in flight, so a storm leaves the cores to the urgent lane.
 */
const GROUP: Record<Lane, BatcherOptions> = {
  urgent: { maxBatch: TRIAGE_JOB_MAX, maxInFlight: 2 },
  routine: { maxBatch: TRIAGE_JOB_MAX, maxInFlight: 1 },
  technical: { maxBatch: TRIAGE_JOB_MAX, maxInFlight: 1 },
};

export function createTriageWorker(rt: Runtime, opts: TriageWorkerOptions = {}): TriageWorker {
  const registry = createRegistry('worker');
  const metrics = triageMetrics(registry);
  const escalations = escalationMetrics(registry);
  const events = new EventEmitter<TriageEvents>();
  queueDepthGauge(registry, () => rt.queues.depth());
  const connections = (opts.lanes ?? LANES).map(() => blockingRedis(rt.config.redisUrl));
  const workers = (opts.lanes ?? LANES).map((lane, i) => {
    const connection = connections[i]!;
    connection.on('error', () => {}); // reported through the worker's own error events
    const group = new CommitBatcher<string, TriageResult>(async (ids) => {
      const results = await triageIsolating(rt, [...new Set(ids)]);
      return ids.map((id) => results.get(id)!);
    }, GROUP[lane]);
    const worker = new Worker<TriageJob>(
      queueName(lane),
      async (job) => {
        const ids = alarmIdsOf(job.data);
        const results = await Promise.all(ids.map((id) => group.submit(id)));
        const counts: Partial<Record<TriageOutcome['result'], number>> = {};
        let failure: unknown;
        results.forEach((r, i) => {
          if (!r.ok) {
            failure ??= r.error;
            return;
          }
          const out = r.outcome;
          counts[out.result] = (counts[out.result] ?? 0) + 1;
          if (out.result === 'triaged') {
            metrics.triaged.inc({ class: out.triage.class });
            metrics.triageSeconds.observe({ lane }, (Date.now() - new Date(out.alarm.received_at).getTime()) / 1000);
          }
          events.emit('alarm', ids[i]!, out.result);
        });
        // The job is tried again (its alarms already triaged are left as they are).
        if (failure !== undefined) throw failure;
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
    every(opts.escalateEveryMs ?? rt.config.escalationIntervalMs, 'escalation', rt.logger, async () => {
      events.emit('escalations', await escalateOverdue(rt, escalations));
    }),
    every(opts.materialiseEveryMs ?? 60_000, 'planned schedules', rt.logger, async () => {
      events.emit('materialised', await materialiseSchedules(rt));
    }),
    every(opts.plannedEveryMs ?? rt.config.plannedWorkIntervalMs, 'planned work', rt.logger, async () => {
      const pass = await keepPlannedWork(rt);
      // Counts only: whose calls they are stays in Postgres.
      if (pass.raised.length > 0 || pass.settled.length > 0)
        rt.logger.info({ raised: pass.raised.length, settledByCheckIn: pass.settled.length }, 'planned work');
      events.emit('planned', pass);
    }),
    every(opts.statisticsEveryMs ?? rt.config.statsUpkeepSeconds * 1000, 'statistics upkeep', rt.logger, async () => {
      const done = await keepStatistics(rt.db);
      if (done.rolledUp > 0 || done.monthToDate > 0 || done.frozen > 0)
        rt.logger.info(done, 'statistics: monthly and month-to-date rollups and reports stored');
    }),
    every(opts.retentionEveryMs ?? rt.config.retentionIntervalMinutes * 60_000, 'retention', rt.logger, async () => {
      const done = await applyRetention(rt.db, { auditRetentionMonths: rt.config.auditRetentionMonths });
      // Counts only: which alarms and whose they were stays in Postgres.
      if (done.alarms > 0 || done.auditRows > 0)
        rt.logger.info(
          { alarms: done.alarms, dispatches: done.dispatches, auditRows: done.auditRows },
          'retention: personal data of old alarms pseudonymised, old audit rows removed',
        );
      events.emit('retention', done);
    }),
  ];
  // The consoles' "workers online" and "triage behind" read this.
  const presence = new PresencePublisher(
    new PresenceSet(rt.redis, workerPresenceKey(rt.config.redisPrefix), WORKER_PRESENCE.ttlMs),
    WORKER_PRESENCE.refreshMs,
    rt.logger,
    'worker',
  );
  presence.update([processInstanceId()]);

  return {
    workers,
    events,
    metrics,
    registry,
    async close() {
      await presence.close();
      await Promise.all(loops.map((l) => l.stop()));
      // Waits for running jobs to finish; waiting jobs stay in Redis for the next worker.
      await Promise.all(workers.map((w) => w.close()));
      for (const c of connections) c.disconnect();
    },
  };
}
