// `npx tsx load-tests/audit-cost.ts`: what the audit trail costs the two hot paths that write it, in the
// same process and database, each beside the same work without its audit row:
//  - a decision: claim, then resolve (each its own transaction), with the audit row in each transaction
//    (db/decisions.ts) and without;
//  - a card read: the citizen, their last 30 days of alarms, and the audit row (one INSERT), and without;
//    and with the row it wrote before migration 0011 (a table shaped and indexed as citizen_reads was).
// Which goes first alternates per round; the first rounds are warm-up; medians per operation and ratios.
// Needs only Postgres; creates and drops its own database.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { storeAlarms, type NewAlarm } from '../db/accept.js';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { findCitizen, recentAlarmsOf } from '../db/citizens.js';
import { createDb, createPool } from '../db/connect.js';
import { claimAlarm, resolveAlarm } from '../db/decisions.js';
import { migrateToLatest } from '../db/migrate.js';
import { importRegistry } from '../services/admin/registry.js';
import { testRegistry } from '../test/support/env.js';
import { databaseUrl, dropDatabase } from './support/stack.js';

const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/responscenter';
const ROUNDS = Number(process.env.LOAD_ROUNDS ?? 60);
const WARMUP = 10;
const PER_ROUND = 20;

const name = `rc_bench_audit_${randomBytes(3).toString('hex')}`;
await dropDatabase(name, true, SERVER);
const db = createDb(createPool(databaseUrl(SERVER, name), { max: 2 }));
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
  await sql`CREATE TABLE citizen_reads_before (id bigserial PRIMARY KEY, username text NOT NULL, citizen_id text NOT NULL,
    alarm_id uuid, purpose text NOT NULL, read_at timestamptz NOT NULL DEFAULT now());
    CREATE INDEX ON citizen_reads_before (citizen_id, read_at DESC); CREATE INDEX ON citizen_reads_before (username, read_at DESC)`.execute(
    db,
  );
  type Variant = 'audited' | 'none' | 'before';
  const cases: Record<
    string,
    { variants: Variant[]; prepare(): Promise<string[]>; run(id: string, v: Variant): Promise<void> }
  > = {
    'decision (claim + resolve)': {
      variants: ['audited', 'none'],
      prepare: async () => (await storeAlarms(db, Array.from({ length: PER_ROUND }, press))).created.map((a) => a.id),
      run: async (id, v) => {
        await claimAlarm(db, id, 'op-both', v === 'audited' ? by : undefined);
        await resolveAlarm(
          db,
          id,
          'op-both',
          { outcome: 'false_alarm', note: 'bench' },
          v === 'audited' ? by : undefined,
        );
      },
    },
    'card read': {
      variants: ['audited', 'none', 'before'],
      prepare: async () => Array.from({ length: PER_ROUND }, (_, i) => `c-aabenraa-${((n + i) % 100) * 2}`),
      run: async (citizenId, v) => {
        const citizen = await findCitizen(db, citizenId);
        if (v === 'before')
          await sql`INSERT INTO citizen_reads_before (username, citizen_id, alarm_id, purpose)
            VALUES ('op-both', ${citizenId}, NULL, 'citizen_card')`.execute(db);
        if (v === 'audited')
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
      const order = round % 2 ? [...c.variants].reverse() : c.variants;
      for (const v of order) {
        const ids = await c.prepare();
        const t0 = process.hrtime.bigint();
        for (const id of ids) await c.run(id, v);
        const us = Number(process.hrtime.bigint() - t0) / 1000 / PER_ROUND;
        if (round < WARMUP) continue;
        const key = `${label}/${v}`;
        samples.set(key, [...(samples.get(key) ?? []), us]);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    '| operation | with its audit row (µs) | without (µs) | ratio | before 0011: citizen_reads row (µs) | ratio |\n| --- | --- | --- | --- | --- | --- |',
  );
  for (const label of Object.keys(cases)) {
    const m = (v: Variant) => (samples.has(`${label}/${v}`) ? median(samples.get(`${label}/${v}`)!) : null);
    const [w, wo, before] = [m('audited')!, m('none')!, m('before')];
    console.log(
      `| ${label} | ${w.toFixed(0)} | ${wo.toFixed(0)} | ${(w / wo).toFixed(3)} | ${before?.toFixed(0) ?? '—'} | ${before ? (w / before).toFixed(3) : '—'} |`,
    );
  }
} finally {
  await db.destroy();
  await dropDatabase(name, false, SERVER);
}
