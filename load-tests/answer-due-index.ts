// `npx tsx load-tests/answer-due-index.ts`: what the partial index alarms_answer_due (migrations/0006,
// the escalation loop's scan for unanswered alarms) costs the ingest accept statement. Two databases
// migrated alike, one with the index dropped; the same batches of pendant presses stored into each in
// turn (which goes first alternates), the first rounds discarded as warm-up; medians of the time per
// alarm, and their ratio. Needs only Postgres; creates and drops its own databases.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { storeAlarms, type NewAlarm } from '../db/accept.js';
import { createDb, createPool, type Db } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { importRegistry } from '../services/admin/registry.js';
import { testRegistry } from '../test/support/env.js';
import { databaseUrl, dropDatabase } from './support/stack.js';

const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/responscenter';
const ROUNDS = Number(process.env.LOAD_ROUNDS ?? 80);
const WARMUP = 10;
/** Batch sizes, and how many batches of each make one sample. */
const SIZES: [size: number, batches: number][] = [
  [1, 20],
  [20, 5],
  [200, 1],
  [1000, 1],
];

const names = ['with', 'without'].map((k) => `rc_bench_${k}_${randomBytes(3).toString('hex')}`);
const dbs: Db[] = [];
try {
  for (const name of names) {
    await dropDatabase(name, true, SERVER);
    const db = createDb(createPool(databaseUrl(SERVER, name), { max: 2 }));
    dbs.push(db);
    await migrateToLatest(db);
    await importRegistry(db, testRegistry(200));
  }
  await sql`DROP INDEX alarms_answer_due`.execute(dbs[1]!);

  let n = 0;
  const press = (): NewAlarm => ({
    gatewayId: 'gw-aabenraa',
    eventId: `bench-${n++}`,
    deviceId: `dev-aabenraa-${(n % 100) * 2}`,
    type: 'pendant',
    occurredAt: new Date().toISOString(),
  });
  const samples = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [size, batches] of SIZES) {
      for (const k of [round % 2, 1 - (round % 2)]) {
        const t0 = process.hrtime.bigint();
        for (let b = 0; b < batches; b++) await storeAlarms(dbs[k]!, Array.from({ length: size }, press));
        const us = Number(process.hrtime.bigint() - t0) / 1000 / (size * batches);
        if (round < WARMUP) continue;
        const key = `${size}/${k}`;
        samples.set(key, [...(samples.get(key) ?? []), us]);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log('| batch | with the index (µs/alarm) | without (µs/alarm) | ratio |\n| --- | --- | --- | --- |');
  for (const [size] of SIZES) {
    const [w, wo] = [median(samples.get(`${size}/0`)!), median(samples.get(`${size}/1`)!)];
    console.log(`| ${size} | ${w.toFixed(1)} | ${wo.toFixed(1)} | ${(w / wo).toFixed(3)} |`);
  }
} finally {
  for (const db of dbs) await db.destroy();
  for (const name of names) await dropDatabase(name, false, SERVER);
}
