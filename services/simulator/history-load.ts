// Loading a history (history.ts) into an empty record: the registry through the registry's own import
// (municipalities, gateways, users), the citizens and their units with COPY in the same shape, then the
// alarms and dispatches with COPY as the history is made, the generator working while Postgres stores
// the previous chunk. The live feed's change log is left empty: history is for statistics, and a console
// connecting afterwards sees only what is open. Then the monthly rollups are built.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import {
  ALARMS,
  analyzeLoaded,
  anyAlarm,
  CITIZENS,
  copyLine,
  copyLines,
  DEVICES,
  DISPATCHES,
  registeredSince,
  textArray,
  type AlarmCopyRow,
  type DispatchCopyRow,
} from '../../db/bulk-load.js';
import type { Db } from '../../db/connect.js';
import { importRegistry } from '../admin/registry.js';
import { rebuildRollups } from '../statistics/upkeep.js';
import { history, statusOf, type HistoryAlarm, type HistoryDispatch } from './history.js';
import { historyFleet, historyGatewayId, municipalitiesFor } from './population.js';
import { seededRandom } from './random.js';
import { DEMO_LOGINS, fictionalPerson } from './registry.js';

export type HistoryLoadOptions = {
  years: number;
  municipalities: number;
  seed: number;
  /** The present: the history ends here (ms since the epoch). */
  end: number;
};

export type HistoryProgress =
  | { phase: 'registry'; citizens: number }
  | {
      phase: 'alarms';
      simAt: number;
      start: number;
      end: number;
      alarms: number;
      dispatches: number;
      /** The last report of the phase. */
      done?: boolean;
    }
  | { phase: 'rollups'; done: number; total: number; month: string };

export type HistoryLoaded = {
  alarms: number;
  dispatches: number;
  citizens: number;
  municipalities: number;
  rollups: number;
};

export class NotEmpty extends Error {}

/** ASSUMPTION, as in profile.ts: a storm every week or so and a gateway outage every five days for the seven. */
const STORMS_PER_DAY_SEVEN = 0.15;
const OUTAGES_PER_DAY_EIGHT_GATEWAYS = 0.2;
const YEAR_MS = 365.25 * 86_400_000;

const alarmRow = (a: HistoryAlarm): AlarmCopyRow => ({
  id: a.id,
  gateway_id: a.gatewayId,
  event_id: a.eventId,
  municipality_id: a.municipality,
  device_id: a.deviceId,
  citizen_id: a.citizenId,
  unknown_device: a.unknownDevice,
  type: a.type,
  lane: a.lane,
  occurred_at: new Date(a.occurredAt),
  received_at: new Date(a.receivedAt),
  voice: a.voice,
  relates_to: a.relatesTo,
  battery_percent: a.batteryPercent,
  details: JSON.stringify(a.details),
  incident_id: a.incidentId,
  status: statusOf(a),
  triage_class: a.triage.class,
  triage_priority: a.triage.priority,
  triage_confidence: a.triage.confidence,
  triage_reasons: textArray(a.triage.reasons),
  triaged_at: new Date(a.triagedAt),
  claimed_by: a.claimedBy,
  claimed_at: a.claimedAt === null ? null : new Date(a.claimedAt),
  outcome: a.outcome,
  resolved_by: a.outcome === null ? null : a.claimedBy,
  resolved_at: a.resolvedAt === null ? null : new Date(a.resolvedAt),
});

const dispatchRow = (d: HistoryDispatch): DispatchCopyRow => ({
  id: d.id,
  alarm_id: d.alarmId,
  municipality_id: d.municipality,
  citizen_id: d.citizenId,
  status: d.status,
  requested_by: d.requestedBy,
  requested_at: new Date(d.requestedAt),
  updated_at: new Date(d.completedAt ?? d.arrivedAt ?? d.requestedAt),
  alarm_type: d.alarmType,
  arrived_at: d.arrivedAt === null ? null : new Date(d.arrivedAt),
});

/** Load a history into the database behind `db` and `pool`, which must hold no alarm yet. */
export async function loadHistory(
  db: Db,
  pool: pg.Pool,
  opts: HistoryLoadOptions,
  progress: (p: HistoryProgress) => void = () => {},
): Promise<HistoryLoaded> {
  const municipalities = municipalitiesFor(opts.municipalities);
  const ids = municipalities.map((m) => m.id);
  const start = opts.end - opts.years * YEAR_MS;
  const fleet = historyFleet(municipalities);
  const client = await pool.connect();
  try {
    if (await anyAlarm(client))
      throw new NotEmpty('the database already holds alarms: load a history into an empty one');

    // The registry's own path for what it validates and hashes; the scopes of the demo logins that fit.
    await importRegistry(db, {
      municipalities: municipalities.map((m) => ({ id: m.id, name: m.name, code: m.code })),
      gateways: municipalities.map((m) => ({
        id: historyGatewayId(m),
        name: `${m.name} alarm gateway`,
        apiKey: randomBytes(24).toString('base64url'),
        municipalities: [m.id],
      })),
      users: DEMO_LOGINS.filter((l) => l.municipalities === '*' || l.municipalities.every((m) => ids.includes(m))).map(
        (l) => ({ username: l.username, password: l.password, role: l.role, municipalities: l.municipalities }),
      ),
    });
    await registeredSince(client, ids, new Date(start));
    const rng = seededRandom(opts.seed);
    const town = new Map(municipalities.map((m) => [m.id, m.postTown]));
    await copyLines(
      client,
      CITIZENS,
      fleet.map((d) => {
        const p = fictionalPerson(rng, town.get(d.municipality)!);
        return copyLine(CITIZENS, {
          id: d.citizenId!,
          municipality_id: d.municipality,
          name: p.name,
          address: p.address,
          phone: p.phone,
          key_safe: p.keySafe,
          notes: p.notes,
        });
      }),
    );
    await copyLines(
      client,
      DEVICES,
      fleet.map((d) => copyLine(DEVICES, { id: d.deviceId, citizen_id: d.citizenId!, gateway_id: d.gatewayId })),
    );
    progress({ phase: 'registry', citizens: fleet.length });

    // Storms and outages in proportion to the population and gateways present.
    const population = municipalities.reduce((n, m) => n + m.population, 0);
    const scale = population / 317_108;
    let alarms = 0;
    let dispatches = 0;
    let storing: Promise<void> = Promise.resolve();
    for (const chunk of history({
      seed: opts.seed,
      start,
      end: opts.end,
      fleet,
      municipalities,
      stormsPerDay: STORMS_PER_DAY_SEVEN * scale,
      gatewayOutagesPerDay: (OUTAGES_PER_DAY_EIGHT_GATEWAYS * municipalities.length) / 8,
    })) {
      const alarmText = chunk.alarms.map((a) => copyLine(ALARMS, alarmRow(a))).join('');
      const dispatchText = chunk.dispatches.map((d) => copyLine(DISPATCHES, dispatchRow(d))).join('');
      // The previous chunk must be stored before this one's dispatches can refer to their alarms.
      await storing;
      alarms += chunk.alarms.length;
      dispatches += chunk.dispatches.length;
      const snapshot = { alarms, dispatches, simAt: chunk.simAt };
      storing = (async () => {
        if (alarmText) await copyLines(client, ALARMS, alarmText);
        if (dispatchText) await copyLines(client, DISPATCHES, dispatchText);
        progress({ phase: 'alarms', start, end: opts.end, ...snapshot });
      })();
      // Reported when awaited; never left unhandled if the generator throws first.
      storing.catch(() => {});
    }
    await storing;
    progress({ phase: 'alarms', start, end: opts.end, simAt: opts.end, alarms, dispatches, done: true });
    await analyzeLoaded(client);
    const rollups = await rebuildRollups(db, (done, total, month) =>
      progress({ phase: 'rollups', done, total, month }),
    );
    return { alarms, dispatches, citizens: fleet.length, municipalities: municipalities.length, rollups };
  } finally {
    client.release();
  }
}
