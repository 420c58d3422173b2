// The triage worker service: the lanes, the reconciler and supervision (worker.ts), and a small HTTP
// app for health, readiness and metrics, which has no other routes.
import { createHttpApp, OPERATIONS_ROUTES } from '../../platform/http.js';
import { dependenciesReady, type Runtime } from '../../platform/runtime.js';
import type { ServiceApp } from '../../platform/service.js';
import { createTriageWorker, type TriageWorker, type TriageWorkerOptions } from './worker.js';

/** What the worker answers without credentials: all of its routes, which are operations routes. */
export const WORKER_PUBLIC_ROUTES: readonly string[] = [...OPERATIONS_ROUTES];

export type WorkerApp = ServiceApp & { worker: TriageWorker };

/** The worker starts taking jobs at once; its app is ready for inject() or listen(). */
export async function buildWorkerApp(rt: Runtime, opts: TriageWorkerOptions = {}): Promise<WorkerApp> {
  const worker = createTriageWorker(rt, opts);
  try {
    const app = await createHttpApp({
      service: 'worker',
      title: 'Responscenter triage worker',
      description: 'Operations endpoints of a triage worker process.',
      logger: rt.logger,
      registry: worker.registry,
      ready: () => dependenciesReady(rt),
    });
    return {
      app,
      worker,
      async close() {
        // Health and metrics stay up while running jobs finish.
        await worker.close();
        await app.close();
      },
    };
  } catch (err) {
    await worker.close();
    throw err;
  }
}
