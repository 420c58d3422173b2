// Who may see and do what on the console: the one place that decides. Every route and every
// live-feed message passes through here.
//
// Two questions, always in this order:
//  1. the role: may this kind of user do this at all? If not, 403, whatever the target.
//  2. the scope: is the target in one of the user's municipalities? If not, it is answered exactly
//     as if it did not exist (404), left out of lists and never sent on a live feed.
import type { Role } from '../../domain/roles.js';
import { forbidden, notFound } from '../../platform/errors.js';

export type ConsoleUser = {
  username: string;
  role: Role;
  /** The user's municipalities; null means all ("*"). */
  municipalities: readonly string[] | null;
};

export type Permission =
  /** List and read alarms (the alarm view). */
  | 'alarms:read'
  /** Claim and resolve alarms. */
  | 'alarms:handle'
  /** Read the card of any citizen in scope. */
  | 'citizens:read'
  /** Read the card of a citizen only while an open dispatch for them is in scope (home-care planners). */
  | 'citizens:read-dispatched'
  | 'dispatches:read'
  | 'dispatches:update'
  /** Alarm messages on the live feed. */
  | 'live:alarms'
  /** Dispatch messages on the live feed. */
  | 'live:dispatches'
  /** Monthly statistics and reports of the municipalities in scope. */
  | 'stats:read'
  /** The centre's status: staffing, triage, waiting alarms and escalations, silent gateways (GET /v1/centre). */
  | 'centre:read'
  /** List and end any user's console sessions. */
  | 'sessions:manage'
  /** Create, list and revoke gateways' API keys; disable and enable gateways. */
  | 'gateways:manage'
  /** The shared, anonymised figures of every municipality that takes part (analysts: only when one of theirs does). */
  | 'stats:shared'
  /** Correct an operator's decision after the fact. */
  | 'alarms:correct'
  | 'registry:write'
  /** The health of the municipalities' webhooks (never their secrets). */
  | 'webhooks:read'
  /** Register and remove webhooks. */
  | 'webhooks:write'
  /** Query and export the audit trail, print a citizen's access history (their municipalities' rows). */
  | 'audit:read'
  /** Planned calls' and night checks' schedules, and consent to night supervision, of citizens in scope. */
  | 'schedules:manage';

const OPERATOR: Permission[] = [
  'alarms:read',
  'alarms:handle',
  'citizens:read',
  'dispatches:read',
  'dispatches:update',
  'live:alarms',
  'live:dispatches',
  'centre:read',
  'webhooks:read',
];

const PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  operator: new Set(OPERATOR),
  supervisor: new Set<Permission>([...OPERATOR, 'stats:read', 'alarms:correct', 'schedules:manage']),
  planner: new Set<Permission>([
    'dispatches:read',
    'dispatches:update',
    'live:dispatches',
    'citizens:read-dispatched',
    'webhooks:read',
  ]),
  analyst: new Set<Permission>(['stats:read', 'stats:shared']),
  admin: new Set<Permission>([
    ...OPERATOR,
    'stats:read',
    'stats:shared',
    'alarms:correct',
    'registry:write',
    'webhooks:write',
    'sessions:manage',
    'audit:read',
    'schedules:manage',
    'gateways:manage',
  ]),
};

export const can = (user: ConsoleUser, permission: Permission): boolean => PERMISSIONS[user.role].has(permission);

/** 403 unless the role allows it. Checked before anything is looked up, so a 403 says nothing about existence. */
export function requirePermission(user: ConsoleUser, ...anyOf: Permission[]): void {
  if (!anyOf.some((p) => can(user, p))) throw forbidden(`the ${user.role} role may not do this`);
}

export const inScope = (user: ConsoleUser, municipality: string): boolean =>
  user.municipalities === null || user.municipalities.includes(municipality);

/**
 * The target, if the user may see it; otherwise 404 as for a target that does not exist, so a
 * user cannot learn what happens in another municipality by probing ids.
 */
export function visibleOrNotFound<T extends { municipality_id: string }>(
  user: ConsoleUser,
  row: T | undefined,
  what: string,
): T {
  if (!row || !inScope(user, row.municipality_id)) throw notFound(`no such ${what}`);
  return row;
}

/**
 * The municipalities a list may draw from: null for all, otherwise the ids (possibly none).
 * A `?municipality=` filter outside the scope yields nothing, as for a municipality without data.
 */
export function listScope(user: ConsoleUser, requested?: string): readonly string[] | null {
  if (requested === undefined) return user.municipalities;
  return inScope(user, requested) ? [requested] : [];
}

/** The user object of the contract: municipality ids, or "*" for all. */
export const scopeOnWire = (user: ConsoleUser): '*' | string[] =>
  user.municipalities === null ? '*' : [...user.municipalities];

/** Stored scopes use the single element '*' for all. */
export const scopeFromStore = (stored: readonly string[]): readonly string[] | null =>
  stored.includes('*') ? null : stored;

/**
 * Whether the user may read a citizen's card (name, address, key safe, care notes). Operators and
 * supervisors: any citizen in scope. Planners: only a citizen with a dispatch in their scope, since a
 * visit needs the address and key safe. `hasDispatchIn` is asked only for planners.
 */
export async function mayReadCitizenCard(
  user: ConsoleUser,
  citizen: { id: string; municipality_id: string },
  hasDispatchIn: (citizenId: string, scope: readonly string[] | null) => Promise<boolean>,
): Promise<boolean> {
  if (can(user, 'citizens:read')) return inScope(user, citizen.municipality_id);
  if (can(user, 'citizens:read-dispatched')) return hasDispatchIn(citizen.id, user.municipalities);
  return false;
}

// ---- The live feed ----

export type FeedKind = 'alarm' | 'dispatch';

/** What a user's live feed may carry; the same filter serves the catch-up SQL and the live fan-out. */
export type FeedAccess = {
  kinds: readonly FeedKind[];
  /** null: every municipality. */
  municipalities: ReadonlySet<string> | null;
};

export function feedAccess(user: ConsoleUser): FeedAccess {
  const kinds: FeedKind[] = [];
  if (can(user, 'live:alarms')) kinds.push('alarm');
  if (can(user, 'live:dispatches')) kinds.push('dispatch');
  return { kinds, municipalities: user.municipalities === null ? null : new Set(user.municipalities) };
}

export const feedAllows = (access: FeedAccess, kind: FeedKind, municipality: string): boolean =>
  access.kinds.includes(kind) && (access.municipalities === null || access.municipalities.has(municipality));

/** A key that changes whenever what the user may see changes (role or scope edited by an admin). */
export const accessKey = (user: ConsoleUser): string =>
  `${user.role}|${user.municipalities === null ? '*' : [...user.municipalities].sort().join(',')}`;

// ---- Statistics ----

/**
 * The shared, anonymised statistics (GET /v1/stats/shared): for admins, and for users whose scope holds
 * a municipality that takes part. A municipality that opted out neither shares its figures nor sees the
 * others': its analysts are refused (403) unless another municipality of theirs takes part.
 */
export function mayReadSharedStatistics(user: ConsoleUser, participating: readonly string[]): boolean {
  if (!can(user, 'stats:shared')) return false;
  if (user.role === 'admin') return true;
  return participating.some((m) => inScope(user, m));
}
