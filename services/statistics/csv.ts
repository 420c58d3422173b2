// Statistics as CSV: UTF-8, a header row, one row per municipality and month (RFC 4180 quoting).
// Two dialects: `comma` (the default: `,` between fields, `.` in decimals) for programs, and `semicolon`
// for Danish spreadsheets (`;` between fields, `,` in decimals, and a byte-order mark so that Excel reads
// UTF-8 and shows "Tønder", not "TÃ¸nder").
import { COUNTED_TYPES, TECHNICAL_KINDS, TRIAGE_ROWS, type StatisticsSettings } from '../../domain/statistics.js';
import { TRIAGE_CLASSES } from '../../domain/events.js';
import type { MonthRow } from '../../domain/statistics-views.js';
import { CARE_KINDS } from '../../domain/planned.js';

export type CsvDialect = 'comma' | 'semicolon';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

type Cell = string | number | null;

/** A row's subject: the municipality, its settings then, and the month's figures. */
export type CsvSubject = {
  id: string;
  name: string;
  settings: StatisticsSettings;
  row: MonthRow;
  /** For a frozen report's row. */
  report?: { frozenAt: string; correctionsSinceFrozen: number; changed: boolean };
};

type Column = [header: string, value: (s: CsvSubject) => Cell];

const pad2 = (h: number) => String(h).padStart(2, '0');

/** The columns, named by the JSON field they hold (`outcomes.dispatch`, `byType.pendant`, `byHour.08`). */
export const MONTH_COLUMNS: readonly Column[] = [
  ['municipality', (s) => s.id],
  ['name', (s) => s.name],
  ['month', (s) => s.row.month],
  ['total', (s) => s.row.total],
  ['emergencyCalls', (s) => s.row.emergencyCalls],
  ...(['false_alarm', 'phone_resolvable', 'dispatch', 'unresolved'] as const).map((o): Column => [
    `outcomes.${o}`,
    (s) => s.row.outcomes[o],
  ]),
  ['falseAlarmRate', (s) => s.row.falseAlarmRate],
  ['phoneResolvableRate', (s) => s.row.phoneResolvableRate],
  ['dispatchRate', (s) => s.row.dispatchRate],
  ['falseAlarmTargetRate', (s) => s.settings.falseAlarmTargetRate],
  ['answered', (s) => s.row.answered],
  ['answeredWithin60s', (s) => s.row.answeredWithin60s],
  ['answeredWithin180s', (s) => s.row.answeredWithin180s],
  ['answeredWithinTarget', (s) => s.row.answeredWithinTarget],
  ['answerTargetSeconds', (s) => s.settings.answerTargetSeconds],
  ['medianSecondsToAnswer', (s) => s.row.medianSecondsToAnswer],
  ['p90SecondsToAnswer', (s) => s.row.p90SecondsToAnswer],
  ['dispatches', (s) => s.row.dispatches],
  ['arrivals', (s) => s.row.arrivals],
  ['medianMinutesToArrival', (s) => s.row.medianMinutesToArrival],
  ['triageAgreement', (s) => s.row.triageAgreement],
  ...TRIAGE_ROWS.flatMap((t) =>
    TRIAGE_CLASSES.map((o): Column => [`confusion.${t}.${o}`, (s) => s.row.confusion[t][o]]),
  ),
  ['repeatCallers', (s) => s.row.repeatCallers],
  ['corrections', (s) => s.row.corrections],
  ...COUNTED_TYPES.map((t): Column => [`byType.${t}`, (s) => s.row.byType[t] ?? 0]),
  ...TECHNICAL_KINDS.map((t): Column => [`technical.${t}`, (s) => s.row.technical[t] ?? 0]),
  ['tests', (s) => s.row.tests],
  ['cancels', (s) => s.row.cancels],
  ...Array.from({ length: 24 }, (_, h): Column => [`byHour.${pad2(h)}`, (s) => s.row.byHour[h] ?? 0]),
  ['effect.visitsAvoided', (s) => s.row.effect.visitsAvoided],
  ['effect.visitStaffHours', (s) => s.row.effect.visitStaffHours],
  ['effect.visitDkk', (s) => s.row.effect.visitDkk],
  ['effect.nightChecksRemote', (s) => s.row.effect.nightChecksRemote],
  ['effect.nightStaffHours', (s) => s.row.effect.nightStaffHours],
  ['effect.nightDkk', (s) => s.row.effect.nightDkk],
  ['effect.staffHours', (s) => s.row.effect.staffHours],
  ['effect.dkk', (s) => s.row.effect.dkk],
  ['assumptions.visitMinutes', (s) => s.settings.visitMinutes],
  ['assumptions.visitCostDkk', (s) => s.settings.visitCostDkk],
  ['assumptions.nightVisitMinutes', (s) => s.settings.nightVisitMinutes],
  ['assumptions.nightVisitCostDkk', (s) => s.settings.nightVisitCostDkk],
  // Planned calls and night checks (additive; blank in a report frozen before reports kept them).
  ...CARE_KINDS.flatMap((kind) =>
    (['total', 'onTime', 'late', 'missed', 'open', 'dispatched'] as const).map((f): Column => [
      `plannedWork.${kind}.${f}`,
      (s) => s.row.plannedWork?.[kind][f] ?? null,
    ]),
  ),
];

/** Text a spreadsheet would run as a formula (=, +, -, @, tab, CR) is prefixed with an apostrophe. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One field: numbers as they are (a decimal comma in the semicolon dialect), text quoted when it must be. */
export function csvField(value: Cell, dialect: CsvDialect): string {
  if (value === null) return '';
  if (typeof value === 'number') return dialect === 'semicolon' ? String(value).replace('.', ',') : String(value);
  const sep = dialect === 'semicolon' ? ';' : ',';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return text.includes(sep) || /["\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The whole file: header row, then one line per row; CRLF line ends (RFC 4180). */
export function toCsv(columns: readonly Column[], subjects: readonly CsvSubject[], dialect: CsvDialect): string {
  const sep = dialect === 'semicolon' ? ';' : ',';
  const line = (cells: Cell[]) => cells.map((c) => csvField(c, dialect)).join(sep);
  const lines = [line(columns.map(([h]) => h)), ...subjects.map((s) => line(columns.map(([, v]) => v(s))))];
  return (dialect === 'semicolon' ? '\uFEFF' : '') + lines.join('\r\n') + '\r\n';
}

export type CsvColumn = Column;
