// The registry: municipalities, gateways, citizens, devices and users, upserted in one transaction.
// Served by PUT /v1/admin/registry and by the command line (bin/registry-import.ts).
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../../db/connect.js';
import { ROLES } from '../../domain/roles.js';
import { HttpError } from '../../platform/errors.js';
import { hashPassword, sha256 } from '../../platform/secrets.js';

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\s/?#]+$/, 'no spaces, slashes, ? or #');

export const registrySchema = z
  .object({
    municipalities: z
      .array(z.object({ id, name: z.string().min(1).max(200), code: z.string().min(1).max(16) }))
      .optional(),
    gateways: z
      .array(
        z.object({
          id,
          name: z.string().min(1).max(200),
          apiKey: z.string().min(16, 'API keys must be at least 16 characters').max(256).optional(),
          municipalities: z.array(id).min(1),
          heartbeatSeconds: z.number().int().min(10).max(86_400).default(300),
        }),
      )
      .optional(),
    citizens: z
      .array(
        z.object({
          id,
          municipality: id,
          name: z.string().min(1).max(200),
          address: z.string().min(1).max(500),
          phone: z.string().max(64).default(''),
          keySafe: z.string().max(200).default(''),
          notes: z.string().max(4000).default(''),
        }),
      )
      .optional(),
    devices: z
      .array(z.object({ id, citizenId: id.nullable().default(null), gatewayId: id.nullable().default(null) }))
      .optional(),
    users: z
      .array(
        z.object({
          username: id,
          password: z.string().min(8, 'passwords must be at least 8 characters').max(256).optional(),
          role: z.enum(ROLES),
          municipalities: z.union([z.literal('*'), z.array(z.union([z.literal('*'), id])).min(1)]),
        }),
      )
      .optional(),
  })
  .strict();

export type Registry = z.input<typeof registrySchema>;
type Counts = { created: number; updated: number };
export type ImportResult = Record<'municipalities' | 'gateways' | 'citizens' | 'devices' | 'users', Counts>;

const count = (rows: { created: boolean }[]): Counts => ({
  created: rows.filter((r) => r.created).length,
  updated: rows.filter((r) => !r.created).length,
});

const bad = (message: string) => new HttpError(400, 'invalid_registry', message);

export async function importRegistry(db: Db, input: unknown): Promise<ImportResult> {
  const parsed = registrySchema.safeParse(input);
  if (!parsed.success) {
    throw bad(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const reg = parsed.data;
  // Hash before the transaction: argon2 is slow by design and must not hold locks.
  const users = await Promise.all(
    (reg.users ?? []).map(async (u) => ({
      ...u,
      municipalities: u.municipalities === '*' || u.municipalities.includes('*') ? ['*'] : u.municipalities,
      passwordHash: u.password ? await hashPassword(u.password) : null,
    })),
  );

  try {
    return await db.transaction().execute(async (trx) => {
      const created = sql<boolean>`(xmax = 0)`.as('created');
      const result: ImportResult = {
        municipalities: { created: 0, updated: 0 },
        gateways: { created: 0, updated: 0 },
        citizens: { created: 0, updated: 0 },
        devices: { created: 0, updated: 0 },
        users: { created: 0, updated: 0 },
      };
      const municipalities = reg.municipalities ?? [];
      if (municipalities.length) {
        const rows = await trx
          .insertInto('municipalities')
          .values(municipalities.map((m) => ({ id: m.id, name: m.name, code: m.code })))
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              name: eb.ref('excluded.name'),
              code: eb.ref('excluded.code'),
              updated_at: sql`now()`,
            })),
          )
          .returning(created)
          .execute();
        result.municipalities = count(rows);
      }

      const referenced = new Set([
        ...(reg.gateways ?? []).flatMap((g) => g.municipalities),
        ...users.flatMap((u) => u.municipalities.filter((m) => m !== '*')),
      ]);
      if (referenced.size) {
        const known = await trx
          .selectFrom('municipalities')
          .select('id')
          .where('id', 'in', [...referenced])
          .execute();
        const missing = [...referenced].filter((m) => !known.some((k) => k.id === m));
        if (missing.length) throw bad(`unknown municipalities: ${missing.join(', ')}`);
      }

      for (const g of reg.gateways ?? []) {
        if (!g.apiKey) {
          const exists = await trx.selectFrom('gateways').select('id').where('id', '=', g.id).executeTakeFirst();
          if (!exists) throw bad(`gateways.${g.id}: apiKey is required for a new gateway`);
        }
      }
      if (reg.gateways?.length) {
        const rows = await Promise.all(
          reg.gateways.map((g) =>
            trx
              .insertInto('gateways')
              .values({
                id: g.id,
                name: g.name,
                api_key_hash: g.apiKey ? sha256(g.apiKey) : '',
                municipalities: g.municipalities,
                heartbeat_seconds: g.heartbeatSeconds,
              })
              .onConflict((oc) =>
                oc.column('id').doUpdateSet((eb) => ({
                  name: eb.ref('excluded.name'),
                  municipalities: eb.ref('excluded.municipalities'),
                  heartbeat_seconds: eb.ref('excluded.heartbeat_seconds'),
                  api_key_hash: g.apiKey ? eb.ref('excluded.api_key_hash') : eb.ref('gateways.api_key_hash'),
                  updated_at: sql`now()`,
                })),
              )
              .returning(created)
              .executeTakeFirstOrThrow(),
          ),
        );
        result.gateways = count(rows);
      }

      const citizens = reg.citizens ?? [];
      if (citizens.length) {
        const rows = await trx
          .insertInto('citizens')
          .values(
            citizens.map((c) => ({
              id: c.id,
              municipality_id: c.municipality,
              name: c.name,
              address: c.address,
              phone: c.phone,
              key_safe: c.keySafe,
              notes: c.notes,
            })),
          )
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              municipality_id: eb.ref('excluded.municipality_id'),
              name: eb.ref('excluded.name'),
              address: eb.ref('excluded.address'),
              phone: eb.ref('excluded.phone'),
              key_safe: eb.ref('excluded.key_safe'),
              notes: eb.ref('excluded.notes'),
              updated_at: sql`now()`,
            })),
          )
          .returning(created)
          .execute();
        result.citizens = count(rows);
      }

      const devices = reg.devices ?? [];
      if (devices.length) {
        const rows = await trx
          .insertInto('devices')
          .values(devices.map((d) => ({ id: d.id, citizen_id: d.citizenId, gateway_id: d.gatewayId })))
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              citizen_id: eb.ref('excluded.citizen_id'),
              gateway_id: eb.ref('excluded.gateway_id'),
              updated_at: sql`now()`,
            })),
          )
          .returning(created)
          .execute();
        result.devices = count(rows);
      }

      for (const u of users) {
        if (!u.passwordHash) {
          const exists = await trx
            .selectFrom('users')
            .select('username')
            .where('username', '=', u.username)
            .executeTakeFirst();
          if (!exists) throw bad(`users.${u.username}: password is required for a new user`);
        }
      }
      if (users.length) {
        const rows = await Promise.all(
          users.map((u) =>
            trx
              .insertInto('users')
              .values({
                username: u.username,
                password_hash: u.passwordHash ?? '',
                role: u.role,
                municipalities: u.municipalities,
              })
              .onConflict((oc) =>
                oc.column('username').doUpdateSet((eb) => ({
                  role: eb.ref('excluded.role'),
                  municipalities: eb.ref('excluded.municipalities'),
                  password_hash: u.passwordHash ? eb.ref('excluded.password_hash') : eb.ref('users.password_hash'),
                  updated_at: sql`now()`,
                })),
              )
              .returning(created)
              .executeTakeFirstOrThrow(),
          ),
        );
        result.users = count(rows);
      }
      return result;
    });
  } catch (err) {
    const e = err as { code?: string; detail?: string };
    // Foreign key (23503) or unique (23505) violations are the input's fault: say which reference.
    if (e.code === '23503' || e.code === '23505')
      throw bad(e.detail ?? 'the registry refers to something that does not exist');
    throw err;
  }
}

/** When BOOTSTRAP_ADMIN_PASSWORD is set and no admin exists, create user `admin` with it. */
export async function ensureBootstrapAdmin(db: Db, password: string | undefined): Promise<boolean> {
  if (!password) return false;
  const admin = await db.selectFrom('users').select('username').where('role', '=', 'admin').executeTakeFirst();
  if (admin) return false;
  const hash = await hashPassword(password);
  const r = await db
    .insertInto('users')
    .values({ username: 'admin', password_hash: hash, role: 'admin', municipalities: ['*'] })
    .onConflict((oc) => oc.column('username').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}
