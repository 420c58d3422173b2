// Alarms with a past: rows written straight into the test's database with every timestamp given, so a
// statistics test can place alarms in any month (and around daylight-saving changes) and know each
// figure by hand. The statistics read the rows the same way whoever wrote them.
import { randomUUID } from 'node:crypto';
import { laneFor, type EventType, type TriageClass } from '../../domain/events.js';
import type { Db } from '../../db/connect.js';

export type PastAlarm = {
  municipality: string;
  type: EventType;
  /** UTC, RFC 3339. */
  receivedAt: string;
  citizen?: string | null;
  triage?: TriageClass | null;
  /** Seconds after receipt; absent: never claimed. */
  claimedAfter?: number;
  /** Absent: unresolved. */
  outcome?: TriageClass;
  /** Shared by alarms of one incident; default a new one. */
  incident?: string;
  dispatch?: { requestedAfter: number; arrivedAfter?: number; status?: string };
};

const plus = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000);

/** Insert the alarms (and their dispatches); returns their ids in order. */
export async function insertPastAlarms(db: Db, alarms: readonly PastAlarm[]): Promise<string[]> {
  const ids = alarms.map(() => randomUUID());
  if (alarms.length === 0) return ids;
  await db
    .insertInto('alarms')
    .values(
      alarms.map((a, i) => ({
        id: ids[i]!,
        gateway_id: `gw-${a.municipality}`,
        event_id: `past-${ids[i]}`,
        municipality_id: a.municipality,
        device_id: `dev-past-${i}`,
        citizen_id: a.citizen ?? null,
        unknown_device: false,
        type: a.type,
        lane: laneFor(a.type),
        occurred_at: a.receivedAt,
        received_at: a.receivedAt,
        incident_id: a.incident ?? randomUUID(),
        status: a.outcome ? 'resolved' : a.claimedAfter !== undefined ? 'claimed' : a.triage ? 'triaged' : 'received',
        triage_class: a.triage ?? null,
        triage_priority: a.triage ? 3 : null,
        triage_confidence: a.triage ? 0.8 : null,
        triage_reasons: a.triage ? ['test'] : null,
        triaged_at: a.triage ? new Date(a.receivedAt) : null,
        claimed_by: a.claimedAfter !== undefined ? 'op-both' : null,
        claimed_at: a.claimedAfter !== undefined ? plus(a.receivedAt, a.claimedAfter) : null,
        outcome: a.outcome ?? null,
        resolved_by: a.outcome ? 'op-both' : null,
        resolved_at: a.outcome ? plus(a.receivedAt, (a.claimedAfter ?? 0) + 30) : null,
      })),
    )
    .execute();
  const dispatches = alarms.flatMap((a, i) =>
    a.dispatch
      ? [
          {
            id: randomUUID(),
            alarm_id: ids[i]!,
            municipality_id: a.municipality,
            citizen_id: a.citizen ?? null,
            status: a.dispatch.status ?? (a.dispatch.arrivedAfter !== undefined ? 'completed' : 'requested'),
            requested_by: 'op-both',
            requested_at: plus(a.receivedAt, a.dispatch.requestedAfter),
            updated_at: plus(a.receivedAt, a.dispatch.arrivedAfter ?? a.dispatch.requestedAfter),
            arrived_at: a.dispatch.arrivedAfter !== undefined ? plus(a.receivedAt, a.dispatch.arrivedAfter) : null,
          },
        ]
      : [],
  );
  if (dispatches.length) await db.insertInto('dispatches').values(dispatches).execute();
  return ids;
}

/** An occurrence of a planned call or night check with a past, every timestamp given (migrations/0015). */
export type PastOccurrence = {
  municipality: string;
  citizen: string;
  kind: 'planned_call' | 'night_check';
  /** UTC, RFC 3339. */
  dueAt: string;
  windowMinutes?: number;
  status: 'pending' | 'raised' | 'done' | 'missed' | 'cancelled';
  /** Seconds after the due time the centre first acted (claim or check-in); absent: never. */
  answeredAfter?: number;
  dispatched?: boolean;
};

/**
 * Insert occurrences, each under a schedule of its own (a night check's citizen is given consent first,
 * as the database demands); returns their ids in order. The statistics read them however they came.
 */
export async function insertPastOccurrences(db: Db, occurrences: readonly PastOccurrence[]): Promise<string[]> {
  const ids = occurrences.map(() => randomUUID());
  for (const c of new Set(occurrences.filter((o) => o.kind === 'night_check').map((o) => o.citizen)))
    await db
      .insertInto('care_consents')
      .values({
        id: randomUUID(),
        citizen_id: c,
        given_by: 'citizen',
        given_at: new Date('2020-01-01T00:00:00Z'),
        recorded_by: 'test',
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  for (const [i, o] of occurrences.entries()) {
    const window = o.windowMinutes ?? 30;
    await db
      .insertInto('care_schedules')
      .values({
        id: `past-${ids[i]}`,
        citizen_id: o.citizen,
        kind: o.kind,
        times: ['10:00'],
        days: [1, 2, 3, 4, 5, 6, 7],
        window_minutes: window,
        // Ended long ago: a worker running beside the test makes nothing more of it.
        active_from: '2020-01-01',
        active_to: '2020-01-01',
        created_by: 'test',
      })
      .execute();
    await db
      .insertInto('care_occurrences')
      .values({
        id: ids[i]!,
        schedule_id: `past-${ids[i]}`,
        municipality_id: o.municipality,
        citizen_id: o.citizen,
        kind: o.kind,
        due_at: new Date(o.dueAt),
        window_ends_at: plus(o.dueAt, window * 60),
        status: o.status,
        next_attempt_at: o.status === 'pending' ? new Date(o.dueAt) : null,
        attempts: o.status === 'pending' ? 0 : 1,
        answered_at: o.answeredAfter !== undefined ? plus(o.dueAt, o.answeredAfter) : null,
        settled_by: o.status === 'done' || o.status === 'missed' ? 'operator' : null,
        dispatched: o.dispatched ?? false,
        settled_at: o.status === 'done' || o.status === 'missed' ? plus(o.dueAt, (o.answeredAfter ?? 0) + 60) : null,
      })
      .execute();
  }
  return ids;
}
