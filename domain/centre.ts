// The centre at a glance: who is on duty for which municipalities, and whether triage keeps up.
// Pure: no I/O, no clock (the figures come in).
import type { Role } from './roles.js';

/**
 * Fewer operators or supervisors online than this for a municipality is a staffing warning. Norway's
 * health directorate: staffing a response service with only one person on duty is not responsible.
 */
export const MIN_STAFF_ONLINE = 2;

/** The roles that answer alarms, and so count as staff on duty. */
export const STAFF_ROLES = ['operator', 'supervisor'] as const satisfies readonly Role[];
export type StaffRole = (typeof STAFF_ROLES)[number];
const isStaff = (role: Role): role is StaffRole => (STAFF_ROLES as readonly Role[]).includes(role);

/**
 * Triage is behind when its oldest untriaged alarm has waited longer than this. Triage takes
 * milliseconds and the reconciler takes over after a few seconds (RECONCILE_AFTER_SECONDS, 3 by
 * default), so an alarm untriaged this long means both are failing.
 */
export const UNTRIAGED_BEHIND_SECONDS = 10;

/** The answer statistics' window: an alarm claimed within this long of its receipt was answered in time (contract). */
export const ANSWERED_WITHIN_SECONDS = 60;

/** A user with a live feed open somewhere, with the scope stored for them (null: all municipalities). */
export type OnlineStaff = { username: string; role: Role; municipalities: readonly string[] | null };

export type Staffing = {
  /** The staff whose scope meets the viewer's, each with the municipalities of the viewer's scope they cover. */
  operatorsOnline: { username: string; role: StaffRole; municipalities: '*' | string[] }[];
  /** Staff online covering each municipality of the viewer's scope. */
  perMunicipality: Map<string, number>;
  /** Some municipality of the viewer's scope is covered by fewer than MIN_STAFF_ONLINE. */
  warning: boolean;
};

/**
 * Staffing as a viewer sees it. `scope` is the viewer's municipalities (null: all) and `municipalities`
 * the registered ones in it. A colleague is shown with the part of their scope that lies in the
 * viewer's, so nobody learns of municipalities outside their own; `"*"` only when both cover all.
 */
export function staffingFor(
  scope: readonly string[] | null,
  municipalities: readonly string[],
  online: readonly OnlineStaff[],
): Staffing {
  const perMunicipality = new Map(municipalities.map((m) => [m, 0]));
  const operatorsOnline: Staffing['operatorsOnline'] = [];
  for (const s of [...online].sort((a, b) => a.username.localeCompare(b.username))) {
    if (!isStaff(s.role)) continue;
    const covered =
      s.municipalities === null ? scope : (scope?.filter((m) => s.municipalities!.includes(m)) ?? s.municipalities);
    if (covered !== null && covered.length === 0) continue;
    operatorsOnline.push({ username: s.username, role: s.role, municipalities: covered === null ? '*' : [...covered] });
    for (const m of municipalities)
      if (covered === null || covered.includes(m)) perMunicipality.set(m, perMunicipality.get(m)! + 1);
  }
  const warning = [...perMunicipality.values()].some((n) => n < MIN_STAFF_ONLINE);
  return { operatorsOnline, perMunicipality, warning };
}

/** Triage is behind: no worker process has been seen lately, or an alarm has waited too long for triage. */
export const triageBehind = (workersOnline: number, oldestUntriagedSeconds: number | null): boolean =>
  workersOnline === 0 || (oldestUntriagedSeconds ?? 0) > UNTRIAGED_BEHIND_SECONDS;

/** answered / decided, or null when nothing was decided in the window. */
export const share = (answered: number, decided: number): number | null => (decided === 0 ? null : answered / decided);
