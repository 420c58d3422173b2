// Names and addresses for the rows of a board (GET /v1/citizens?ids=): asked for in batches as new
// citizens appear, kept for the session (each citizen returned is an audited read, so once is enough),
// forgotten at logout.
import { signal } from '@preact/signals';
import { citizenNames, type CitizenName } from './api.js';

/** At most this many ids per request (the endpoint's limit). */
const BATCH = 200;
/** Ids arriving together (a snapshot, a burst) go in one request. */
const DEBOUNCE_MS = 50;
const RETRY_MS = 5000;

/** Known citizens; null for one the user may not read (or that no longer exists). */
export const citizens = signal<ReadonlyMap<string, CitizenName | null>>(new Map());

const wanted = new Set<string>();
const asked = new Set<string>();
let timer: ReturnType<typeof setTimeout> | undefined;
let session = 0;

/** Make sure these citizens' names are (being) fetched. */
export function wantCitizens(ids: Iterable<string | null>): void {
  const known = citizens.peek();
  for (const id of ids) if (id !== null && !known.has(id) && !asked.has(id)) wanted.add(id);
  if (wanted.size > 0) timer ??= setTimeout(fetchWanted, DEBOUNCE_MS);
}

async function fetchWanted(): Promise<void> {
  timer = undefined;
  const mine = session;
  const ids = [...wanted];
  wanted.clear();
  for (const id of ids) asked.add(id);
  for (let i = 0; i < ids.length; i += BATCH) {
    const chunk = ids.slice(i, i + BATCH);
    try {
      const found = await citizenNames(chunk);
      if (mine !== session) return;
      const next = new Map(citizens.peek());
      const byId = new Map(found.map((c) => [c.id, c]));
      for (const id of chunk) next.set(id, byId.get(id) ?? null);
      citizens.value = next;
    } catch {
      if (mine !== session) return;
      // Asked again a little later: the row shows the device meanwhile.
      for (const id of chunk) asked.delete(id);
      setTimeout(() => mine === session && wantCitizens(chunk), RETRY_MS);
    }
  }
}

export function forgetCitizens(): void {
  session++;
  clearTimeout(timer);
  timer = undefined;
  wanted.clear();
  asked.clear();
  citizens.value = new Map();
}
