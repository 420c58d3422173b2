// `npm run seed:history -- --years 10 --municipalities 7`: years of realistic history (the simulator's
// traffic, the triage's advice, operators' decisions and answer times, dispatches and arrivals) loaded
// into an empty database with COPY, then the monthly statistics' rollups. Progress and rate on stderr,
// the summary on stdout. `--municipalities 98` for the whole country (synthetic municipalities beyond
// the seven).
import { parseArgs } from 'node:util';
import { safeUrl } from '../platform/config.js';
import { createDb, createPool } from '../db/connect.js';
import { prepareDatabase, StartupError } from '../platform/boot.js';
import { loadHistory, NotEmpty, type HistoryProgress } from '../services/simulator/history-load.js';
import { loadConfigOrExit } from './start.js';

const USAGE = `usage: npm run seed:history -- [--years 10] [--municipalities 7] [--seed 2026] [--end 2026-12-01T00:00:00Z]

Loads --years of history (fractions allowed) ending at --end (default now) for the first --municipalities
(1–98: the seven of the project, then synthetic ones up to the whole country) into DATABASE_URL, which must
hold no alarms yet. The same --seed gives the same history.`;

function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    options: {
      years: { type: 'string', default: '10' },
      municipalities: { type: 'string', default: '7' },
      seed: { type: 'string', default: '2026' },
      end: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
} catch (err) {
  fail(`${(err as Error).message}\n\n${USAGE}`, 2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const years = Number(args.years);
const municipalities = Number(args.municipalities);
const seed = Number(args.seed);
const end = args.end === undefined ? Date.now() : Date.parse(args.end);
if (!(years > 0 && years <= 30)) fail(`--years must be above 0 and at most 30 (got ${args.years})\n\n${USAGE}`, 2);
if (!Number.isInteger(municipalities) || municipalities < 1 || municipalities > 98)
  fail(`--municipalities must be a whole number 1–98 (got ${args.municipalities})\n\n${USAGE}`, 2);
if (!Number.isInteger(seed)) fail(`--seed must be a whole number (got ${args.seed})`, 2);
if (!Number.isFinite(end)) fail(`--end must be a date and time, e.g. 2026-12-01T00:00:00Z (got ${args.end})`, 2);

const config = loadConfigOrExit();
try {
  await prepareDatabase(config);
} catch (err) {
  fail(err instanceof StartupError ? err.message : `preparing the database failed: ${(err as Error).message}`);
}

// Progress: one line rewritten in place on a terminal, a line every 5 s otherwise.
const tty = process.stderr.isTTY === true;
const startedAt = performance.now();
let shownAt = 0;
const count = (n: number) => Math.round(n).toLocaleString('en-US');
function show(line: string, final = false) {
  const now = performance.now();
  if (!final && now - shownAt < (tty ? 200 : 5000)) return;
  shownAt = now;
  process.stderr.write(tty ? `\r\x1b[2K${line}${final ? '\n' : ''}` : `${line}\n`);
}
function bar(share: number) {
  const width = 30;
  const full = Math.round(Math.min(1, share) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(share * 100).toFixed(0).padStart(3)} %`;
}
let alarmsDoneAt = 0;
function report(p: HistoryProgress) {
  const seconds = (performance.now() - startedAt) / 1000;
  if (p.phase === 'registry') show(`registry: ${count(p.citizens)} citizens and their units loaded`, true);
  else if (p.phase === 'alarms') {
    const share = (p.simAt - p.start) / (p.end - p.start);
    const month = new Date(p.simAt).toISOString().slice(0, 7);
    show(
      `alarms   ${bar(share)}  ${month}  ${count(p.alarms)} alarms, ${count(p.dispatches)} dispatches  ${count(p.alarms / seconds)}/s`,
      p.done,
    );
    alarmsDoneAt = seconds;
  } else
    show(
      `rollups  ${bar(p.done / p.total)}  ${p.month}  ${count(p.done)} of ${count(p.total)} months`,
      p.done === p.total,
    );
}

const pool = createPool(config.databaseUrl, {
  max: 4,
  statementTimeoutMs: 0,
  applicationName: 'responscenter-seed-history',
});
const db = createDb(pool);
try {
  const loaded = await loadHistory(db, pool, { years, municipalities, seed, end }, report);
  const seconds = (performance.now() - startedAt) / 1000;
  console.log(
    `loaded into ${safeUrl(config.databaseUrl)}: ${years} years to ${new Date(end).toISOString()} of ${loaded.municipalities} municipalities, ` +
      `${count(loaded.citizens)} citizens, ${count(loaded.alarms)} alarms (${count(loaded.alarms / alarmsDoneAt)}/s), ` +
      `${count(loaded.dispatches)} dispatches, ${count(loaded.rollups)} monthly rollups, in ${seconds.toFixed(0)} s`,
  );
} catch (err) {
  await db.destroy();
  fail(err instanceof NotEmpty ? err.message : `loading the history failed: ${(err as Error).stack ?? err}`);
}
await db.destroy();
