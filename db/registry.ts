// The registry's statements: municipalities, gateways, citizens, devices and users, each upserted by
// its key. Callers run them in one transaction (services/admin/registry.ts, the use case, validates
// the input and orders the steps).
import { sql, type Insertable, type Transaction } from 'kysely';
import type { Db, Trx } from './connect.js';
import type { Database } from './schema.js';

export type UpsertCounts = { created: number; updated: number };

type Table = 'municipalities' | 'gateways' | 'citizens' | 'devices' | 'users';
type Column<T extends Table> = keyof Database[T] & string;
type Row<T extends Table> = Insertable<Database[T]>;

/** Rows per upsert statement: at most ~10 columns a row, well below Postgres' 65,535 parameters. */
const UPSERT_CHUNK = 2000;

/** The upsert helper's view of the schema: any table, any columns (its typed signature keeps callers exact). */
type Untyped = Record<string, Record<string, unknown>>;

/**
 * Insert `rows` into `table`; a row whose `key` is already taken updates the `update` columns (and
 * updated_at) of the stored row instead. One statement. Counts the rows created and updated: xmax is 0
 * only on a row version this statement inserted.
 */
async function upsert<T extends Table>(
  trx: Trx,
  table: T,
  rows: Row<T>[],
  on: { key: Column<T>; update: readonly Column<T>[] },
): Promise<UpsertCounts> {
  // One statement binds at most 65,535 parameters: a large import goes in chunks, in the same transaction.
  if (rows.length > UPSERT_CHUNK) {
    const counts: UpsertCounts[] = [];
    for (let i = 0; i < rows.length; i += UPSERT_CHUNK)
      counts.push(await upsert(trx, table, rows.slice(i, i + UPSERT_CHUNK), on));
    return total(counts);
  }
  if (rows.length === 0) return { created: 0, updated: 0 };
  const inserted = await (trx as unknown as Transaction<Untyped>)
    .insertInto(table as string)
    .values(rows as Record<string, unknown>[])
    .onConflict((oc) =>
      oc.column(on.key).doUpdateSet((eb) => ({
        ...Object.fromEntries(on.update.map((c) => [c, eb.ref(`excluded.${c}`)])),
        updated_at: sql`now()`,
      })),
    )
    .returning(sql<boolean>`(xmax = 0)`.as('created'))
    .execute();
  const n = inserted.filter((r) => r.created).length;
  return { created: n, updated: inserted.length - n };
}

const total = (counts: UpsertCounts[]): UpsertCounts => ({
  created: counts.reduce((n, c) => n + c.created, 0),
  updated: counts.reduce((n, c) => n + c.updated, 0),
});

/** A new row without its secret; `key` is the row's key (a username). */
export class SecretRequired extends Error {
  constructor(
    readonly table: 'users',
    readonly key: string,
  ) {
    super(`${table}.${key}: a secret is required for a new row`);
  }
}

/**
 * The rule for secrets (a user's password; stored as a hash): a secret is required
 * when the row is new and kept when omitted, so a registry can be imported again without handing out
 * every secret again. Rows given without their secret must exist already, else SecretRequired names the
 * first that does not (in input order) before this call writes anything. An omitted secret is written as '' in
 * the proposed row, which is never stored: such a row always meets its existing key and updates it.
 */
async function upsertKeepingOmittedSecrets<T extends 'users'>(
  trx: Trx,
  table: T,
  rows: { row: Row<T>; secretGiven: boolean }[],
  on: { key: Column<T>; update: readonly Column<T>[]; secret: Column<T> },
): Promise<UpsertCounts> {
  const key: string = on.key;
  const keyOf = (row: object) => String((row as Record<string, unknown>)[key]);
  const withoutSecret = rows.filter((r) => !r.secretGiven).map((r) => keyOf(r.row));
  if (withoutSecret.length) {
    const existing = await (trx as unknown as Transaction<Untyped>)
      .selectFrom(table as string)
      .select(key)
      .where(key, 'in', withoutSecret)
      .execute();
    const stored = new Set(existing.map(keyOf));
    const missing = withoutSecret.find((k) => !stored.has(k));
    if (missing !== undefined) throw new SecretRequired(table, missing);
  }
  // One statement per row: whether the stored secret is replaced differs from row to row, and a key may
  // appear twice in one import (one multi-row upsert cannot update a row twice).
  const counts = await Promise.all(
    rows.map((r) =>
      upsert(trx, table, [r.row], { key: on.key, update: r.secretGiven ? [...on.update, on.secret] : on.update }),
    ),
  );
  return total(counts);
}

export type MunicipalityRecord = {
  id: string;
  name: string;
  code: string;
  answerTargetSeconds: number;
  unresolvedAfterMinutes: number;
  dispatchAcceptMinutes: number;
  visitMinutes: number;
  visitCostDkk: number;
  nightVisitMinutes: number;
  nightVisitCostDkk: number;
  falseAlarmTargetRate: number | null;
  shareStatistics: boolean;
  retentionMonths: number;
  incidentWindowMinutes: number;
  cancelWindowSeconds: number;
  selfClosingTypes: string[];
  plannedCallRetryMinutes: number;
  plannedCallRetries: number;
  nightCheckRetryMinutes: number;
  nightCheckRetries: number;
};
export type GatewayRecord = {
  id: string;
  name: string;
  municipalities: string[];
  heartbeatSeconds: number;
};
export type CitizenRecord = {
  id: string;
  municipality: string;
  name: string;
  address: string;
  phone: string;
  keySafe: string;
  notes: string;
};
export type DeviceRecord = { id: string; citizenId: string | null; gatewayId: string | null };
export type UserRecord = {
  username: string;
  /** null: keep the stored password (the user must exist). */
  passwordHash: string | null;
  role: string;
  /** Municipality ids, or ['*'] for all. */
  municipalities: string[];
  disabled: boolean;
};

export function upsertMunicipalities(trx: Trx, municipalities: MunicipalityRecord[]): Promise<UpsertCounts> {
  return upsert(
    trx,
    'municipalities',
    municipalities.map((m) => ({
      id: m.id,
      name: m.name,
      code: m.code,
      answer_target_seconds: m.answerTargetSeconds,
      unresolved_after_minutes: m.unresolvedAfterMinutes,
      dispatch_accept_minutes: m.dispatchAcceptMinutes,
      visit_minutes: m.visitMinutes,
      visit_cost_dkk: m.visitCostDkk,
      night_visit_minutes: m.nightVisitMinutes,
      night_visit_cost_dkk: m.nightVisitCostDkk,
      false_alarm_target_rate: m.falseAlarmTargetRate,
      share_statistics: m.shareStatistics,
      retention_months: m.retentionMonths,
      incident_window_minutes: m.incidentWindowMinutes,
      cancel_window_seconds: m.cancelWindowSeconds,
      self_closing_types: m.selfClosingTypes,
      planned_call_retry_minutes: m.plannedCallRetryMinutes,
      planned_call_retries: m.plannedCallRetries,
      night_check_retry_minutes: m.nightCheckRetryMinutes,
      night_check_retries: m.nightCheckRetries,
    })),
    {
      key: 'id',
      update: [
        'name',
        'code',
        'answer_target_seconds',
        'unresolved_after_minutes',
        'dispatch_accept_minutes',
        'visit_minutes',
        'visit_cost_dkk',
        'night_visit_minutes',
        'night_visit_cost_dkk',
        'false_alarm_target_rate',
        'share_statistics',
        'retention_months',
        'incident_window_minutes',
        'cancel_window_seconds',
        'self_closing_types',
        'planned_call_retry_minutes',
        'planned_call_retries',
        'night_check_retry_minutes',
        'night_check_retries',
      ],
    },
  );
}

/** The ids among `ids` that are not registered municipalities, in the order given. */
export async function unknownMunicipalities(trx: Trx, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const known = await trx
    .selectFrom('municipalities')
    .select('id')
    .where('id', 'in', [...ids])
    .execute();
  return ids.filter((m) => !known.some((k) => k.id === m));
}

/** Gateways' own fields; their keys are db/gateway-keys.ts'. */
export function upsertGateways(trx: Trx, gateways: GatewayRecord[]): Promise<UpsertCounts> {
  return upsert(
    trx,
    'gateways',
    gateways.map((g) => ({
      id: g.id,
      name: g.name,
      municipalities: g.municipalities,
      heartbeat_seconds: g.heartbeatSeconds,
    })),
    { key: 'id', update: ['name', 'municipalities', 'heartbeat_seconds'] },
  );
}

/** Which of these gateway ids are registered. */
export async function existingGateways(trx: Trx, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await trx
    .selectFrom('gateways')
    .select('id')
    .where('id', 'in', [...ids])
    .execute();
  return new Set(rows.map((r) => r.id));
}

export function upsertCitizens(trx: Trx, citizens: CitizenRecord[]): Promise<UpsertCounts> {
  return upsert(
    trx,
    'citizens',
    citizens.map((c) => ({
      id: c.id,
      municipality_id: c.municipality,
      name: c.name,
      address: c.address,
      phone: c.phone,
      key_safe: c.keySafe,
      notes: c.notes,
    })),
    { key: 'id', update: ['municipality_id', 'name', 'address', 'phone', 'key_safe', 'notes'] },
  );
}

export function upsertDevices(trx: Trx, devices: DeviceRecord[]): Promise<UpsertCounts> {
  return upsert(
    trx,
    'devices',
    devices.map((d) => ({ id: d.id, citizen_id: d.citizenId, gateway_id: d.gatewayId })),
    { key: 'id', update: ['citizen_id', 'gateway_id'] },
  );
}

export function upsertUsers(trx: Trx, users: UserRecord[]): Promise<UpsertCounts> {
  return upsertKeepingOmittedSecrets(
    trx,
    'users',
    users.map((u) => ({
      row: {
        username: u.username,
        password_hash: u.passwordHash ?? '',
        role: u.role,
        municipalities: u.municipalities,
        disabled: u.disabled,
      },
      secretGiven: u.passwordHash !== null,
    })),
    { key: 'username', update: ['role', 'municipalities', 'disabled'], secret: 'password_hash' },
  );
}

export async function adminExists(db: Db): Promise<boolean> {
  const admin = await db.selectFrom('users').select('username').where('role', '=', 'admin').executeTakeFirst();
  return admin !== undefined;
}

/** Create the user unless the username is taken (then nothing changes); true when created. */
export async function createUserUnlessTaken(db: Db, user: UserRecord & { passwordHash: string }): Promise<boolean> {
  const r = await db
    .insertInto('users')
    .values({
      username: user.username,
      password_hash: user.passwordHash,
      role: user.role,
      municipalities: user.municipalities,
    })
    .onConflict((oc) => oc.column('username').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Users and gateways stored here that are not among the given ones: what a seed that resets the
 * given users' passwords and keys would run beside (or over) someone else's data.
 */
export async function rowsBeyond(
  db: Db,
  known: { usernames: readonly string[]; gatewayIds: readonly string[] },
): Promise<{ users: number; gateways: number }> {
  const count = (table: 'users' | 'gateways', column: 'username' | 'id', ids: readonly string[]) => {
    let q = db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n'));
    if (ids.length) q = q.where(column, 'not in', [...ids]);
    return q.executeTakeFirstOrThrow().then((r) => Number(r.n));
  };
  const [users, gateways] = await Promise.all([
    count('users', 'username', known.usernames),
    count('gateways', 'id', known.gatewayIds),
  ]);
  return { users, gateways };
}
