// The audit trail is append-only: the service's own database role (responscenter_app) has no UPDATE,
// DELETE or TRUNCATE on it, and a trigger refuses them to every role, superusers included, but for the
// removal of rows older than six months through audit_prune(). The service does all its work as that role.
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneAudit } from '../../db/audit.js';
import { prepareDatabase } from '../../platform/boot.js';
import type { HttpApp } from '../../platform/http.js';
import type { Runtime } from '../../platform/runtime.js';
import { buildConsoleApp } from '../../services/console/app.js';
import { applyRetention } from '../../services/retention/retention.js';
import { keepStatistics } from '../../services/statistics/upkeep.js';
import { bearer, login, newAlarm, storeAlarms } from '../console/helpers.js';
import { createTestEnv, seedRegistry, type TestEnv } from '../support/env.js';

const APP_ROLE = 'responscenter_app';
let te: TestEnv;
/** The console's runtime, connected as the superuser but acting as the service's role throughout. */
let appRt: Runtime;
let app: HttpApp;

beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te);
  const url = new URL(te.config.databaseUrl);
  url.searchParams.set('options', `-c role=${APP_ROLE}`);
  appRt = te.runtime({ DATABASE_URL: url.toString() });
  const built = await buildConsoleApp(appRt);
  app = built.app;
  te.onClose(built.close);
});
afterAll(() => te?.close());

/** Run statements on one connection of the test's database as the given role (SET ROLE). */
async function as<T>(role: string | null, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: te.config.databaseUrl });
  await c.connect();
  try {
    if (role) await c.query(`SET ROLE ${role}`);
    return await fn(c);
  } finally {
    await c.end();
  }
}

const refusal = (c: pg.Client, text: string) =>
  c.query(text).then(
    () => null,
    (err: Error & { code?: string }) => ({ code: err.code, message: err.message }),
  );

const insertAt = (db: Kysely<never> | Runtime['db'], monthsAgo: number, actor: string) =>
  sql`INSERT INTO audit_events (at, actor, action, outcome)
      VALUES (now() - make_interval(months => ${monthsAgo}, days => 1), ${actor}, 'login.success', 'allowed')`.execute(
    db as Runtime['db'],
  );

describe('the audit trail is append-only', () => {
  it('refuses UPDATE, DELETE and TRUNCATE to the service’s role (no grant)', async () => {
    await insertAt(te.rt.db, 0, 'someone');
    const refused = await as(APP_ROLE, async (c) => ({
      who: (await c.query('SELECT current_user AS u')).rows[0].u,
      inserted: (await c.query(`INSERT INTO audit_events (action, outcome) VALUES ('logout', 'allowed')`)).rowCount,
      update: await refusal(c, `UPDATE audit_events SET actor = 'nobody'`),
      delete: await refusal(c, 'DELETE FROM audit_events'),
      truncate: await refusal(c, 'TRUNCATE audit_events'),
      viaView: await refusal(c, `UPDATE citizen_reads SET username = 'nobody'`),
    }));
    expect(refused.who).toBe(APP_ROLE);
    expect(refused.inserted).toBe(1);
    for (const r of [refused.update, refused.delete, refused.truncate, refused.viaView])
      expect(r).toMatchObject({ code: '42501', message: expect.stringMatching(/permission denied/) });
  });

  it('refuses them to the superuser as well (the trigger), and changes nothing', async () => {
    const count = async () =>
      Number((await sql<{ n: string }>`SELECT count(*) AS n FROM audit_events`.execute(te.rt.db)).rows[0]!.n);
    const before = await count();
    const refused = await as(null, async (c) => ({
      super: (await c.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).rows[0].rolsuper,
      update: await refusal(c, `UPDATE audit_events SET actor = 'nobody'`),
      delete: await refusal(c, 'DELETE FROM audit_events'),
      truncate: await refusal(c, 'TRUNCATE audit_events'),
      // Setting the prune flag by hand does not open rows younger than six months.
      flagged: await refusal(
        c,
        `SELECT set_config('responscenter.audit_prune', 'on', false); DELETE FROM audit_events`,
      ),
    }));
    expect(refused.super).toBe(true);
    for (const r of [refused.update, refused.delete, refused.truncate, refused.flagged])
      expect(r).toMatchObject({ code: '42501', message: expect.stringMatching(/append-only/) });
    expect(await count()).toBe(before);
  });

  it('removes only rows older than the retention, never younger than six months, through audit_prune', async () => {
    await insertAt(te.rt.db, 5, 'five-months');
    await insertAt(te.rt.db, 7, 'seven-months');
    await insertAt(te.rt.db, 13, 'thirteen-months');
    const actors = async () =>
      (await te.rt.db.selectFrom('audit_events').select('actor').where('actor', 'like', '%-months').execute())
        .map((r) => r.actor)
        .sort();
    await expect(pruneAudit(appRt.db, 5, 100)).rejects.toThrow(/at least 6 months/);
    expect(await pruneAudit(appRt.db, 12, 100)).toBe(1);
    expect(await actors()).toEqual(['five-months', 'seven-months']);
    // The service's role, through the worker's job: the configured months (here the minimum).
    expect(await applyRetention(appRt.db, { auditRetentionMonths: 6 })).toMatchObject({ auditRows: 1 });
    expect(await actors()).toEqual(['five-months']);
  });
});

describe('the service runs as responscenter_app', () => {
  it('starts (the migrator finds nothing to do), logs in, reads a card, decides, imports the registry, keeps statistics and reads the audit trail', async () => {
    expect(await prepareDatabase(appRt.config)).toEqual({ created: false, applied: [] });
    const op = await login(app, 'op-aab');
    const admin = await login(app, 'admin');
    const [id] = await storeAlarms(te.rt, newAlarm('aabenraa', 1));
    const card = await app.inject({ method: 'GET', url: `/v1/alarms/${id}`, headers: bearer(op) });
    expect(card.statusCode, card.body).toBe(200);
    const resolved = await app.inject({
      method: 'POST',
      url: `/v1/alarms/${id}/resolve`,
      headers: bearer(op),
      payload: { outcome: 'dispatch', note: 'visit' },
    });
    expect(resolved.statusCode, resolved.body).toBe(200);
    const registry = await app.inject({
      method: 'PUT',
      url: '/v1/admin/registry',
      headers: bearer(admin),
      payload: { users: [{ username: 'op-aab', role: 'operator', municipalities: ['aabenraa', 'toender'] }] },
    });
    expect(registry.statusCode, registry.body).toBe(200);
    await keepStatistics(appRt.db);
    const trail = await app.inject({ method: 'GET', url: `/v1/admin/audit?alarm=${id}`, headers: bearer(admin) });
    expect(trail.statusCode, trail.body).toBe(200);
    expect(
      trail
        .json()
        .events.map((e: { action: string }) => e.action)
        .sort(),
    ).toEqual(['alarm.resolve', 'card.read']);
    const who = await sql<{ u: string }>`SELECT current_user AS u`.execute(appRt.db);
    expect(who.rows[0]!.u).toBe(APP_ROLE);
  });
});
