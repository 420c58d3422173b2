// When planned work is due: local times in Copenhagen across midnight and both DST changes, the days of
// the week, the active dates, and what follows each result. Pure: no database.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_SETTINGS,
  localDateOf,
  localToInstant,
  nextStep,
  occurrencesBetween,
  resultsFor,
  type Schedule,
} from '../../domain/planned.js';

const every: Schedule = {
  kind: 'night_check',
  times: ['23:00', '02:00', '05:00'],
  days: [1, 2, 3, 4, 5, 6, 7],
  windowMinutes: 15,
  activeFrom: '2026-01-01',
  activeTo: null,
};
const utc = (s: string) => new Date(s);
const dues = (s: Schedule, from: string, to: string) =>
  occurrencesBetween(s, utc(from), utc(to)).map((o) => o.dueAt.toISOString());

describe('local times of day', () => {
  it('are Copenhagen time, winter (CET, +1) and summer (CEST, +2)', () => {
    expect(localToInstant('2026-01-15', '10:00').toISOString()).toBe('2026-01-15T09:00:00.000Z');
    expect(localToInstant('2026-07-15', '10:00').toISOString()).toBe('2026-07-15T08:00:00.000Z');
  });

  it('on the spring-forward night, a time in the skipped hour is due an hour later by the clock, once', () => {
    // 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00Z).
    expect(localToInstant('2026-03-29', '02:30').toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(localToInstant('2026-03-29', '03:30').toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(localToInstant('2026-03-29', '01:59').toISOString()).toBe('2026-03-29T00:59:00.000Z');
    // 02:30 and 03:30 name one instant that night: one item, not two.
    const s = { ...every, times: ['02:30', '03:30'] };
    expect(dues(s, '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z')).toEqual(['2026-03-29T01:30:00.000Z']);
    // The night before and after: two items an hour apart.
    expect(dues(s, '2026-03-27T12:00:00Z', '2026-03-28T12:00:00Z')).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-28T02:30:00.000Z',
    ]);
  });

  it('on the fall-back night, a time in the repeated hour is due once, the first time (CEST)', () => {
    // 25 October 2026: 03:00 CEST becomes 02:00 CET (01:00Z); 02:00–02:59 happens twice.
    expect(localToInstant('2026-10-25', '02:30').toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(localToInstant('2026-10-25', '03:00').toISOString()).toBe('2026-10-25T02:00:00.000Z');
    expect(dues(every, '2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z')).toEqual([
      '2026-10-24T21:00:00.000Z', // 23:00 CEST
      '2026-10-25T00:00:00.000Z', // 02:00 CEST, the first 02:00
      '2026-10-25T04:00:00.000Z', // 05:00 CET
    ]);
  });

  it('keep the window in elapsed minutes across midnight and a DST change', () => {
    const call: Schedule = { ...every, kind: 'planned_call', times: ['23:50'], windowMinutes: 30 };
    const [o] = occurrencesBetween(call, utc('2026-01-10T12:00:00Z'), utc('2026-01-11T12:00:00Z'));
    expect(o!.dueAt.toISOString()).toBe('2026-01-10T22:50:00.000Z');
    expect(o!.windowEndsAt.toISOString()).toBe('2026-01-10T23:20:00.000Z');
    expect(o!.localDate).toBe('2026-01-10');
    expect(localDateOf(o!.windowEndsAt)).toBe('2026-01-11');
    // 01:45 with 30 minutes on the spring-forward night ends at 03:15 by the clock: 30 real minutes.
    const early: Schedule = { ...call, times: ['01:45'] };
    const [d] = occurrencesBetween(early, utc('2026-03-28T12:00:00Z'), utc('2026-03-29T12:00:00Z'));
    expect(d!.windowEndsAt.getTime() - d!.dueAt.getTime()).toBe(30 * 60_000);
  });
});

describe('a schedule’s occurrences', () => {
  it('fall on its days of the week, by the local date of the due time', () => {
    // Weekdays only: 2026-01-09 is a Friday, 10–11 the weekend, 12 a Monday.
    const weekdays: Schedule = { ...every, kind: 'planned_call', times: ['10:00'], days: [1, 2, 3, 4, 5] };
    expect(dues(weekdays, '2026-01-09T00:00:00Z', '2026-01-13T00:00:00Z')).toEqual([
      '2026-01-09T09:00:00.000Z',
      '2026-01-12T09:00:00.000Z',
    ]);
    // 00:30 on a Monday is Sunday 23:30 UTC: it belongs to Monday.
    const monday: Schedule = { ...weekdays, times: ['00:30'], days: [1] };
    expect(dues(monday, '2026-01-10T00:00:00Z', '2026-01-13T00:00:00Z')).toEqual(['2026-01-11T23:30:00.000Z']);
  });

  it('lie within its active dates, both inclusive, and within the asked range, half-open', () => {
    const s: Schedule = { ...every, times: ['10:00'], activeFrom: '2026-02-02', activeTo: '2026-02-03' };
    expect(dues(s, '2026-02-01T00:00:00Z', '2026-02-06T00:00:00Z')).toEqual([
      '2026-02-02T09:00:00.000Z',
      '2026-02-03T09:00:00.000Z',
    ]);
    expect(dues(s, '2026-02-02T09:00:00Z', '2026-02-03T09:00:00Z')).toEqual(['2026-02-02T09:00:00.000Z']);
  });

  it('are three night checks a night, in time order', () => {
    expect(dues(every, '2026-01-20T12:00:00Z', '2026-01-21T12:00:00Z')).toEqual([
      '2026-01-20T22:00:00.000Z',
      '2026-01-21T01:00:00.000Z',
      '2026-01-21T04:00:00.000Z',
    ]);
  });
});

describe('what follows a result', () => {
  const s = DEFAULT_RETRY_SETTINGS;

  it('fits the item’s type only', () => {
    expect(resultsFor('planned_call')).toEqual(['reached_well', 'reached_needs_help', 'not_reached']);
    expect(resultsFor('night_check')).toEqual(['seen_calm', 'seen_needs_help', 'not_seen']);
    expect(resultsFor('pendant')).toEqual([]);
  });

  it('not reached: a retry after the municipality’s delay, then a dispatch after the last', () => {
    expect(nextStep('planned_call', 'not_reached', 1, s)).toEqual({
      step: 'retry',
      outcome: 'phone_resolvable',
      afterMinutes: 10,
    });
    expect(nextStep('planned_call', 'not_reached', 2, s)).toEqual({
      step: 'missed',
      outcome: 'dispatch',
      dispatch: true,
    });
    expect(nextStep('night_check', 'not_seen', 1, s)).toMatchObject({ step: 'retry', afterMinutes: 15 });
    const three = { ...s, nightCheckRetries: 3 };
    expect(nextStep('night_check', 'not_seen', 3, three).step).toBe('retry');
    expect(nextStep('night_check', 'not_seen', 4, three).step).toBe('missed');
    expect(nextStep('night_check', 'not_seen', 1, { ...s, nightCheckRetries: 0 }).step).toBe('missed');
  });

  it('needs help: a dispatch by default, or a phone follow-up; well or calm: done by phone', () => {
    expect(nextStep('planned_call', 'reached_needs_help', 1, s)).toEqual({
      step: 'done',
      outcome: 'dispatch',
      dispatch: true,
    });
    expect(nextStep('night_check', 'seen_needs_help', 2, s, 'phone')).toEqual({
      step: 'done',
      outcome: 'phone_resolvable',
      dispatch: false,
    });
    expect(nextStep('night_check', 'seen_calm', 1, s)).toEqual({
      step: 'done',
      outcome: 'phone_resolvable',
      dispatch: false,
    });
  });
});
