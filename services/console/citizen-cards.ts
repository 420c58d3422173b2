// Reading a citizen's card: personal data (name, address, key safe, care notes), so every read is
// allowed by access.ts and audited (audit_events, action card.read) before the data leaves the server.
// A refused read is audited too (reason scope or not_found), while the caller learns nothing more than 404.
import type { AuditActor } from '../../db/audit.js';
import {
  citizenHasDispatchIn,
  citizensWithDispatchIn,
  findCitizen,
  findCitizenNames,
  recentAlarmsOf,
  type CitizenRow,
} from '../../db/citizens.js';
import { can, inScope, mayReadCitizenCard, type ConsoleUser } from './access.js';
import { audit } from './audit-trail.js';
import type { ConsoleContext } from './context.js';
import type { AlarmView } from '../../domain/views.js';
import type { CitizenCard } from './schemas.js';

/** The card's history: this citizen's alarms of the last 30 days, at most 50. */
const HISTORY_DAYS = 30;
const HISTORY_MAX = 50;

/** Why the card was read, as the audit records it. */
export type ReadPurpose = 'alarm_handling' | 'citizen_card' | 'dispatch_planning' | 'board';

const toCard = (c: CitizenRow): CitizenCard => ({
  id: c.id,
  municipality: c.municipality_id,
  name: c.name,
  address: c.address,
  phone: c.phone,
  keySafe: c.key_safe,
  notes: c.notes,
});

/** The card, audited; null when it does not exist or the user may not read it (the caller answers 404). */
export async function readCitizenCard(
  { rt, metrics }: ConsoleContext,
  user: ConsoleUser,
  by: AuditActor,
  citizenId: string,
  context: { alarmId: string | null; purpose: ReadPurpose },
): Promise<CitizenCard | null> {
  const fact = { action: 'card.read', purpose: context.purpose, citizenId, alarmId: context.alarmId } as const;
  const citizen = await findCitizen(rt.db, citizenId);
  if (!citizen) {
    await audit(rt.db, by, { ...fact, outcome: 'refused', reason: 'not_found' });
    return null;
  }
  const municipality = citizen.municipality_id;
  if (!(await mayReadCitizenCard(user, citizen, (id, scope) => citizenHasDispatchIn(rt.db, id, scope)))) {
    await audit(rt.db, by, { ...fact, municipality, outcome: 'refused', reason: 'scope' });
    return null;
  }
  await audit(rt.db, by, { ...fact, municipality, outcome: 'allowed' });
  metrics.citizenReads.inc();
  const card = toCard(citizen);
  if (!can(user, 'alarms:read')) return card;
  const recent = await recentAlarmsOf(rt.db, citizen.id, HISTORY_DAYS, HISTORY_MAX);
  return {
    ...card,
    recentAlarms: recent.map((a) => ({
      id: a.id,
      type: a.type as AlarmView['type'],
      receivedAt: new Date(a.received_at).toISOString(),
      status: a.status as AlarmView['status'],
      triageClass: a.triage_class as AlarmView['outcome'],
      outcome: a.outcome as AlarmView['outcome'],
    })),
  };
}

export type CitizenName = { id: string; municipality: string; name: string; address: string };

/**
 * Names and addresses for a board's rows, audited one read per citizen (action card.read.board). The
 * same rule as the card: operators and supervisors any citizen in scope, planners only citizens with
 * an open dispatch in scope. Citizens the user may not read are left out, as if they did not exist,
 * and audited as refused.
 */
export async function readCitizenNames(
  { rt, metrics }: ConsoleContext,
  user: ConsoleUser,
  by: AuditActor,
  ids: readonly string[],
): Promise<CitizenName[]> {
  const asked = [...new Set(ids)];
  // Every citizen asked for, wherever registered: the ones refused are audited with their municipality.
  const found = await findCitizenNames(rt.db, asked, null);
  const inScopeIds = found.filter((c) => inScope(user, c.municipality_id)).map((c) => c.id);
  let allowed = new Set<string>();
  if (can(user, 'citizens:read')) allowed = new Set(inScopeIds);
  else if (can(user, 'citizens:read-dispatched'))
    allowed = new Set(await citizensWithDispatchIn(rt.db, inScopeIds, user.municipalities));
  const byId = new Map(found.map((c) => [c.id, c]));
  await audit(
    rt.db,
    by,
    ...asked.map((citizenId) => {
      const c = byId.get(citizenId);
      const fact = { action: 'card.read.board', purpose: 'board', citizenId } as const;
      if (!c) return { ...fact, outcome: 'refused', reason: 'not_found' } as const;
      if (!allowed.has(citizenId))
        return { ...fact, municipality: c.municipality_id, outcome: 'refused', reason: 'scope' } as const;
      return { ...fact, municipality: c.municipality_id, outcome: 'allowed' } as const;
    }),
  );
  const rows = found.filter((c) => allowed.has(c.id));
  metrics.citizenReads.inc(rows.length);
  return rows.map((c) => ({ id: c.id, municipality: c.municipality_id, name: c.name, address: c.address }));
}
