// Prometheus metrics. Each service instance owns a registry, so several services can share a process.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Latency buckets in seconds, dense below 50 ms where the targets are. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function ingestMetrics(registry: Registry) {
  return {
    accepted: new Counter({
      name: 'rc_alarms_accepted_total',
      help: 'Alarms durably accepted (new, not duplicates), by event type and municipality',
      labelNames: ['type', 'municipality'] as const,
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'rc_alarms_duplicate_total',
      help: 'Re-sent events answered as duplicates',
      registers: [registry],
    }),
    acceptSeconds: new Histogram({
      name: 'rc_accept_duration_seconds',
      help: 'From request received to durable commit of its alarms',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    commitBatchSize: new Histogram({
      name: 'rc_accept_commit_batch_size',
      help: 'Alarms committed together in one transaction',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers: [registry],
    }),
    refused: new Counter({
      name: 'rc_alarms_refused_by_database_total',
      help: 'Events that passed validation but that the database refused (each one a gap in the validation)',
      registers: [registry],
    }),
    batches: new Gauge({
      name: 'rc_ingest_batches',
      help: "Gateways' batches in this ingest process: committing (at most INGEST_BULK_COMMITS) or waiting for their turn, in memory",
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    isolations: new Counter({
      name: 'rc_accept_commit_isolations_total',
      help: 'Shared transactions that failed for a reason other than an unavailable database and were split to commit the items that could be',
      registers: [registry],
    }),
  };
}
export type IngestMetrics = ReturnType<typeof ingestMetrics>;

export function triageMetrics(registry: Registry) {
  return {
    triaged: new Counter({
      name: 'rc_alarms_triaged_total',
      help: 'Alarms triaged, by class',
      labelNames: ['class'] as const,
      registers: [registry],
    }),
    triageSeconds: new Histogram({
      name: 'rc_triage_latency_seconds',
      help: 'From durable accept (received_at) to the stored triage',
      labelNames: ['lane'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    reconciled: new Counter({
      name: 'rc_reconciler_triaged_total',
      help: 'Alarms the reconciler triaged because they were still untriaged after RECONCILE_AFTER_SECONDS',
      registers: [registry],
    }),
  };
}
export type TriageMetrics = ReturnType<typeof triageMetrics>;

export function escalationMetrics(registry: Registry) {
  return {
    escalations: new Counter({
      name: 'rc_escalations_total',
      help: 'Deadlines passed and escalated (each once), by reason (unanswered, unresolved, not_accepted) and municipality',
      labelNames: ['reason', 'municipality'] as const,
      registers: [registry],
    }),
  };
}
export type EscalationMetrics = ReturnType<typeof escalationMetrics>;

export function webhookMetrics(registry: Registry) {
  return {
    attempts: new Counter({
      name: 'rc_webhook_attempts_total',
      help: 'Webhook delivery attempts, by result (delivered: acknowledged with a 2xx; failed: anything else)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    relayed: new Counter({
      name: 'rc_webhook_relayed_total',
      help: 'Waiting webhook deliveries handed to the queue by the relay (first time or again)',
      registers: [registry],
    }),
    alerting: new Gauge({
      name: 'rc_webhooks_alerting',
      help: 'Webhooks failing for longer than WEBHOOK_ALERT_AFTER_SECONDS, as of the last check',
      registers: [registry],
    }),
  };
}
export type WebhookMetrics = ReturnType<typeof webhookMetrics>;

/** Queue depth, read from Redis when scraped. */
export function queueDepthGauge(registry: Registry, read: () => Promise<Record<string, Record<string, number>>>) {
  return new Gauge({
    name: 'rc_queue_depth',
    help: 'Triage jobs per lane and state',
    labelNames: ['lane', 'state'] as const,
    registers: [registry],
    async collect() {
      try {
        const depth = await read();
        for (const [lane, states] of Object.entries(depth)) {
          for (const [state, n] of Object.entries(states)) this.set({ lane, state }, n);
        }
      } catch {
        /* Redis away: the gauge keeps its last values; /readyz reports the outage */
      }
    },
  });
}

export function consoleMetrics(registry: Registry) {
  return {
    liveConnections: new Gauge({
      name: 'rc_live_connections',
      help: 'Open live-feed connections',
      registers: [registry],
    }),
    liveMessages: new Counter({
      name: 'rc_live_messages_total',
      help: 'Messages sent on live feeds',
      registers: [registry],
    }),
    citizenReads: new Counter({
      name: 'rc_citizen_reads_total',
      help: 'Audited reads of citizen personal data',
      registers: [registry],
    }),
  };
}
export type ConsoleMetrics = ReturnType<typeof consoleMetrics>;
