// Time of day as a response centre sees it. Pure: no I/O, no clock (the instant comes in).

/** The response centres are Danish: time-of-day rules (night sensors) use Copenhagen's local time. */
export const CENTRE_TIME_ZONE = 'Europe/Copenhagen';

const hourFormats = new Map<string, Intl.DateTimeFormat>();

/** The hour of day (0–23) at `at` in `timeZone` (the centre's by default), daylight saving included. */
export function localHour(at: Date | number, timeZone = CENTRE_TIME_ZONE): number {
  let f = hourFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', hourCycle: 'h23', timeZone });
    hourFormats.set(timeZone, f);
  }
  // Some ICU versions print midnight as 24 even with h23.
  return Number(f.format(at)) % 24;
}

/**
 * Night in the primer's sense: calls then are more about toilet, personal care and pain, and sensors
 * matter more (SINTEF report A27757). ASSUMPTION: night is 22:00–07:00; the primer gives no hours.
 */
export const isNightHour = (hour: number): boolean => hour >= 22 || hour < 7;
