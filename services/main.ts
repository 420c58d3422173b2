// Process entry point: `tsx services/main.ts ingest|worker|console|all`. Only process concerns live here:
// configuration, start-up checks, signals and graceful shutdown.
import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig } from './config.js';
import { ensureBootstrapAdmin } from './admin/registry.js';
import { startConsole } from './console/index.js';
import { startIngest } from './ingest/index.js';
import { checkRedis, prepareDatabase, StartupError } from './platform/boot.js';
import { createLogger } from './platform/logger.js';
import { createRuntime } from './platform/runtime.js';
import type { RunningService } from './platform/service.js';
import { startWorker } from './triage/index.js';

const ROLES = ['ingest', 'worker', 'console'] as const;
type Role = (typeof ROLES)[number];

export async function main(argv: string[]): Promise<void> {
  const arg = argv[0] ?? 'all';
  const roles: Role[] = arg === 'all' ? [...ROLES] : ROLES.filter((r) => r === arg);
  if (roles.length === 0) {
    console.error(`usage: services/main.ts ingest|worker|console|all (got ${arg})`);
    process.exit(2);
  }

  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, roles.length === 1 ? roles[0]! : 'responscenter');

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

  const rt = createRuntime(config, logger);
  const running: RunningService[] = [];
  const stop = async () => {
    // Reverse order: stop taking alarms before stopping the services that process them.
    for (const s of [...running].reverse())
      await s.close().catch((err) => logger.error({ err }, `closing ${s.name} failed`));
    await rt.close();
  };
  closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'fatal error, shutting down');
    else logger.info({ signal }, 'shutting down');
    await stop();
  });

  try {
    if (roles.includes('console')) {
      if (await ensureBootstrapAdmin(rt.db, config.bootstrapAdminPassword)) logger.info('created bootstrap user admin');
      running.push(await startConsole(rt));
    }
    if (roles.includes('worker')) running.push(await startWorker(rt));
    if (roles.includes('ingest')) running.push(await startIngest(rt));
  } catch (err) {
    console.error(`start-up failed: ${(err as Error).message}`);
    await stop();
    process.exit(1);
  }
  for (const s of running) logger.info({ url: s.url }, `${s.name} ready`);
}

await main(process.argv.slice(2));
