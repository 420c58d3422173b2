// Reading a citizen's card: personal data (name, address, key safe, care notes), so every read is
// allowed by access.ts and audited in citizen_reads before the data leaves the server.
import {
  citizenHasDispatchIn,
  citizensWithDispatchIn,
  findCitizen,
  findCitizenNames,
  recentAlarmsOf,
  recordCitizenRead,
  recordCitizenReads,
  type CitizenRow,
} from '../../db/citizens.js';
import { can, mayReadCitizenCard, type ConsoleUser } from './access.js';
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
  citizenId: string,
  context: { alarmId: string | null; purpose: ReadPurpose },
): Promise<CitizenCard | null> {
  const citizen = await findCitizen(rt.db, citizenId);
  if (!citizen) return null;
  if (!(await mayReadCitizenCard(user, citizen, (id, scope) => citizenHasDispatchIn(rt.db, id, scope)))) return null;
  await recordCitizenRead(rt.db, {
    username: user.username,
    citizenId: citizen.id,
    alarmId: context.alarmId,
    purpose: context.purpose,
  });
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
 * Names and addresses for a board's rows, audited one read per citizen (purpose `board`). The same
 * rule as the card: operators and supervisors any citizen in scope, planners only citizens with an
 * open dispatch in scope. Citizens the user may not read are left out, as if they did not exist.
 */
export async function readCitizenNames(
  { rt, metrics }: ConsoleContext,
  user: ConsoleUser,
  ids: readonly string[],
): Promise<CitizenName[]> {
  let allowed: readonly string[] = [];
  if (can(user, 'citizens:read')) allowed = ids;
  else if (can(user, 'citizens:read-dispatched'))
    allowed = await citizensWithDispatchIn(rt.db, ids, user.municipalities);
  const rows = await findCitizenNames(rt.db, allowed, user.municipalities);
  await recordCitizenReads(
    rt.db,
    rows.map((c) => ({ username: user.username, citizenId: c.id, alarmId: null, purpose: 'board' })),
  );
  metrics.citizenReads.inc(rows.length);
  return rows.map((c) => ({ id: c.id, municipality: c.municipality_id, name: c.name, address: c.address }));
}
