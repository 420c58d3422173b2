// `npm run migrate`: create the database when missing and apply every pending migration, as every service
// does on start, for operators who want to do it ahead of a deployment. Postgres only; Redis is not needed.
import { safeUrl } from '../platform/config.js';
import { prepareDatabase, StartupError } from '../platform/boot.js';
import { loadConfigOrExit } from './start.js';

const config = loadConfigOrExit();
const target = safeUrl(config.databaseUrl);
try {
  const { created, applied } = await prepareDatabase(config);
  if (created) console.log(`created database ${target}`);
  if (applied.length === 0) console.log(`${target} is up to date: no migration to apply`);
  else console.log(`applied ${applied.length} migration(s) to ${target}:\n${applied.map((m) => `  ${m}`).join('\n')}`);
} catch (err) {
  console.error(err instanceof StartupError ? err.message : `migration failed: ${(err as Error).message}`);
  process.exit(1);
}
