// The demo's planned work: a few citizens of each municipality get a daily planned call and, with
// consent recorded, night checks, so a newcomer sees due items appear on the board within minutes of
// starting (besides the usual times: a call at 10:00, checks at 23:00, 02:00 and 05:00).
import type { Registry } from '../admin/registry.js';

const hhmm = (at: Date) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Copenhagen',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  })
    .format(at)
    .replace(/^24/, '00');

/**
 * Schedules and consents for the first `perMunicipality` citizens of each municipality (by id). The
 * first citizen's planned call is also due 3 minutes after `now`, the second's night check 5 minutes
 * after; the worker stores occurrences once a minute, so both are on the board in time.
 */
export function demoPlannedWork(
  citizens: readonly { id: string; municipality: string }[],
  now = new Date(),
  perMunicipality = 3,
): Pick<Registry, 'consents' | 'schedules'> {
  const byMunicipality = new Map<string, string[]>();
  for (const c of [...citizens].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const list = byMunicipality.get(c.municipality) ?? [];
    if (list.length < perMunicipality) byMunicipality.set(c.municipality, [...list, c.id]);
  }
  const soon = (minutes: number) => hhmm(new Date(now.getTime() + minutes * 60_000));
  const consents: NonNullable<Registry['consents']> = [];
  const schedules: NonNullable<Registry['schedules']> = [];
  for (const ids of byMunicipality.values()) {
    ids.forEach((citizenId, i) => {
      const call = i === 0 ? [...new Set(['10:00', soon(3)])] : ['10:00'];
      schedules.push({
        id: `demo-call-${citizenId}`,
        citizenId,
        kind: 'planned_call',
        times: call,
        windowMinutes: 30,
        note: 'Demo: daily check-in call',
      });
      if (i === 0) return;
      consents.push({
        citizenId,
        givenBy: i === 1 ? 'citizen' : 'representative',
        ...(i === 1 ? {} : { representativeName: 'Pårørende (demo)' }),
      });
      const night = i === 1 ? [...new Set(['23:00', '02:00', '05:00', soon(5)])] : ['23:00', '02:00', '05:00'];
      schedules.push({
        id: `demo-night-${citizenId}`,
        citizenId,
        kind: 'night_check',
        times: night,
        windowMinutes: 15,
      });
    });
  }
  return { consents, schedules };
}
