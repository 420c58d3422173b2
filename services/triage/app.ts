// The worker service: the triage lanes, the reconciler and supervision (worker.ts), webhook delivery
// (services/webhooks/), and a small HTTP app for health, readiness and metrics, which has no other
// routes.
import { createHttpApp, OPERATIONS_ROUTES } from '../../platform/http.js';
import { dependenciesReady, type Runtime } from '../../platform/runtime.js';
import type { ServiceApp } from '../../platform/service.js';
import { createWebhookWorker, type WebhookOptions, type WebhookWorker } from '../webhooks/worker.js';
import { createTriageWorker, type TriageWorker, type TriageWorkerOptions } from './worker.js';

/** What the worker answers without credentials: all of its routes, which are operations routes. */
export const WORKER_PUBLIC_ROUTES: readonly string[] = [...OPERATIONS_ROUTES];

export type WorkerAppOptions = TriageWorkerOptions & { webhooks?: WebhookOptions };

export type WorkerApp = ServiceApp & { worker: TriageWorker; webhooks: WebhookWorker };

/** The worker starts taking jobs at once; its app is ready for inject() or listen(). */
export async function buildWorkerApp(rt: Runtime, opts: WorkerAppOptions = {}): Promise<WorkerApp> {
  const worker = createTriageWorker(rt, opts);
  const webhooks = createWebhookWorker(rt, worker.registry, opts.webhooks);
  const stopWork = async () => {
    await Promise.all([worker.close(), webhooks.close()]);
  };
  try {
    const app = await createHttpApp({
      service: 'worker',
      title: 'Responscenter worker',
      description: 'Operations endpoints of a worker process (triage and webhook delivery).',
      logger: rt.logger,
      registry: worker.registry,
      ready: () => dependenciesReady(rt),
      metricsToken: rt.config.metricsToken,
      // No users log in to a worker: with DOCS=login its documentation answers nobody.
      docs: rt.config.docs,
    });
    return {
      app,
      worker,
      webhooks,
      async close() {
        // Health and metrics stay up while running jobs finish.
        await stopWork();
        await app.close();
      },
    };
  } catch (err) {
    await stopWork();
    throw err;
  }
}
