// Reading a citizen's card: personal data (name, address, key safe, care notes), so every read is
// allowed by access.ts and audited in citizen_reads before the data leaves the server.
import { citizenHasDispatchIn, findCitizen, recordCitizenRead, type CitizenRow } from '../../db/citizens.js';
import { mayReadCitizenCard, type ConsoleUser } from './access.js';
import type { ConsoleContext } from './context.js';
import type { CitizenCard } from './schemas.js';

/** Why the card was read, as the audit records it. */
export type ReadPurpose = 'alarm_handling' | 'citizen_card' | 'dispatch_planning';

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
  return toCard(citizen);
}
