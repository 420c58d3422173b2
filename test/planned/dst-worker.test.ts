// The worker's own clock across both DST nights and midnight: schedules in Copenhagen local time, stored
// as instants by the worker's materialiser (with the time it is given as now), in Postgres, once each.
// The pure rules are in occurrences.test.ts; this is the path a due item takes into the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRegistry } from '../../services/admin/registry.js';
import { materialiseSchedules } from '../../services/triage/planned-work.js';
import { createTestEnv, seedRegistry, testRegistry, type TestEnv } from '../support/env.js';

let te: TestEnv;

beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te, testRegistry(10));
  // Night checks at 23:00, 02:00 and 05:00 and a call at 23:50 with a 30-minute window, for the two days
  // around each change of 2027 (28 March, 31 October).
  const both = (id: string, from: string, to: string) => [
    { id: `${id}-night`, citizenId: 'c-aabenraa-0', kind: 'night_check', times: ['23:00', '02:00', '05:00'], activeFrom: from, activeTo: to },
    { id: `${id}-call`, citizenId: 'c-aabenraa-0', kind: 'planned_call', times: ['23:50'], windowMinutes: 30, activeFrom: from, activeTo: to },
  ]; // prettier-ignore
  await importRegistry(te.rt.db, {
    consents: [{ citizenId: 'c-aabenraa-0', givenBy: 'citizen' }],
    schedules: [...both('spring', '2027-03-27', '2027-03-28'), ...both('autumn', '2027-10-30', '2027-10-31')],
  });
});
afterAll(() => te.close());

const stored = async (scheduleId: string) =>
  (
    await te.rt.db
      .selectFrom('care_occurrences')
      .select(['due_at', 'window_ends_at'])
      .where('schedule_id', '=', scheduleId)
      .orderBy('due_at')
      .execute()
  ).map((o) => [o.due_at.toISOString(), o.window_ends_at.toISOString()]);

describe('the worker stores due times across DST and midnight', () => {
  it('on the spring-forward night: 02:00 does not exist and is due at 03:00 CEST; the call’s window crosses midnight', async () => {
    await materialiseSchedules(te.rt, 36, new Date('2027-03-27T12:00:00Z'));
    // Saturday 27 March (CET, +1) and Sunday 28 March (CEST, +2 from 02:00 CET = 01:00Z).
    expect(await stored('spring-night')).toEqual([
      ['2027-03-27T01:00:00.000Z', '2027-03-27T01:15:00.000Z'], // 02:00 CET
      ['2027-03-27T04:00:00.000Z', '2027-03-27T04:15:00.000Z'], // 05:00 CET
      ['2027-03-27T22:00:00.000Z', '2027-03-27T22:15:00.000Z'], // 23:00 CET
      ['2027-03-28T01:00:00.000Z', '2027-03-28T01:15:00.000Z'], // 02:00 is skipped: due when it would have been, 02:00 CET = 03:00 CEST
      ['2027-03-28T03:00:00.000Z', '2027-03-28T03:15:00.000Z'], // 05:00 CEST
      ['2027-03-28T21:00:00.000Z', '2027-03-28T21:15:00.000Z'], // 23:00 CEST
    ]);
    expect(await stored('spring-call')).toEqual([
      ['2027-03-27T22:50:00.000Z', '2027-03-27T23:20:00.000Z'], // 23:50 CET until 00:20 on Sunday
      ['2027-03-28T21:50:00.000Z', '2027-03-28T22:20:00.000Z'], // 23:50 CEST
    ]);
    // The worker's next rounds (a minute later, or after a restart) store nothing twice.
    await materialiseSchedules(te.rt, 36, new Date('2027-03-27T12:01:00Z'));
    await materialiseSchedules(te.rt, 36, new Date('2027-03-28T02:00:00Z'));
    expect(await stored('spring-night')).toHaveLength(6);
    expect(await stored('spring-call')).toHaveLength(2);
  });

  it('on the fall-back night: 02:00 happens twice and is due once, the first time', async () => {
    await materialiseSchedules(te.rt, 36, new Date('2027-10-30T12:00:00Z'));
    await materialiseSchedules(te.rt, 36, new Date('2027-10-31T01:30:00Z')); // between the two 02:00s
    expect(await stored('autumn-night')).toEqual([
      ['2027-10-30T00:00:00.000Z', '2027-10-30T00:15:00.000Z'], // 02:00 CEST
      ['2027-10-30T03:00:00.000Z', '2027-10-30T03:15:00.000Z'], // 05:00 CEST
      ['2027-10-30T21:00:00.000Z', '2027-10-30T21:15:00.000Z'], // 23:00 CEST
      ['2027-10-31T00:00:00.000Z', '2027-10-31T00:15:00.000Z'], // the first 02:00 (CEST), not the second (01:00Z)
      ['2027-10-31T04:00:00.000Z', '2027-10-31T04:15:00.000Z'], // 05:00 CET
      ['2027-10-31T22:00:00.000Z', '2027-10-31T22:15:00.000Z'], // 23:00 CET
    ]);
    expect(await stored('autumn-call')).toEqual([
      ['2027-10-30T21:50:00.000Z', '2027-10-30T22:20:00.000Z'], // 23:50 CEST
      ['2027-10-31T22:50:00.000Z', '2027-10-31T23:20:00.000Z'], // 23:50 CET until 00:20 on Monday
    ]);
  });
});
