// `npm run stats:rebuild`: count every ended month of every municipality from the raw alarms again and
// store it as its monthly rollup, and the current month up to the start of today as its month-to-date
// rollup. The worker keeps the rollups by itself (services/statistics/upkeep.ts); this is for after a bulk
// load or a repair, and proves the rollups are only ever a copy of the alarms.
import { safeUrl } from '../platform/config.js';
import { createDb, createPool } from '../db/connect.js';
import { prepareDatabase, StartupError } from '../platform/boot.js';
import { rebuildRollups } from '../services/statistics/upkeep.js';
import { loadConfigOrExit } from './start.js';

const config = loadConfigOrExit();
try {
  await prepareDatabase(config);
} catch (err) {
  console.error(err instanceof StartupError ? err.message : `preparing the database failed: ${(err as Error).message}`);
  process.exit(1);
}
const db = createDb(
  createPool(config.databaseUrl, { max: 2, statementTimeoutMs: 0, applicationName: 'responscenter-stats-rebuild' }),
);
const startedAt = performance.now();
let last = 0;
try {
  const n = await rebuildRollups(db, (done, total, month) => {
    if (performance.now() - last < 2000 && done < total) return;
    last = performance.now();
    console.error(`${month}: ${done} of ${total} months`);
  });
  console.log(
    `rebuilt ${n} monthly and month-to-date rollups in ${safeUrl(config.databaseUrl)} in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
  );
} catch (err) {
  console.error(`rebuilding the rollups failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
await db.destroy();
