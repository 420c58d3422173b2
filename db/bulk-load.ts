// Bulk loading with Postgres COPY … FROM STDIN (pg-copy-streams): a history of millions of alarms in
// minutes. Rows are written in COPY's text format; the tables and columns are the ones migrations/ make.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

type Value = string | number | boolean | Date | null | undefined;

const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value in COPY's text format: \N for null, backslash, tab and line breaks escaped. */
function field(v: Value): string {
  if (v === null || v === undefined) return '\\N';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return String(v);
  return SPECIAL.test(v) ? v.replace(SPECIALS, (c) => ESCAPED[c]!) : v;
}

/** A text[] value as Postgres reads it (each element quoted). */
export const textArray = (items: readonly string[]): string =>
  `{${items.map((s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;

/** A table's columns for COPY, and how one row becomes a line. */
export type CopyTarget<Row> = { table: string; columns: readonly (keyof Row & string)[] };

export function copyLine<Row extends Record<string, Value>>(target: CopyTarget<Row>, row: Row): string {
  let line = '';
  for (let i = 0; i < target.columns.length; i++) line += (i ? '\t' : '') + field(row[target.columns[i]!]);
  return line + '\n';
}

/** COPY the lines (each ending in \n) into the target on this client; one statement, its own commit. */
export async function copyLines<Row>(client: pg.PoolClient, target: CopyTarget<Row>, lines: Iterable<string> | string) {
  const stream = client.query(copyFrom(`COPY ${target.table} (${target.columns.join(', ')}) FROM STDIN`));
  const source = typeof lines === 'string' ? Readable.from([lines]) : Readable.from(lines);
  await pipeline(source, stream);
}

export type AlarmCopyRow = {
  id: string;
  gateway_id: string;
  event_id: string;
  municipality_id: string;
  device_id: string;
  citizen_id: string | null;
  unknown_device: boolean;
  type: string;
  lane: string;
  occurred_at: Date;
  received_at: Date;
  voice: string | null;
  relates_to: string | null;
  battery_percent: number | null;
  details: string;
  incident_id: string;
  status: string;
  triage_class: string;
  triage_priority: number;
  triage_confidence: number;
  /** textArray(). */
  triage_reasons: string;
  triaged_at: Date;
  claimed_by: string | null;
  claimed_at: Date | null;
  outcome: string | null;
  resolved_by: string | null;
  resolved_at: Date | null;
};

export const ALARMS: CopyTarget<AlarmCopyRow> = {
  table: 'alarms',
  columns: [
    'id', 'gateway_id', 'event_id', 'municipality_id', 'device_id', 'citizen_id', 'unknown_device', 'type', 'lane',
    'occurred_at', 'received_at', 'voice', 'relates_to', 'battery_percent', 'details', 'incident_id', 'status',
    'triage_class', 'triage_priority', 'triage_confidence', 'triage_reasons', 'triaged_at', 'claimed_by',
    'claimed_at', 'outcome', 'resolved_by', 'resolved_at',
  ],
}; // prettier-ignore

export type DispatchCopyRow = {
  id: string;
  alarm_id: string;
  municipality_id: string;
  citizen_id: string | null;
  status: string;
  requested_by: string;
  requested_at: Date;
  updated_at: Date;
  alarm_type: string;
  arrived_at: Date | null;
};

export const DISPATCHES: CopyTarget<DispatchCopyRow> = {
  table: 'dispatches',
  columns: [
    'id', 'alarm_id', 'municipality_id', 'citizen_id', 'status', 'requested_by', 'requested_at', 'updated_at',
    'alarm_type', 'arrived_at',
  ],
}; // prettier-ignore

export type CitizenCopyRow = {
  id: string;
  municipality_id: string;
  name: string;
  address: string;
  phone: string;
  key_safe: string;
  notes: string;
};

export const CITIZENS: CopyTarget<CitizenCopyRow> = {
  table: 'citizens',
  columns: ['id', 'municipality_id', 'name', 'address', 'phone', 'key_safe', 'notes'],
};

export type DeviceCopyRow = { id: string; citizen_id: string; gateway_id: string };

export const DEVICES: CopyTarget<DeviceCopyRow> = { table: 'devices', columns: ['id', 'citizen_id', 'gateway_id'] };

/** Whether any alarm is stored (a history is loaded into an empty record only). */
export async function anyAlarm(client: pg.PoolClient): Promise<boolean> {
  return (await client.query('SELECT EXISTS (SELECT 1 FROM alarms) AS any')).rows[0].any as boolean;
}

/** Set the municipalities' registration to `at`, so their monthly reports reach back to the history. */
export async function registeredSince(client: pg.PoolClient, ids: readonly string[], at: Date): Promise<void> {
  await client.query('UPDATE municipalities SET created_at = $2 WHERE id = ANY($1) AND created_at > $2', [ids, at]);
}

/** Fresh planner statistics after a bulk load. */
export async function analyzeLoaded(client: pg.PoolClient): Promise<void> {
  await client.query('ANALYZE alarms, dispatches, citizens, devices');
}
