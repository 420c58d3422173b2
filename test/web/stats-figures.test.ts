// The statistics page's own arithmetic (web/src/stats-figures.ts): the default range in Copenhagen months,
// sums over a range with rates taken over the sums, the heat map's cells, and the downloads' names.
import { describe, expect, it } from 'vitest';
import { emptyCounts, monthFigures, type StatisticsSettings } from '../../domain/statistics.js';
import type { MonthRow } from '../../domain/statistics-views.js';
import { defaultRange, fileName, rangeProblem, rangeTotals, weekdayHours } from '../../web/src/stats-figures.js';

const SETTINGS: StatisticsSettings = {
  answerTargetSeconds: 60,
  visitMinutes: 45,
  visitCostDkk: 400,
  nightVisitMinutes: 30,
  nightVisitCostDkk: 350,
  falseAlarmTargetRate: null,
};

function month(
  m: string,
  o: { false_alarm: number; phone: number; dispatch: number; visits: number; cell?: [number, number, number] },
): MonthRow {
  const c = emptyCounts();
  c.outcomes.false_alarm = o.false_alarm;
  c.outcomes.phone_resolvable = o.phone;
  c.outcomes.dispatch = o.dispatch;
  c.total = o.false_alarm + o.phone + o.dispatch;
  c.visitsAvoided = o.visits;
  if (o.cell) c.byWeekdayHour[o.cell[0]]![o.cell[1]] = o.cell[2];
  return monthFigures(m, c, SETTINGS) as MonthRow;
}

describe('the statistics page’s figures', () => {
  it('defaults to the twelve months to the current one in Copenhagen, not in UTC', () => {
    // 31 December 23:30 UTC is already January in Copenhagen.
    expect(defaultRange(Date.parse('2026-12-31T23:30:00Z'))).toEqual({ from: '2026-02', to: '2027-01' });
    expect(defaultRange(Date.parse('2026-06-15T12:00:00Z'))).toEqual({ from: '2025-07', to: '2026-06' });
  });

  it('refuses a range the server would refuse, before asking', () => {
    expect(rangeProblem('2026-01', '2026-12')).toBeNull();
    expect(rangeProblem('2026-1', '2026-12')).toBe('format');
    expect(rangeProblem('2026-02', '2026-01')).toBe('order');
    // 240 months at most, both ends included.
    expect(rangeProblem('2000-01', '2020-01')).toBe('length');
    expect(rangeProblem('2000-01', '2019-12')).toBeNull();
  });

  it('adds counts over the range and takes the false-alarm rate over the sums, not as an average of months', () => {
    const months = [
      month('2026-01', { false_alarm: 1, phone: 0, dispatch: 0, visits: 1 }),
      month('2026-02', { false_alarm: 1, phone: 2, dispatch: 1, visits: 3 }),
    ];
    const sum = rangeTotals(months);
    expect(sum.total).toBe(5);
    expect(sum.outcomes).toEqual({ false_alarm: 2, phone_resolvable: 2, dispatch: 1, unresolved: 0 });
    // 2 of 5 decided: 0.4 (the months' rates, 1 and 0.25, would average 0.625).
    expect(sum.falseAlarmRate).toBe(0.4);
    expect(sum.effect).toMatchObject({ visitsAvoided: 4, visitStaffHours: 3, visitDkk: 1600 });
    expect(rangeTotals([]).falseAlarmRate).toBeNull();
  });

  it('adds the months’ weekday × hour cells', () => {
    const cells = weekdayHours([
      month('2026-01', { false_alarm: 1, phone: 0, dispatch: 0, visits: 0, cell: [0, 10, 2] }),
      month('2026-02', { false_alarm: 1, phone: 0, dispatch: 0, visits: 0, cell: [0, 10, 1] }),
      month('2026-03', { false_alarm: 1, phone: 0, dispatch: 0, visits: 0, cell: [6, 23, 4] }),
    ]);
    expect(cells).toHaveLength(7);
    expect(cells[0]![10]).toBe(3);
    expect(cells[6]![23]).toBe(4);
    expect(cells.flat().reduce((a, b) => a + b, 0)).toBe(7);
  });

  it('names a download by what it holds, the municipalities’ codes in order and the range', () => {
    expect(fileName('statistics', ['580', '550'], '2026-01', '2026-12', 'csv')).toBe(
      'statistics-550-580-2026-01-2026-12.csv',
    );
    expect(fileName('heat-map', ['550'], '2026-01', '2026-01', 'png')).toBe('heat-map-550-2026-01-2026-01.png');
    expect(fileName('statistics', ['5/../x'], '2026-01', '2026-02', 'csv')).toBe('statistics-5_x-2026-01-2026-02.csv');
  });
});
