// `npx tsx load-tests/audit-cost.ts`: what the audit trail costs the two hot paths that write it, in the
// same process and database, each beside the same work without its audit row:
//  - a decision: claim, then resolve (each its own transaction), with the audit row in each transaction
//    (db/decisions.ts) and without;
//  - a card read: the citizen, their last 30 days of alarms, and the audit row (one INSERT), and without.
// Which goes first alternates per round; the first rounds are warm-up; medians per operation and ratios.
// Needs only Postgres; creates and drops its own database.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { storeAlarms, type NewAlarm } from '../db/accept.js';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { findCitizen, recentAlarmsOf } from '../db/citizens.js';
import { createDb, createPool } from '../db/connect.js';
import { claimAlarm, resolveAlarm } from '../db/decisions.js';
import { migrateToLatest } from '../db/migrate.js';
import { importRegistry } from '../services/admin/registry.js';
import { testRegistry } from '../test/support/env.js';

const BASE = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/responscenter');
const urlFor = (database: string) => Object.assign(new URL(BASE), { pathname: `/${database}` }).toString();
const ROUNDS = Number(process.env.LOAD_ROUNDS ?? 60);
const WARMUP = 10;
const PER_ROUND = 20;

async function admin(statement: string) {
  const c = new pg.Client({ connectionString: urlFor('postgres') });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

const name = `rc_bench_audit_${randomBytes(3).toString('hex')}`;
await admin(`CREATE DATABASE ${name}`);
const db = createDb(createPool(urlFor(name), { max: 2 }));
try {
  await migrateToLatest(db);
  await importRegistry(db, testRegistry(200));
  const by: AuditActor = {
    actor: 'op-both',
    role: 'operator',
    sessionId: '00000000-0000-4000-8000-000000000001',
    address: '127.0.0.1',
    requestId: '00000000-0000-4000-8000-000000000002',
  };
  let n = 0;
  const press = (): NewAlarm => ({
    gatewayId: 'gw-aabenraa',
    eventId: `bench-${n++}`,
    deviceId: `dev-aabenraa-${(n % 100) * 2}`,
    type: 'pendant',
    occurredAt: new Date().toISOString(),
  });
  // A history for the cards' last 30 days, decided (so a claim takes one alarm, not a device's backlog).
  for (let i = 0; i < 10; i++) await storeAlarms(db, Array.from({ length: 200 }, press));
  await sql`UPDATE alarms SET status = 'resolved', outcome = 'false_alarm', resolved_at = now()`.execute(db);

  /** Each case: what to prepare untimed, then the timed operation on it. */
  const cases: Record<string, { prepare(): Promise<string[]>; run(id: string, audited: boolean): Promise<void> }> = {
    'decision (claim + resolve)': {
      prepare: async () => (await storeAlarms(db, Array.from({ length: PER_ROUND }, press))).created.map((a) => a.id),
      run: async (id, audited) => {
        await claimAlarm(db, id, 'op-both', audited ? by : undefined);
        await resolveAlarm(db, id, 'op-both', { outcome: 'false_alarm', note: 'bench' }, audited ? by : undefined);
      },
    },
    'card read': {
      prepare: async () => Array.from({ length: PER_ROUND }, (_, i) => `c-aabenraa-${((n + i) % 100) * 2}`),
      run: async (citizenId, audited) => {
        const citizen = await findCitizen(db, citizenId);
        if (audited)
          await recordAudit(db, [
            {
              ...by,
              action: 'card.read',
              purpose: 'citizen_card',
              citizenId,
              municipality: citizen!.municipality_id,
              outcome: 'allowed',
            },
          ]);
        await recentAlarmsOf(db, citizenId, 30, 50);
      },
    },
  };
  const samples = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, c] of Object.entries(cases)) {
      for (const audited of round % 2 ? [true, false] : [false, true]) {
        const ids = await c.prepare();
        const t0 = process.hrtime.bigint();
        for (const id of ids) await c.run(id, audited);
        const us = Number(process.hrtime.bigint() - t0) / 1000 / PER_ROUND;
        if (round < WARMUP) continue;
        const key = `${label}/${audited}`;
        samples.set(key, [...(samples.get(key) ?? []), us]);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log('| operation | with its audit row (µs) | without (µs) | ratio |\n| --- | --- | --- | --- |');
  for (const label of Object.keys(cases)) {
    const [w, wo] = [median(samples.get(`${label}/true`)!), median(samples.get(`${label}/false`)!)];
    console.log(`| ${label} | ${w.toFixed(0)} | ${wo.toFixed(0)} | ${(w / wo).toFixed(3)} |`);
  }
} finally {
  await db.destroy();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
