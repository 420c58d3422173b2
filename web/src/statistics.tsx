// The statistics page (GET /v1/stats/monthly): pick municipalities of one's own and a range of months, see
// each municipality's months side by side — outcomes, the false-alarm rate against its target, the hour ×
// weekday heat map, answer-time compliance, the key figures and the effect and business case with its
// assumptions — and take them away as CSV, as PNG or on paper (A4). Loaded only when opened (main.tsx), so
// the board never loads the chart code. Every chart has its figures in a table beside it.
import { useSignal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { EMERGENCY_CALL_TYPES } from '../../domain/statistics.js';
import { ApiError, monthlyStatistics, monthlyStatisticsCsv, type MonthlyStatistics, type User } from './api.js';
import { chartPng, drawChart, pagePng, type MakeChart } from './charts.js';
import { lang, t } from './i18n.js';
import { municipalities } from './municipalities.js';
import {
  complianceChart,
  falseAlarmChart,
  heatMapChart,
  outcomeName,
  outcomesChart,
  type MunicipalityStats,
} from './stats-charts.js';
import { defaultRange, fileName, OUTCOMES, rangeProblem, rangeTotals, weekdayHours } from './stats-figures.js';
import { count, dkk, hours, monthLabel, percent, WEEKDAYS, weekdayName } from './stats-format.js';
import { dateTime } from './time.js';

/** The figures shown, with what was asked for them (for the file names and the printed header). */
type Shown = { stats: MonthlyStatistics; from: string; to: string };

function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const codesOf = (s: MonthlyStatistics) => s.municipalities.map((m) => m.code || m.id);
const whoOf = (s: MonthlyStatistics) => s.municipalities.map((m) => `${m.name} (${m.code})`).join(', ');
const rangeText = (from: string, to: string) => `${monthLabel(from)} – ${monthLabel(to)}`;

export function StatisticsPage({ who }: { who: User }) {
  const range = defaultRange();
  const from = useSignal(range.from);
  const to = useSignal(range.to);
  /** null until the user's municipalities are known. */
  const chosen = useSignal<string[] | null>(null);
  const sep = useSignal<'semicolon' | 'comma'>('semicolon');
  const shown = useSignal<Shown | null>(null);
  const loading = useSignal(false);
  const problem = useSignal<string | null>(null);
  const printedAt = useSignal(new Date().toISOString());
  const asked = useRef(0);

  const mine = municipalities.value;
  // Everything of a scope that lists its municipalities; of all (administrators), the first until others are picked.
  if (chosen.value === null && mine.length > 0)
    chosen.value = who.municipalities === '*' ? [mine[0]!.id] : mine.map((m) => m.id);

  async function show(): Promise<void> {
    const ids = chosen.value ?? [];
    if (ids.length === 0) return void (problem.value = t('stats.pickOne'));
    const bad = rangeProblem(from.value, to.value);
    if (bad) return void (problem.value = t(`stats.range.${bad}`));
    const mineNow = ++asked.current;
    loading.value = true;
    problem.value = null;
    try {
      const stats = await monthlyStatistics(ids, from.value, to.value);
      if (mineNow === asked.current) shown.value = { stats, from: stats.from, to: stats.to };
    } catch (err) {
      if (mineNow === asked.current) problem.value = err instanceof ApiError ? err.message : t('notice.failed');
    } finally {
      if (mineNow === asked.current) loading.value = false;
    }
  }

  // The first figures as soon as the municipalities are known.
  const first = chosen.value !== null && shown.value === null && !loading.value && problem.value === null;
  useEffect(() => {
    if (first) void show();
  }, [first]);

  // The printed header says when it was printed.
  useEffect(() => {
    const stamp = () => (printedAt.value = new Date().toISOString());
    const media = matchMedia('print');
    const onMedia = (e: MediaQueryListEvent) => e.matches && stamp();
    addEventListener('beforeprint', stamp);
    media.addEventListener('change', onMedia);
    return () => {
      removeEventListener('beforeprint', stamp);
      media.removeEventListener('change', onMedia);
    };
  }, []);

  const toggle = (id: string, on: boolean) => {
    const now = chosen.value ?? [];
    chosen.value = on ? [...now.filter((x) => x !== id), id] : now.filter((x) => x !== id);
  };

  async function downloadCsv(s: Shown): Promise<void> {
    try {
      const ids = s.stats.municipalities.map((m) => m.id);
      save(
        await monthlyStatisticsCsv(ids, s.from, s.to, sep.value),
        fileName('statistics', codesOf(s.stats), s.from, s.to, 'csv'),
      );
    } catch (err) {
      problem.value = err instanceof ApiError ? err.message : t('notice.failed');
    }
  }

  async function downloadPagePng(s: Shown): Promise<void> {
    const heading = [t('stats.title'), whoOf(s.stats), rangeText(s.from, s.to)];
    save(await pagePng(heading), fileName('statistics', codesOf(s.stats), s.from, s.to, 'png'));
  }

  const s = shown.value;
  return (
    <main class="statistics">
      <h2 class="no-print">{t('stats.title')}</h2>
      <form
        class="stats-controls no-print"
        onSubmit={(e) => {
          e.preventDefault();
          void show();
        }}
      >
        <fieldset class="stats-municipalities">
          <legend>{t('filters.municipalities')}</legend>
          {mine.map((m) => (
            <label key={m.id}>
              <input
                type="checkbox"
                name="municipality"
                value={m.id}
                checked={chosen.value?.includes(m.id) ?? false}
                onChange={(e) => toggle(m.id, e.currentTarget.checked)}
              />{' '}
              {m.name} ({m.code})
            </label>
          ))}
        </fieldset>
        <label>
          {t('stats.from')}
          <input type="month" required value={from.value} onInput={(e) => (from.value = e.currentTarget.value)} />
        </label>
        <label>
          {t('stats.to')}
          <input type="month" required value={to.value} onInput={(e) => (to.value = e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" disabled={loading.value}>
          {t('stats.show')}
        </button>
      </form>
      {problem.value && (
        <p class="notice" role="alert">
          {problem.value}
        </p>
      )}
      {loading.value && (
        <p class="hint" role="status">
          {t('common.loading')}
        </p>
      )}
      {s && (
        <div class="stats-downloads no-print" role="group" aria-label={t('stats.downloads')}>
          <label>
            {t('stats.csvFormat')}{' '}
            <select value={sep.value} onChange={(e) => (sep.value = e.currentTarget.value as 'semicolon' | 'comma')}>
              <option value="semicolon">{t('stats.semicolon')}</option>
              <option value="comma">{t('stats.comma')}</option>
            </select>
          </label>
          <button type="button" onClick={() => void downloadCsv(s)}>
            {t('stats.downloadCsv')}
          </button>
          <button type="button" onClick={() => void downloadPagePng(s)}>
            {t('stats.downloadPagePng')}
          </button>
          <button type="button" onClick={() => print()}>
            {t('stats.print')}
          </button>
        </div>
      )}
      {s && <Results shown={s} printedAt={printedAt.value} />}
    </main>
  );
}

function Results({ shown, printedAt }: { shown: Shown; printedAt: string }) {
  const { stats, from, to } = shown;
  const ms = stats.municipalities;
  const section = (cls: string, title: string, body: (m: MunicipalityStats) => ComponentChildren) => (
    <section class={`stats-section ${cls}`}>
      <h3>{title}</h3>
      <div class={ms.length > 1 ? 'stats-side-by-side' : 'stats-single'}>
        {ms.map((m) => (
          <div key={m.id} class="stats-municipality" data-municipality={m.id}>
            {ms.length > 1 && <h4>{m.name}</h4>}
            {body(m)}
          </div>
        ))}
      </div>
    </section>
  );
  return (
    <div class="stats-results">
      <header class="print-header">
        <h2>
          {t('stats.title')}: {whoOf(stats)}
        </h2>
        <p>
          {t('stats.range.label')}: {rangeText(from, to)}
        </p>
        <p>{t('stats.printedAt', { time: dateTime(printedAt) })}</p>
      </header>
      <p class="hint no-print">
        {whoOf(stats)} · {rangeText(from, to)}
      </p>
      {section('stats-key', t('stats.keyFigures'), (m) => (
        <KeyFigures m={m} />
      ))}
      {section('stats-outcomes', t('stats.outcomes'), (m) => (
        <ChartFigure
          m={m}
          title={t('stats.outcomes')}
          make={outcomesChart(m)}
          file={fileName('outcomes', [m.code], from, to, 'png')}
          table={<OutcomesTable m={m} />}
        />
      ))}
      {section('stats-false-alarms', t('stats.falseAlarmRate'), (m) => (
        <ChartFigure
          m={m}
          title={t('stats.falseAlarmRate')}
          make={falseAlarmChart(m)}
          file={fileName('false-alarm-rate', [m.code], from, to, 'png')}
          table={<FalseAlarmTable m={m} />}
        />
      ))}
      {section('stats-heat-map', t('stats.heatMap'), (m) => (
        <ChartFigure
          m={m}
          title={t('stats.heatMap')}
          make={heatMapChart(m)}
          file={fileName('heat-map', [m.code], from, to, 'png')}
          table={<HeatMapTable m={m} />}
          tall
        />
      ))}
      {section('stats-compliance', t('stats.compliance'), (m) => (
        <ChartFigure
          m={m}
          title={t('stats.compliance')}
          make={complianceChart(m)}
          file={fileName('answer-times', [m.code], from, to, 'png')}
          table={<ComplianceTable m={m} />}
        />
      ))}
      {section('stats-effect', t('stats.effect.title'), (m) => (
        <Effect m={m} />
      ))}
      {ms.some((m) =>
        m.months.some((r) => r.plannedWork && (r.plannedWork.planned_call.total || r.plannedWork.night_check.total)),
      ) && section('stats-planned', t('stats.planned.title'), (m) => <PlannedWorkTable m={m} />)}
    </div>
  );
}

/** A chart, its figures as a table (the chart's text alternative) and its PNG. */
function ChartFigure(props: {
  m: MunicipalityStats;
  title: string;
  make: MakeChart;
  file: string;
  table: ComponentChildren;
  tall?: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { m, title } = props;
  const label = `${title}, ${m.name}`;
  // Drawn again when the figures or the language change.
  useEffect(() => drawChart(canvas.current!, props.make, label), [m, lang.value]);
  const png = async () => save(await chartPng(canvas.current!), props.file);
  return (
    <figure class="stats-chart">
      <div class={props.tall ? 'chart-box tall' : 'chart-box'}>
        <canvas ref={canvas} role="img" aria-label={t('stats.chartLabel', { chart: label })} />
      </div>
      <figcaption>
        <details class="figures">
          <summary>{t('stats.figures', { chart: label })}</summary>
          {props.table}
        </details>
        <button type="button" class="no-print" onClick={() => void png()}>
          {t('stats.downloadPng')}
          <span class="visually-hidden">: {label}</span>
        </button>
      </figcaption>
    </figure>
  );
}

function MonthTable(props: {
  m: MunicipalityStats;
  caption: string;
  cls?: string;
  heads: string[];
  cells: (r: MunicipalityStats['months'][number]) => ComponentChildren[];
  total?: ComponentChildren[];
}) {
  return (
    <table class={`stats-table ${props.cls ?? ''}`}>
      <caption class="visually-hidden">
        {props.caption}, {props.m.name}
      </caption>
      <thead>
        <tr>
          <th scope="col">{t('stats.month')}</th>
          {props.heads.map((h) => (
            <th key={h} scope="col">
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.m.months.map((r) => (
          <tr key={r.month} data-month={r.month}>
            <th scope="row">{monthLabel(r.month)}</th>
            {props.cells(r).map((c, i) => (
              <td key={i}>{c}</td>
            ))}
          </tr>
        ))}
      </tbody>
      {props.total && (
        <tfoot>
          <tr data-month="total">
            <th scope="row">{t('stats.total')}</th>
            {props.total.map((c, i) => (
              <td key={i}>{c}</td>
            ))}
          </tr>
        </tfoot>
      )}
    </table>
  );
}

/** Planned calls and night checks per month: due, on time, late, missed, open, ended in a visit. */
function PlannedWorkTable({ m }: { m: MunicipalityStats }) {
  const kinds = ['planned_call', 'night_check'] as const;
  const fields = ['total', 'onTime', 'late', 'missed', 'open', 'dispatched'] as const;
  const label = {
    total: 'due',
    onTime: 'onTime',
    late: 'late',
    missed: 'missed',
    open: 'open',
    dispatched: 'dispatched',
  } as const;
  const kindLabel = { planned_call: t('stats.planned.call'), night_check: t('stats.planned.check') };
  const sum = (kind: (typeof kinds)[number], f: (typeof fields)[number]) =>
    m.months.reduce((n, r) => n + (r.plannedWork?.[kind][f] ?? 0), 0);
  return (
    <>
      <MonthTable
        m={m}
        cls="stats-planned-table"
        caption={t('stats.planned.title')}
        heads={kinds.flatMap((k) => fields.map((f) => `${kindLabel[k]}: ${t(`stats.planned.${label[f]}`)}`))}
        cells={(r) => kinds.flatMap((k) => fields.map((f) => r.plannedWork?.[k][f] ?? 0))}
        total={kinds.flatMap((k) => fields.map((f) => sum(k, f)))}
      />
      <p class="hint">{t('stats.planned.hint')}</p>
    </>
  );
}

function KeyFigures({ m }: { m: MunicipalityStats }) {
  const sum = rangeTotals(m.months);
  const seconds = (s: number | null) => (s === null ? '–' : t('duration.seconds', { s }));
  return (
    <MonthTable
      m={m}
      caption={t('stats.keyFigures')}
      cls="key-figures"
      heads={[
        t('stats.alarmCount'),
        ...OUTCOMES.map(outcomeName),
        t('stats.falseAlarmRate'),
        t('stats.within60'),
        t('stats.within180'),
        t('stats.withinTarget', { seconds: m.settings.answerTargetSeconds }),
        t('stats.medianAnswer'),
        t('stats.dispatches'),
      ]}
      cells={(r) => [
        count(r.total),
        ...OUTCOMES.map((o) => count(r.outcomes[o])),
        percent(r.falseAlarmRate),
        percent(r.answeredWithin60s),
        percent(r.answeredWithin180s),
        percent(r.answeredWithinTarget),
        seconds(r.medianSecondsToAnswer),
        count(r.dispatches),
      ]}
      total={[
        count(sum.total),
        ...OUTCOMES.map((o) => count(sum.outcomes[o])),
        percent(sum.falseAlarmRate),
        '',
        '',
        '',
        '',
        count(sum.dispatches),
      ]}
    />
  );
}

function OutcomesTable({ m }: { m: MunicipalityStats }) {
  return (
    <MonthTable
      m={m}
      caption={t('stats.outcomes')}
      heads={OUTCOMES.map(outcomeName)}
      cells={(r) => OUTCOMES.map((o) => count(r.outcomes[o]))}
    />
  );
}

function FalseAlarmTable({ m }: { m: MunicipalityStats }) {
  const target = m.settings.falseAlarmTargetRate;
  return (
    <>
      <MonthTable
        m={m}
        caption={t('stats.falseAlarmRate')}
        heads={[t('stats.falseAlarmRate')]}
        cells={(r) => [percent(r.falseAlarmRate)]}
      />
      <p class="hint">
        {target === null ? t('stats.noTarget') : t('stats.falseAlarmTarget', { value: percent(target) })}
      </p>
    </>
  );
}

function ComplianceTable({ m }: { m: MunicipalityStats }) {
  return (
    <>
      <MonthTable
        m={m}
        caption={t('stats.compliance')}
        heads={[
          t('stats.within60'),
          t('stats.within180'),
          t('stats.withinTarget', { seconds: m.settings.answerTargetSeconds }),
        ]}
        cells={(r) => [percent(r.answeredWithin60s), percent(r.answeredWithin180s), percent(r.answeredWithinTarget)]}
      />
      <p class="hint">{t('stats.complianceHint')}</p>
    </>
  );
}

function HeatMapTable({ m }: { m: MunicipalityStats }) {
  const cells = weekdayHours(m.months);
  return (
    <table class="stats-table heat-map">
      <caption class="visually-hidden">
        {t('stats.heatMap')}, {m.name}
      </caption>
      <thead>
        <tr>
          <th scope="col">{t('stats.weekday')}</th>
          {Array.from({ length: 24 }, (_, h) => (
            <th key={h} scope="col">
              {String(h).padStart(2, '0')}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {WEEKDAYS.map((d) => (
          <tr key={d} data-weekday={d}>
            <th scope="row">{weekdayName(d, 'long')}</th>
            {cells[d]!.map((n, h) => (
              <td key={h}>{n}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Effect({ m }: { m: MunicipalityStats }) {
  const sum = rangeTotals(m.months).effect;
  const s = m.settings;
  const types = EMERGENCY_CALL_TYPES.map((ty) => t(`type.${ty}`).toLowerCase()).join(', ');
  return (
    <div class="stats-effect-block">
      <MonthTable
        m={m}
        caption={t('stats.effect.title')}
        cls="effect"
        heads={[
          t('stats.effect.visitsAvoided'),
          t('stats.effect.hours'),
          t('stats.effect.dkk'),
          t('stats.effect.nightChecks'),
          t('stats.effect.hours'),
          t('stats.effect.dkk'),
          t('stats.effect.totalHours'),
          t('stats.effect.totalDkk'),
        ]}
        cells={(r) => [
          count(r.effect.visitsAvoided),
          hours(r.effect.visitStaffHours),
          dkk(r.effect.visitDkk),
          count(r.effect.nightChecksRemote),
          hours(r.effect.nightStaffHours),
          dkk(r.effect.nightDkk),
          hours(r.effect.staffHours),
          dkk(r.effect.dkk),
        ]}
        total={[
          count(sum.visitsAvoided),
          hours(sum.visitStaffHours),
          dkk(sum.visitDkk),
          count(sum.nightChecksRemote),
          hours(sum.nightStaffHours),
          dkk(sum.nightDkk),
          hours(sum.staffHours),
          dkk(sum.dkk),
        ]}
      />
      <div class="assumptions">
        <h5>{t('stats.effect.assumptions')}</h5>
        <ul>
          <li>{t('stats.effect.visitRule', { types })}</li>
          <li>{t('stats.effect.visitCost', { minutes: s.visitMinutes, cost: dkk(s.visitCostDkk) })}</li>
          <li>{t('stats.effect.nightCost', { minutes: s.nightVisitMinutes, cost: dkk(s.nightVisitCostDkk) })}</li>
          <li>{t('stats.effect.ownCost')}</li>
        </ul>
      </div>
    </div>
  );
}
