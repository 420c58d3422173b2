// Migration 0003 takes over the change log of an installation that ran 0001 and 0002: every change
// already served keeps its seq, and every change after the upgrade comes after them, in order.
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/connect.js';
import { currentSeq, readChangesSince } from '../../db/changes.js';
import { eventually } from '../support/env.js';
import { installationBefore, type Installation } from '../support/upgrade.js';

let installation: Installation | undefined;
let db: Db;

afterAll(async () => {
  await installation?.close();
});

const change = (i: number) => sql`
  INSERT INTO changes (kind, entity_id, municipality_id, payload)
  VALUES ('alarm', gen_random_uuid(), 'aabenraa', ${JSON.stringify({ i })}::jsonb)`;

describe('migration 0003 on a change log sequenced by 0001 and 0002', () => {
  it('keeps every seq already assigned and sequences every later change above them, in order', async () => {
    // The installation as it was: the migrations before 0003 only.
    installation = await installationBefore('0003', 4);
    db = installation.db;
    for (let i = 0; i < 5; i++) await db.transaction().execute((trx) => change(i).execute(trx));
    const old = (await sql<{ seq: string }>`SELECT seq FROM changes ORDER BY seq`.execute(db)).rows.map((r) =>
      Number(r.seq),
    );
    expect(old).toEqual([1, 2, 3, 4, 5]);

    await installation.toLatest();
    // Nothing of the old log is lost or renumbered, and it is all final (once any transaction older
    // than the upgrade, in any database of the cluster, has ended: other test files run alongside).
    await eventually(async () => (await currentSeq(db)) === 5, 10_000, 'the old log final');
    expect((await readChangesSince(db, 0)).rows.map((r) => r.seq)).toEqual(old);
    // Two transactions after the upgrade, two changes each: above the old seqs, in transaction order.
    for (let t = 0; t < 2; t++)
      await db.transaction().execute(async (trx) => {
        await change(10 + t * 2).execute(trx);
        await change(11 + t * 2).execute(trx);
      });
    const { rows } = await eventually(
      async () => {
        const read = await readChangesSince(db, 5);
        return read.rows.length === 4 && !read.heldBack ? read : undefined;
      },
      10_000,
      'the four new changes final',
    );
    expect(rows.map((r) => (r.payload as unknown as { i: number }).i)).toEqual([10, 11, 12, 13]);
    const seqs = rows.map((r) => r.seq);
    expect(seqs[0]).toBeGreaterThan(5);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[1]! - seqs[0]!).toBe(1);
    expect(seqs.every(Number.isSafeInteger)).toBe(true);
  });
});
