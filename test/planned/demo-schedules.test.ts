// The demo's planned work: a few citizens per municipality, consent for every night check, and items due
// within minutes of starting. Pure: the registry's own schema checks it as the import would.
import { describe, expect, it } from 'vitest';
import { registrySchema } from '../../services/admin/registry.js';
import { demoPlannedWork } from '../../services/demo/planned.js';
import { demoRegistry } from '../../services/simulator/registry.js';
import { occurrencesBetween, type CareKind } from '../../domain/planned.js';

describe('the demo’s planned work', () => {
  const now = new Date('2026-12-01T11:00:00Z');
  const reg = demoRegistry(580);
  const plan = demoPlannedWork(reg.citizens!, now);
  const parsed = registrySchema.parse(plan);

  it('is a valid registry import, with consent on record for every citizen with night checks', () => {
    const consented = new Set(parsed.consents!.map((c) => c.citizenId));
    const night = parsed.schedules!.filter((s) => s.kind === 'night_check');
    expect(night.length).toBeGreaterThanOrEqual(7);
    for (const s of night) expect(consented.has(s.citizenId), s.citizenId).toBe(true);
  });

  it('has a planned call and a night check due within five minutes of the start in every municipality', () => {
    const dueSoon = (kind: CareKind) =>
      parsed.schedules!.filter(
        (s) =>
          s.kind === kind &&
          occurrencesBetween(
            { ...s, windowMinutes: s.windowMinutes ?? 30, activeFrom: '2026-01-01', activeTo: null },
            now,
            new Date(now.getTime() + 5 * 60_000 + 1),
          ).length > 0,
      );
    expect(dueSoon('planned_call')).toHaveLength(7);
    expect(dueSoon('night_check')).toHaveLength(7);
  });
});
