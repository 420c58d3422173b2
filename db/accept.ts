// Durable accept: the statements that make an alarm part of the record.
import { randomUUID } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import { laneFor, type EventType, type Lane, type VoiceState } from '../domain/events.js';
import { INCIDENT_WINDOW_MINUTES } from '../domain/incidents.js';
import type { AlarmView } from '../domain/views.js';
import { prepared, type Db } from './connect.js';
import { alarmRow } from './open.js';
import type { AlarmRow } from './schema.js';

export type NewAlarm = {
  gatewayId: string;
  /**
   * The gateway's event id, unique per gateway: the idempotency key. For the system's own events
   * (`system: true`), the key of the event among the system's events instead: it is stored as
   * system_key, never as an event id, so no gateway can send, pre-empt or cancel it
   * (migrations/0012_gateway_keys_and_system_events.sql).
   */
  eventId: string;
  /** An event the service raised itself (a missed heartbeat), not one a gateway sent. */
  system?: boolean | undefined;
  deviceId: string;
  type: EventType;
  occurredAt: string;
  voice?: VoiceState | null | undefined;
  relatesTo?: string | null | undefined;
  batteryPercent?: number | null | undefined;
  details?: Record<string, unknown> | null | undefined;
  /**
   * For events about the gateway itself (a missed heartbeat): the municipality it concerns, which must
   * be one the gateway serves. Such an alarm has no device or citizen and is not "unknown device".
   */
  municipality?: string | undefined;
};

export type Accepted = { alarmId: string; duplicate: boolean; lane: Lane };

export type StoreOutcome = {
  /** One per input item, in input order. */
  results: Accepted[];
  /** Alarms created by this call, in the order of their changes. */
  created: AlarmRow[];
};

/** An event's idempotency key within one call: a system event's key never meets a gateway's event id. */
const keyOf = (gatewayId: string, eventId: string | null, systemKey: string | null = null) =>
  eventId === null ? `system\u0000${systemKey}` : `${gatewayId}\u0000${eventId}`;
/** A system event's key, unique across gateways: the gateway's id and the event's key among its system events. */
const systemKeyOf = (item: NewAlarm) => `${item.gatewayId}:${item.eventId}`;
const itemKey = (item: NewAlarm) =>
  item.system ? keyOf(item.gatewayId, null, systemKeyOf(item)) : keyOf(item.gatewayId, item.eventId);
const rowKey = (row: { gateway_id: string; event_id: string | null; system_key: string | null }) =>
  keyOf(row.gateway_id, row.event_id, row.system_key);

/** A timestamp as toAlarmView writes it (`Date.toISOString`: UTC, milliseconds, truncated as pg's Date is). */
const isoText = (at: RawBuilder<unknown>) => sql`to_char(${at} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The change-log payload of an alarm this call stores, built in SQL from the inserted row `n`: what
 * toAlarmView (db/views.ts) makes of the same row, key for key (test/db/store-alarms.test.ts compares the
 * two). Every key of AlarmView must be named here, so a new one cannot be forgotten. A new alarm is not
 * triaged and not escalated: those two are null.
 */
const newAlarmView = (n: string): RawBuilder<unknown> => {
  const c = (column: keyof AlarmRow) => sql.ref(`${n}.${column}`);
  const view: { [K in keyof AlarmView]-?: RawBuilder<unknown> } = {
    id: c('id'),
    municipality: c('municipality_id'),
    deviceId: c('device_id'),
    citizenId: c('citizen_id'),
    unknownDevice: c('unknown_device'),
    type: c('type'),
    occurredAt: isoText(c('occurred_at')),
    receivedAt: isoText(c('received_at')),
    status: c('status'),
    triage: sql`NULL`,
    incidentId: c('incident_id'),
    escalated: c('escalated'),
    escalation: sql`NULL`,
    claimedBy: c('claimed_by'),
    claimedAt: isoText(c('claimed_at')),
    outcome: c('outcome'),
    resolvedAt: isoText(c('resolved_at')),
    answerBy: isoText(c('answer_by')),
    result: c('result'),
  };
  return sql`jsonb_build_object(${sql.join(Object.entries(view).map(([key, value]) => sql`${sql.lit(key)}, ${value}`))})`;
};

/**
 * Store alarms, idempotent on (gateway, event id): a re-sent event returns the alarm stored first, also
 * when the re-send races the first send. Resolves only after COMMIT.
 *
 * One statement, committed on its own (no BEGIN and COMMIT of their own, one round trip): it inserts the
 * alarms, their rows in the reconciler's list (triage_pending) and their changes in the change log,
 * whose payloads it builds from the inserted rows (`newAlarmView`), in input order. pg answers a
 * statement once Postgres is ready for the next one, i.e. after the implicit COMMIT. Re-sends are looked
 * up afterwards, by a second statement, only when there are any: a re-send's alarm is committed (ON
 * CONFLICT waited for the transaction that inserted it), so any later statement finds it.
 *
 * The device is resolved in the same statement: it is linked to its citizen only when the citizen's
 * municipality is one the gateway serves; otherwise the alarm is flagged unknown_device and belongs
 * to the gateway's first municipality. Its incident is found in the same statement too, by the rules
 * in domain/incidents.ts.
 */
export async function storeAlarms(db: Db, items: NewAlarm[]): Promise<StoreOutcome> {
  if (items.length === 0) return { results: [], created: [] };

  // Within one call, repeats of a key collapse onto their first occurrence.
  const firstByKey = new Map<string, number>();
  const unique: { item: NewAlarm; id: string; incident: string }[] = [];
  const incidentByDevice = new Map<string, string>();
  items.forEach((item, i) => {
    const key = itemKey(item);
    if (firstByKey.has(key)) return;
    firstByKey.set(key, i);
    const deviceKey = `${item.gatewayId}\u0000${item.deviceId}\u0000${laneFor(item.type)}`;
    let incident = incidentByDevice.get(deviceKey);
    if (!incident) incidentByDevice.set(deviceKey, (incident = randomUUID()));
    unique.push({ item, id: randomUUID(), incident });
  });

  const col = <T>(f: (u: (typeof unique)[number]) => T) => unique.map(f);
  const ids = col((u) => u.id);
  // Prepared: parsed once per connection, and on Runtime.hotDb (platform/runtime.ts hotDbFor) planned once too.
  const inserted = await sql<AlarmRow>`${prepared('accept')}
    WITH inserted AS (
      INSERT INTO alarms (id, gateway_id, event_id, system_key, municipality_id, device_id, citizen_id, unknown_device, type, lane,
                          occurred_at, voice, relates_to, battery_percent, details, incident_id)
      SELECT i.id, i.gateway_id, i.event_id, i.system_key, m.municipality_id, i.device_id, c.id, c.id IS NULL AND i.municipality IS NULL, i.type, i.lane,
             i.occurred_at, i.voice, i.relates_to, i.battery_percent, i.details,
             COALESCE(
               -- A scalar subquery, so it is always one index probe per event that relates to another and nothing
               -- for the others: as a join, the planner hashed the whole alarms table for large batches.
               CASE WHEN i.relates_to IS NOT NULL THEN
                 (SELECT p.incident_id FROM alarms p WHERE p.gateway_id = i.gateway_id AND p.event_id = i.relates_to) END,
               prev.incident_id, i.incident)
      FROM unnest(${ids}::uuid[], ${col((u) => u.item.gatewayId)}::text[],
                  ${col((u) => (u.item.system ? null : u.item.eventId))}::text[],
                  ${col((u) => (u.item.system ? systemKeyOf(u.item) : null))}::text[],
                  ${col((u) => u.item.deviceId)}::text[], ${col((u) => u.item.type)}::text[], ${col((u) => laneFor(u.item.type))}::text[],
                  ${col((u) => u.item.occurredAt)}::timestamptz[], ${col((u) => u.item.voice ?? null)}::text[],
                  ${col((u) => u.item.relatesTo ?? null)}::text[], ${col((u) => u.item.batteryPercent ?? null)}::smallint[],
                  ${col((u) => JSON.stringify(u.item.details ?? {}))}::jsonb[], ${col((u) => u.incident)}::uuid[],
                  ${col((u) => u.item.municipality ?? null)}::text[])
             WITH ORDINALITY AS i(id, gateway_id, event_id, system_key, device_id, type, lane, occurred_at, voice, relates_to,
                                  battery_percent, details, incident, municipality, ord)
      JOIN gateways g ON g.id = i.gateway_id
      LEFT JOIN devices d ON d.id = i.device_id AND i.municipality IS NULL
      LEFT JOIN citizens c ON c.id = d.citizen_id AND c.municipality_id = ANY (g.municipalities)
      CROSS JOIN LATERAL (
        SELECT COALESCE(c.municipality_id, CASE WHEN i.municipality = ANY (g.municipalities) THEN i.municipality END,
                        g.municipalities[1]) AS municipality_id
      ) m
      LEFT JOIN LATERAL (
        SELECT p.incident_id FROM alarms p
        WHERE p.device_id = i.device_id AND p.municipality_id = m.municipality_id AND p.lane = i.lane
          AND ${alarmRow('p').isOpen}
          AND p.received_at > now() - make_interval(mins => COALESCE(
            (SELECT mu.incident_window_minutes FROM municipalities mu WHERE mu.id = m.municipality_id), ${INCIDENT_WINDOW_MINUTES}))
        ORDER BY p.received_at DESC LIMIT 1
      ) prev ON true
      ORDER BY i.ord
      -- alarms_idempotency (gateway_id, event_id) for gateways' events, alarms_system_key for the system's.
      ON CONFLICT DO NOTHING
      RETURNING *
    ),
    pending AS (INSERT INTO triage_pending (alarm_id, received_at) SELECT id, received_at FROM inserted),
    -- The change log's seqs follow the order of its rows here (db/changes.ts): the input's.
    logged AS (
      INSERT INTO changes (kind, entity_id, municipality_id, payload)
      SELECT 'alarm', n.id, n.municipality_id, ${newAlarmView('n')}
      FROM inserted n JOIN unnest(${ids}::uuid[]) WITH ORDINALITY AS o(id, ord) ON o.id = n.id
      ORDER BY o.ord
    )
    SELECT * FROM inserted`.execute(db);

  const byKey = new Map<string, { id: string; lane: Lane; duplicate: boolean }>();
  for (const row of inserted.rows) byKey.set(rowKey(row), { id: row.id, lane: row.lane as Lane, duplicate: false });

  const missing = unique.filter((u) => !byKey.has(itemKey(u.item)));
  if (missing.length > 0) {
    // Already stored (a re-send), possibly by a transaction that committed while ours waited on the key.
    const fromGateways = missing.filter((u) => !u.item.system);
    const fromSystem = missing.filter((u) => u.item.system).map((u) => systemKeyOf(u.item));
    const existing = await sql<{
      id: string;
      gateway_id: string;
      event_id: string | null;
      system_key: string | null;
      lane: string;
    }>`
      SELECT a.id, a.gateway_id, a.event_id, a.system_key, a.lane FROM alarms a
      JOIN unnest(${fromGateways.map((u) => u.item.gatewayId)}::text[], ${fromGateways.map((u) => u.item.eventId)}::text[]) AS k(gateway_id, event_id)
        ON a.gateway_id = k.gateway_id AND a.event_id = k.event_id
      UNION ALL
      SELECT a.id, a.gateway_id, a.event_id, a.system_key, a.lane FROM alarms a
      WHERE a.system_key = ANY(${fromSystem}::text[])`.execute(db);
    for (const row of existing.rows) byKey.set(rowKey(row), { id: row.id, lane: row.lane as Lane, duplicate: true });
  }

  const results = items.map((item, i): Accepted => {
    const key = itemKey(item);
    const found = byKey.get(key);
    // A missing row here means an unknown gateway id: callers authenticate gateways first.
    if (!found) throw new Error('alarm neither inserted nor found (unknown gateway?)');
    return { alarmId: found.id, lane: found.lane, duplicate: found.duplicate || firstByKey.get(key) !== i };
  });

  const order = new Map(unique.map((u, i) => [u.id, i]));
  const created = [...inserted.rows].sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return { results, created };
}
