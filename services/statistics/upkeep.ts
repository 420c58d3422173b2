// What the worker does for the statistics, every STATS_UPKEEP_SECONDS: store the rollups of ended months
// that lack one or were changed since (a bounded batch per round), store the current month's
// month-to-date rollups once a day has settled (and again for a municipality whose month was changed
// since), then freeze the monthly reports that are due. Safe with any number of workers: rollups are
// stored under locks and reports are inserted once.
import type { Db } from '../../db/connect.js';
import { monthsToRollUp, settledBefore, storeMonthToDate, storeRollups } from '../../db/statistics.js';
import { freezeDueReports } from './reports.js';

/** Rollups stored per round: a round stays short, and a backlog (after a bulk load) drains over rounds. */
export const ROLLUPS_PER_ROUND = 48;

/** One round. `at` is now (default the database's clock; tests move it). */
export async function keepStatistics(
  db: Db,
  at?: Date,
): Promise<{ rolledUp: number; monthToDate: number; frozen: number }> {
  const keys = await monthsToRollUp(db, await settledBefore(db, at), ROLLUPS_PER_ROUND);
  const rolledUp = keys.length > 0 && (await storeRollups(db, keys)) ? keys.length : 0;
  const toDate = await storeMonthToDate(db, at);
  const frozen = await freezeDueReports(db);
  return { rolledUp, monthToDate: toDate ? toDate.stored : 0, frozen };
}

/**
 * Count every ended month of every municipality from the raw alarms again and store it as its rollup
 * (`npm run stats:rebuild`), one month at a time, then the current month's month-to-date rollups;
 * `progress` hears after each month.
 */
export async function rebuildRollups(
  db: Db,
  progress: (done: number, total: number, month: string) => void = () => {},
): Promise<number> {
  const keys = await monthsToRollUp(db, await settledBefore(db), Number.MAX_SAFE_INTEGER, true);
  const byMonth = new Map<string, typeof keys>();
  for (const k of keys) byMonth.set(k.month, [...(byMonth.get(k.month) ?? []), k]);
  let done = 0;
  for (const [month, batch] of byMonth) {
    // Another process holding the lock is storing rollups too: wait for it and take the month again.
    while (!(await storeRollups(db, batch))) await new Promise((r) => setTimeout(r, 200));
    done += batch.length;
    progress(done, keys.length, month);
  }
  let toDate;
  while ((toDate = await storeMonthToDate(db, undefined, true)) === false) await new Promise((r) => setTimeout(r, 200));
  if (toDate) {
    done += toDate.stored;
    progress(done, keys.length + toDate.stored, `${toDate.month} to date`);
  }
  return done;
}
