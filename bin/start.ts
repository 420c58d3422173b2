// The process side of every service, shared by the entry point (bin/server.ts) and the demo
// (bin/demo.ts): configuration and start-up checks, building each service's app and listening,
// signals, and shutting down in order. Start-up failures print one line and exit, as the contract asks.
import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig, type Config } from '../platform/config.js';
import { checkRedis, prepareDatabase, StartupError } from '../platform/boot.js';
import type { Logger } from '../platform/logger.js';
import { createRuntime, type Runtime } from '../platform/runtime.js';
import type { RunningService, ServiceApp } from '../platform/service.js';

export const ROLES = ['ingest', 'worker', 'console'] as const;
export type Role = (typeof ROLES)[number];

/** Started in this order, stopped in the reverse: no new alarms are taken before what processes them stops. */
const START_ORDER: readonly Role[] = ['console', 'worker', 'ingest'];

// Each role's code is loaded only by a process that runs it: an ingest process never loads the console's
// (PDF, documentation, password hashing), which keeps every service's idle memory to its own.
const build: Record<Role, (rt: Runtime) => Promise<ServiceApp>> = {
  console: async (rt) => (await import('../services/console/app.js')).buildConsoleApp(rt),
  worker: async (rt) => (await import('../services/triage/app.js')).buildWorkerApp(rt),
  ingest: async (rt) => (await import('../services/ingest/app.js')).buildIngestApp(rt),
};

const portOf = (role: Role, config: Config): number =>
  ({ ingest: config.ingestPort, worker: config.workerPort, console: config.consolePort })[role];

/** Time a shutdown may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 15_000;

export type StartedServices = {
  rt: Runtime;
  running: RunningService[];
  /** Stop every service (ingest first, then worker, then console), then release the connections. */
  stop(): Promise<void>;
};

/** The configuration, or one line on stderr and exit code 2. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

/** Database created and migrated, Redis answering; otherwise one line on stderr and exit code 1. */
export async function prepareDependenciesOrExit(config: Config): Promise<void> {
  try {
    await prepareDatabase(config);
    await checkRedis(config);
  } catch (err) {
    if (err instanceof StartupError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/**
 * Listen on the role's port. The worker's port only serves health and metrics, and several workers
 * may run on one host: when it is taken, the worker listens on a free port instead. On failure the
 * service is closed and the error thrown.
 */
export async function listen(role: Role, service: ServiceApp, config: Config, logger: Logger): Promise<RunningService> {
  const port = portOf(role, config);
  try {
    let url: string;
    try {
      url = await service.app.listen({ port, host: config.host });
    } catch (err) {
      if (role !== 'worker' || (err as { code?: string }).code !== 'EADDRINUSE') throw err;
      url = await service.app.listen({ port: 0, host: config.host });
      logger.warn({ url }, `worker port ${port} is taken; health and metrics on a free port`);
    }
    return { name: role, url, close: () => service.close() };
  } catch (err) {
    await service.close().catch(() => {});
    throw err;
  }
}

/** Start the given roles on one runtime. On failure, what started is stopped again and the error thrown. */
export async function startServices(roles: readonly Role[], config: Config, logger: Logger): Promise<StartedServices> {
  const rt = createRuntime(config, logger);
  const running: RunningService[] = [];
  const stop = async () => {
    for (const s of [...running].reverse())
      await s.close().catch((err) => logger.error({ err }, `closing ${s.name} failed`));
    await rt.close();
  };
  try {
    for (const role of START_ORDER.filter((r) => roles.includes(r))) {
      if (
        role === 'console' &&
        (await (
          await import('../services/admin/registry.js')
        ).ensureBootstrapAdmin(rt.db, config.bootstrapAdminPassword))
      )
        logger.info('created bootstrap user admin');
      running.push(await listen(role, await build[role](rt), config, logger));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { rt, running, stop };
}

/**
 * On a termination signal (SIGINT, SIGTERM, …) or an uncaught error: run `shutdown` once, then exit,
 * at the latest after SHUTDOWN_GRACE_MS.
 */
export function shutDownOnSignals(shutdown: closeWithGrace.CloseWithGraceAsyncCallback): void {
  closeWithGrace({ delay: SHUTDOWN_GRACE_MS }, shutdown);
}
