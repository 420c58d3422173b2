// What operators' decisions teach triage, kept as summary rows (migrations/0014): decayed counts per
// citizen, per municipality and for the centre (`triage_evidence`), and what each decided incident
// contributed (`triage_decisions`). Both are written in the decision's own transaction (db/decisions.ts,
// db/corrections.ts), after its alarms are locked; the worker reads the rows in the statement that
// locks an alarm for triage (db/triage.ts). Never a scan of the alarms.
//
// Idempotent: an incident contributes once (its row in triage_decisions is the proof), and a correction
// replaces its outcome: the old outcome is taken back at the time it was added and the new one added.
// Evidence rows are locked in (scope, key) order, so two decisions never deadlock on them.
import { sql } from 'kysely';
import type { TriageClass } from '../domain/events.js';
import { LEARNED_TYPES, REPEATS_DO_NOT_RAISE, RISK_TYPES, typeKey } from '../domain/triage.js';
import { update, type Evidence } from '../domain/triage-learning.js';
import type { EventType } from '../domain/events.js';
import type { Trx } from './connect.js';
import type { AlarmRow } from './schema.js';

type Scope = 'citizen' | 'municipality' | 'global';
type EvidenceRow = {
  scope: Scope;
  key: string;
  false_alarm: number;
  phone_resolvable: number;
  dispatch: number;
  updated_at: Date;
  last_visit_at: Date | null;
};

/** The global row's key. */
export const GLOBAL_KEY = '';

/** Evidence from a stored row's columns (null when there is no row). */
export function evidenceOf(
  row: { false_alarm: number; phone_resolvable: number; dispatch: number; updated_at: Date | string } | null,
): Evidence | null {
  if (!row) return null;
  return {
    counts: {
      false_alarm: Number(row.false_alarm),
      phone_resolvable: Number(row.phone_resolvable),
      dispatch: Number(row.dispatch),
    },
    updatedAt: new Date(row.updated_at).getTime(),
  };
}

/** An alarm whose decision says something about the citizen: not a cancel, technical or test event. */
const decides = (a: AlarmRow) => !REPEATS_DO_NOT_RAISE.includes(a.type as EventType);
const learns = (a: AlarmRow) => LEARNED_TYPES.has(a.type as EventType);

type Contribution = {
  incidentId: string;
  alarmId: string;
  municipality: string;
  citizen: string | null;
  learned: boolean;
  type: EventType;
  at: Date;
};

/** What an incident's decided alarms contribute: its first press (else first decided alarm), or nothing. */
function contributionOf(alarms: readonly AlarmRow[]): Contribution | null {
  const byReceipt = [...alarms].sort((a, b) => new Date(a.received_at).getTime() - new Date(b.received_at).getTime());
  const lead = byReceipt.find(learns) ?? byReceipt.find(decides);
  if (!lead) return null;
  return {
    incidentId: lead.incident_id,
    alarmId: lead.id,
    municipality: lead.municipality_id,
    citizen: lead.citizen_id,
    learned: learns(lead),
    type: lead.type as EventType,
    at: new Date(lead.received_at),
  };
}

const levels = (c: Contribution): { scope: Scope; key: string }[] => {
  const out: { scope: Scope; key: string }[] = [];
  if (c.citizen !== null) out.push({ scope: 'citizen', key: c.citizen });
  if (c.learned) out.push({ scope: 'global', key: GLOBAL_KEY }, { scope: 'municipality', key: c.municipality });
  else if (RISK_TYPES.has(c.type))
    out.push(
      { scope: 'global', key: typeKey(c.type) },
      { scope: 'municipality', key: typeKey(c.type, c.municipality) },
    );
  return out.sort((a, b) => (a.scope === b.scope ? (a.key < b.key ? -1 : 1) : a.scope < b.scope ? -1 : 1));
};

/** Lock (creating when missing) the evidence rows of `keys`, in (scope, key) order. */
async function lockEvidence(trx: Trx, keys: { scope: Scope; key: string }[], at: Date): Promise<EvidenceRow[]> {
  const r = await sql<EvidenceRow>`
    INSERT INTO triage_evidence (scope, key, updated_at)
    SELECT s, k, ${at}::timestamptz FROM unnest(${keys.map((k) => k.scope)}::text[], ${keys.map((k) => k.key)}::text[]) AS v(s, k)
    ORDER BY s, k
    ON CONFLICT (scope, key) DO UPDATE SET scope = EXCLUDED.scope
    RETURNING *`.execute(trx);
  return r.rows;
}

async function storeEvidence(trx: Trx, rows: EvidenceRow[]): Promise<void> {
  const col = <T>(f: (r: EvidenceRow) => T) => rows.map(f);
  await sql`
    UPDATE triage_evidence e
    SET false_alarm = v.f, phone_resolvable = v.p, dispatch = v.d, updated_at = v.u, last_visit_at = v.l
    FROM unnest(${col((r) => r.scope)}::text[], ${col((r) => r.key)}::text[], ${col((r) => r.false_alarm)}::float8[],
                ${col((r) => r.phone_resolvable)}::float8[], ${col((r) => r.dispatch)}::float8[],
                ${col((r) => r.updated_at)}::timestamptz[], ${col((r) => r.last_visit_at)}::timestamptz[])
         AS v(s, k, f, p, d, u, l)
    WHERE e.scope = v.s AND e.key = v.k`.execute(trx);
}

/** Apply `changes` (an outcome added or taken back at `at`) to the locked rows. */
function applied(
  rows: EvidenceRow[],
  changes: { outcome: TriageClass; weight: number }[],
  at: Date,
  learned: boolean,
  lastVisitAt: (row: EvidenceRow) => Date | null,
): EvidenceRow[] {
  return rows.map((row) => {
    let e = evidenceOf(row)!;
    // A citizen's counts learn from presses alone; the other rows are there to learn (presses or a type's).
    if (learned || row.scope !== 'citizen')
      for (const c of changes) e = update(e, c.outcome, at.getTime(), { weight: c.weight });
    return {
      ...row,
      ...e.counts,
      updated_at: new Date(e.updatedAt),
      last_visit_at: row.scope === 'citizen' ? lastVisitAt(row) : row.last_visit_at,
    };
  });
}

const later = (a: Date | null, b: Date): Date => (a && a.getTime() > b.getTime() ? a : b);

/**
 * Learn from an operator's decision on an incident's alarms (those `resolveAlarm` just resolved), in
 * its transaction. An incident already learned from (a decision delivered again) changes nothing.
 */
export async function learnFromDecision(trx: Trx, resolved: readonly AlarmRow[], outcome: TriageClass): Promise<void> {
  const c = contributionOf(resolved);
  if (!c) return;
  const inserted = await sql<{ incident_id: string }>`
    INSERT INTO triage_decisions (incident_id, alarm_id, municipality_id, citizen_id, learned, outcome, at)
    VALUES (${c.incidentId}, ${c.alarmId}, ${c.municipality}, ${c.citizen}, ${c.learned}, ${outcome}, ${c.at})
    ON CONFLICT (incident_id) DO NOTHING
    RETURNING incident_id`.execute(trx);
  if (inserted.rows.length === 0) return;
  const keys = levels(c);
  if (keys.length === 0) return;
  const rows = await lockEvidence(trx, keys, c.at);
  await storeEvidence(
    trx,
    applied(rows, [{ outcome, weight: 1 }], c.at, c.learned, (row) =>
      outcome === 'dispatch' ? later(row.last_visit_at, c.at) : row.last_visit_at,
    ),
  );
}

/**
 * A supervisor corrected `alarm`'s outcome (the row as it was before): its incident's contribution
 * takes the new outcome, and the evidence moves with it. An incident that never contributed (decided
 * before the evidence was kept) contributes now.
 */
export async function learnFromCorrection(trx: Trx, alarm: AlarmRow, outcome: TriageClass): Promise<void> {
  if (!decides(alarm)) return;
  const prior = await trx
    .selectFrom('triage_decisions')
    .selectAll()
    .where('incident_id', '=', alarm.incident_id)
    .forUpdate()
    .executeTakeFirst();
  if (!prior) return learnFromDecision(trx, [alarm], outcome);
  const old = prior.outcome as TriageClass;
  if (old === outcome) return;
  await trx.updateTable('triage_decisions').set({ outcome }).where('incident_id', '=', prior.incident_id).execute();
  const c: Contribution = {
    incidentId: prior.incident_id,
    alarmId: prior.alarm_id,
    municipality: prior.municipality_id,
    citizen: prior.citizen_id,
    learned: prior.learned,
    type: prior.learned
      ? 'pendant'
      : (((await trx.selectFrom('alarms').select('type').where('id', '=', prior.alarm_id).executeTakeFirst())?.type ??
          alarm.type) as EventType),
    at: new Date(prior.at),
  };
  const keys = levels(c);
  if (keys.length === 0) return;
  // The citizen's latest visit, from their decided incidents (an index lookup), now that this one changed.
  const lastVisit =
    c.citizen === null || (old !== 'dispatch' && outcome !== 'dispatch')
      ? undefined
      : ((
          await trx
            .selectFrom('triage_decisions')
            .select((eb) => eb.fn.max('at').as('at'))
            .where('citizen_id', '=', c.citizen)
            .where('outcome', '=', 'dispatch')
            .executeTakeFirst()
        )?.at ?? null);
  const rows = await lockEvidence(trx, keys, c.at);
  await storeEvidence(
    trx,
    applied(
      rows,
      [
        { outcome: old, weight: -1 },
        { outcome, weight: 1 },
      ],
      c.at,
      c.learned,
      (row) => (lastVisit === undefined ? row.last_visit_at : lastVisit === null ? null : new Date(lastVisit)),
    ),
  );
}
