// The statistics page's four charts of one municipality, each a function of the theme (charts.ts):
// outcomes per month as stacked bars, the false-alarm rate against the municipality's target, the
// hour × weekday heat map, and the answer-time compliance against the TSA targets and the municipality's own.
import type { ChartConfiguration, ChartType, ScriptableContext } from 'chart.js';
import type { MonthlyStatistics } from './api.js';
import { PALETTE, type MakeChart, type Theme } from './charts.js';
import { t } from './i18n.js';
import { monthLabel, percent, WEEKDAYS, weekdayName } from './stats-format.js';
import { OUTCOMES, TSA_ANSWER_TARGETS, weekdayHours, type OutcomeKey } from './stats-figures.js';

export type MunicipalityStats = MonthlyStatistics['municipalities'][number];

export const OUTCOME_COLOURS: Record<OutcomeKey, string> = {
  false_alarm: PALETTE.orange,
  phone_resolvable: PALETTE.sky,
  dispatch: PALETTE.purple,
  unresolved: PALETTE.grey,
};

export const outcomeName = (o: OutcomeKey) => (o === 'unresolved' ? t('stats.unresolved') : t(`class.${o}`));

const asPercent = (rate: number | null) => (rate === null ? null : Math.round(rate * 1000) / 10);
const percentTicks = { callback: (v: number | string) => `${v} %` };

/** The months' outcomes, stacked: false alarm, settled by phone, visit, not yet decided. */
export const outcomesChart =
  (m: MunicipalityStats): MakeChart =>
  (theme: Theme) =>
    ({
      type: 'bar',
      data: {
        labels: m.months.map((r) => monthLabel(r.month)),
        datasets: OUTCOMES.map((o) => ({
          label: outcomeName(o),
          data: m.months.map((r) => r.outcomes[o]),
          backgroundColor: OUTCOME_COLOURS[o],
          // A seam between the stacked parts, so that neighbours never merge.
          borderColor: theme.background ?? '#181c22',
          borderWidth: 1,
          maxBarThickness: 64,
          stack: 'outcomes',
        })),
      },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      },
    }) as ChartConfiguration<ChartType>;

/** The false-alarm rate per month, with the municipality's target as a dashed line when it has set one. */
export const falseAlarmChart =
  (m: MunicipalityStats): MakeChart =>
  (theme: Theme) => {
    const target = m.settings.falseAlarmTargetRate;
    return {
      type: 'line',
      data: {
        labels: m.months.map((r) => monthLabel(r.month)),
        datasets: [
          {
            label: t('stats.falseAlarmRate'),
            data: m.months.map((r) => asPercent(r.falseAlarmRate)),
            borderColor: PALETTE.orange,
            backgroundColor: PALETTE.orange,
            pointStyle: 'circle',
            pointRadius: 4,
          },
          ...(target === null
            ? []
            : [
                {
                  label: t('stats.falseAlarmTarget', { value: percent(target) }),
                  data: m.months.map(() => asPercent(target)),
                  borderColor: theme.reference,
                  backgroundColor: theme.reference,
                  borderDash: [6, 4],
                  pointRadius: 0,
                  pointStyle: 'line',
                },
              ]),
        ],
      },
      options: { scales: { y: { beginAtZero: true, suggestedMax: 50, ticks: percentTicks } } },
    } as ChartConfiguration<ChartType>;
  };

const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));

/** Alarms by hour of the day and weekday over the whole range: darker (on paper) or brighter (on screen) is more. */
export const heatMapChart =
  (m: MunicipalityStats): MakeChart =>
  (theme: Theme) => {
    const cells = weekdayHours(m.months);
    const max = Math.max(1, ...cells.flat());
    const rgb = theme.name === 'paper' ? '0, 114, 178' : '86, 180, 233';
    const days = WEEKDAYS.map((d) => weekdayName(d, 'short'));
    return {
      type: 'matrix',
      data: {
        datasets: [
          {
            label: t('stats.heatMap'),
            data: cells.flatMap((day, d) => day.map((v, h) => ({ x: HOURS[h]!, y: days[d]!, v }))),
            backgroundColor: (c: ScriptableContext<'matrix'>) => {
              const v = (c.raw as { v: number } | undefined)?.v ?? 0;
              return `rgba(${rgb}, ${v === 0 ? 0.04 : 0.15 + 0.85 * (v / max)})`;
            },
            borderColor: theme.grid,
            borderWidth: 1,
            width: ({ chart }: ScriptableContext<'matrix'>) => (chart.chartArea?.width ?? 0) / 24 - 1,
            height: ({ chart }: ScriptableContext<'matrix'>) => (chart.chartArea?.height ?? 0) / 7 - 1,
          },
        ],
      },
      options: {
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items: { raw: unknown }[]) => {
                const raw = items[0]?.raw as { x: string; y: string } | undefined;
                return raw ? `${raw.y} ${raw.x}:00` : '';
              },
              label: (item: { raw: unknown }) => t('stats.alarms', { count: (item.raw as { v: number }).v }),
            },
          },
        },
        scales: {
          x: { type: 'category', labels: HOURS, offset: true, grid: { display: false } },
          // Monday at the top, as in a calendar: a category axis already runs downwards, so the matrix
          // chart's default (reverse, for a linear axis) is turned off.
          y: { type: 'category', labels: days, offset: true, reverse: false, grid: { display: false } },
        },
      },
    } as unknown as ChartConfiguration<ChartType>;
  };

/** Shares answered within 60 s, 180 s and the municipality's own target, against the TSA's 97.5 % and 99 %. */
export const complianceChart =
  (m: MunicipalityStats): MakeChart =>
  () => {
    const labels = m.months.map((r) => monthLabel(r.month));
    const flat = (v: number) => labels.map(() => v * 100);
    return {
      type: 'line',
      data: {
        labels,
        datasets: [
          {
            label: t('stats.within60'),
            data: m.months.map((r) => asPercent(r.answeredWithin60s)),
            borderColor: PALETTE.sky,
            backgroundColor: PALETTE.sky,
            pointStyle: 'circle',
            pointRadius: 4,
          },
          {
            label: t('stats.within180'),
            data: m.months.map((r) => asPercent(r.answeredWithin180s)),
            borderColor: PALETTE.green,
            backgroundColor: PALETTE.green,
            pointStyle: 'triangle',
            pointRadius: 5,
          },
          {
            label: t('stats.withinTarget', { seconds: m.settings.answerTargetSeconds }),
            data: m.months.map((r) => asPercent(r.answeredWithinTarget)),
            borderColor: PALETTE.orange,
            backgroundColor: PALETTE.orange,
            pointStyle: 'rect',
            pointRadius: 4,
          },
          {
            label: t('stats.tsa60', { value: percent(TSA_ANSWER_TARGETS.within60s) }),
            data: flat(TSA_ANSWER_TARGETS.within60s),
            borderColor: PALETTE.sky,
            backgroundColor: PALETTE.sky,
            borderDash: [6, 4],
            pointRadius: 0,
            pointStyle: 'line',
          },
          {
            label: t('stats.tsa180', { value: percent(TSA_ANSWER_TARGETS.within180s) }),
            data: flat(TSA_ANSWER_TARGETS.within180s),
            borderColor: PALETTE.green,
            backgroundColor: PALETTE.green,
            borderDash: [2, 3],
            pointRadius: 0,
            pointStyle: 'line',
          },
        ],
      },
      options: { scales: { y: { suggestedMin: 80, max: 100, ticks: percentTicks } } },
    } as ChartConfiguration<ChartType>;
  };
