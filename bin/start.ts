// Starting services inside one process: shared by the process entry point (bin/server.ts) and the
// demo (bin/demo.ts). Start-up failures print one line and exit, as the contract asks.
import { ConfigError, loadConfig, type Config } from '../platform/config.js';
import { ensureBootstrapAdmin } from '../services/admin/registry.js';
import { startConsole } from '../services/console/index.js';
import { startIngest } from '../services/ingest/index.js';
import { checkRedis, prepareDatabase, StartupError } from '../platform/boot.js';
import type { Logger } from '../platform/logger.js';
import { createRuntime, type Runtime } from '../platform/runtime.js';
import type { RunningService } from '../platform/service.js';
import { startWorker } from '../services/triage/index.js';

export const ROLES = ['ingest', 'worker', 'console'] as const;
export type Role = (typeof ROLES)[number];

export type StartedServices = {
  rt: Runtime;
  running: RunningService[];
  /** Stop every service (ingest first), then release the connections. */
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

/** Start the given roles on one runtime. On failure, what started is stopped again and the error thrown. */
export async function startServices(roles: readonly Role[], config: Config, logger: Logger): Promise<StartedServices> {
  const rt = createRuntime(config, logger);
  const running: RunningService[] = [];
  const stop = async () => {
    // Reverse order: stop taking alarms before stopping the services that process them.
    for (const s of [...running].reverse())
      await s.close().catch((err) => logger.error({ err }, `closing ${s.name} failed`));
    await rt.close();
  };
  try {
    if (roles.includes('console')) {
      if (await ensureBootstrapAdmin(rt.db, config.bootstrapAdminPassword)) logger.info('created bootstrap user admin');
      running.push(await startConsole(rt));
    }
    if (roles.includes('worker')) running.push(await startWorker(rt));
    if (roles.includes('ingest')) running.push(await startIngest(rt));
  } catch (err) {
    await stop();
    throw err;
  }
  return { rt, running, stop };
}
