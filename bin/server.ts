// Process entry point: `node dist/bin/server.js ingest|worker|console|all` once compiled (`npm run build`;
// `npm start`, `npm run start:<role>`), `tsx bin/server.ts <role>` from source. Only process concerns live
// here: which roles to run, logging, start-up and shutdown (the shared part of both is bin/start.ts).
import { createLogger } from '../platform/logger.js';
import {
  loadConfigOrExit,
  prepareDependenciesOrExit,
  ROLES,
  shutDownOnSignals,
  startServices,
  type Role,
  type StartedServices,
} from './start.js';

export async function main(argv: string[]): Promise<void> {
  const arg = argv[0] ?? 'all';
  const roles: Role[] = arg === 'all' ? [...ROLES] : ROLES.filter((r) => r === arg);
  if (roles.length === 0) {
    console.error(`usage: server ingest|worker|console|all (got ${arg})`);
    process.exit(2);
  }

  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, roles.length === 1 ? roles[0]! : 'responscenter');
  await prepareDependenciesOrExit(config);

  let started: StartedServices | undefined;
  shutDownOnSignals(async ({ signal, err }) => {
    if (err) logger.error({ err }, 'fatal error, shutting down');
    else logger.info({ signal }, 'shutting down');
    await started?.stop();
  });

  try {
    started = await startServices(roles, config, logger);
  } catch (err) {
    console.error(`start-up failed: ${(err as Error).message}`);
    process.exit(1);
  }
  for (const s of started.running) logger.info({ url: s.url }, `${s.name} ready`);
}

await main(process.argv.slice(2));
