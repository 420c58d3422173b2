// Times as the centre reads them: clock times in Europe/Copenhagen whatever the browser's zone, and
// waits in seconds and minutes. `now` ticks once a second for the countdowns.
import { signal } from '@preact/signals';
import { locale, t } from './i18n.js';

/** The response centres are Danish (domain/time.ts CENTRE_TIME_ZONE). */
const ZONE = 'Europe/Copenhagen';

export const now = signal(Date.now());
setInterval(() => (now.value = Date.now()), 1000);

const formats = new Map<string, Intl.DateTimeFormat>();
function format(kind: 'time' | 'dateTime' | 'date', iso: string): string {
  const loc = locale();
  const key = `${loc}|${kind}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(loc, {
      timeZone: ZONE,
      hourCycle: 'h23',
      ...(kind !== 'date' && { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
      ...(kind !== 'time' && { day: 'numeric', month: 'short' }),
    });
    formats.set(key, f);
  }
  return f.format(Date.parse(iso));
}

/** 21:03:11, in Copenhagen. */
export const clockTime = (iso: string) => format('time', iso);
/** 22. nov. 21:03:11, in Copenhagen. */
export const dateTime = (iso: string) => format('dateTime', iso);

/** Whole seconds from `iso` to now (never negative: a device clock may run ahead). */
export const secondsSince = (iso: string, at = now.value) => Math.max(0, Math.floor((at - Date.parse(iso)) / 1000));

/** A wait: "42 s", "3 min 05 s", "2 t 14 min". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return t('duration.seconds', { s });
  if (s < 3600) return t('duration.minutes', { m: Math.floor(s / 60), s: String(s % 60).padStart(2, '0') });
  return t('duration.hours', { h: Math.floor(s / 3600), m: String(Math.floor(s / 60) % 60).padStart(2, '0') });
}
