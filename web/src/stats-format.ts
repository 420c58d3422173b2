// Figures as the statistics page writes them, in the chosen language: months, shares, counts, hours, kroner.
import { locale } from './i18n.js';

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: (loc: string) => T): T {
  const loc = locale();
  let f = cache.get(`${loc}|${key}`);
  if (!f) cache.set(`${loc}|${key}`, (f = make(loc)));
  return f as T;
}

/** "mar. 2026" / "Mar 2026". Months are calendar months: formatted in UTC so no zone shifts them. */
export const monthLabel = (month: string) =>
  cached('month', (l) => new Intl.DateTimeFormat(l, { month: 'short', year: 'numeric', timeZone: 'UTC' })).format(
    Date.parse(`${month}-01T00:00:00Z`),
  );

/** "40,0 %" / "40.0%"; a dash where there is nothing to share out. */
export const percent = (rate: number | null) =>
  rate === null
    ? '–'
    : cached(
        'percent',
        (l) => new Intl.NumberFormat(l, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }),
      ).format(rate);

export const count = (n: number) => cached('count', (l) => new Intl.NumberFormat(l)).format(n);

export const hours = (n: number) =>
  cached('hours', (l) => new Intl.NumberFormat(l, { maximumFractionDigits: 2 })).format(n);

export const dkk = (n: number) =>
  cached(
    'dkk',
    (l) =>
      new Intl.NumberFormat(l, {
        style: 'currency',
        currency: 'DKK',
        minimumFractionDigits: 0,
        maximumFractionDigits: 0,
      }),
  ).format(n);

/** Monday first, as the statistics' byWeekdayHour. */
export const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6] as const;

/** 5 January 2026 was a Monday. */
export const weekdayName = (d: number, width: 'short' | 'long') =>
  cached(`weekday-${width}`, (l) => new Intl.DateTimeFormat(l, { weekday: width, timeZone: 'UTC' })).format(
    Date.UTC(2026, 0, 5 + d),
  );
