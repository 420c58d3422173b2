// The registry: municipalities, gateways, citizens, devices and users, upserted in one transaction.
// Served by PUT /v1/admin/registry and by the command line (bin/registry-import.ts).
import { z } from 'zod';
import { recordAudit, type AuditActor } from '../../db/audit.js';
import { municipalitiesOf } from '../../db/citizens.js';
import type { Db, Trx } from '../../db/connect.js';
import { findKeyByHash, addGatewayKey, KeyTaken, revokeImportedKeys, TooManyKeys } from '../../db/gateway-keys.js';
import {
  adminExists,
  createUserUnlessTaken,
  existingGateways,
  SecretRequired,
  unknownMunicipalities,
  upsertCitizens,
  upsertDevices,
  upsertGateways,
  upsertMunicipalities,
  upsertUsers,
  type UpsertCounts,
} from '../../db/registry.js';
import type { EventType } from '../../domain/events.js';
import { ConsentRequired, recordConsent, upsertSchedules, withdrawConsentOf } from '../../db/planned.js';
import { consentFields, scheduleFields, scheduleId } from '../../domain/planned-views.js';
import { DEFAULT_WINDOW_MINUTES, localDateOf } from '../../domain/planned.js';
import { ROLES } from '../../domain/roles.js';
import { DEFAULT_TRIAGE_SETTINGS, SELF_CLOSABLE_TYPES } from '../../domain/triage.js';
import { storableText } from '../../domain/storable.js';
import { HttpError } from '../../platform/errors.js';
import { passwordProblem } from '../../platform/password-policy.js';
import { hashPassword, sha256 } from '../../platform/secrets.js';
import { createGatewayKey } from './gateway-keys.js';

const id = storableText(1, 64).regex(/^[^\s/?#]+$/, 'no spaces, slashes, ? or #');

/**
 * A municipality's triage settings (domain/triage.ts, TriageSettings), with their defaults: in the
 * registry import and, each optional, in PUT /v1/admin/municipalities/:id/triage.
 */
export const triageSettingsFields = {
  /** Alarms of one unit this many minutes apart are one incident. */
  incidentWindowMinutes: z
    .number()
    .int()
    .min(1)
    .max(240)
    .default(DEFAULT_TRIAGE_SETTINGS.incidentWindowMinutes)
    .describe('Alarms of one unit this many minutes apart are one incident (default 30)'),
  /** A cancel within this many seconds of its press settles the press as false. */
  cancelWindowSeconds: z
    .number()
    .int()
    .min(0)
    .max(3600)
    .default(DEFAULT_TRIAGE_SETTINGS.cancelWindowSeconds)
    .describe(
      'A cancel this many seconds after its press settles it as a false alarm; a later one leaves it for a call (default 300)',
    ),
  /** Types triage closes itself: tests and technical events, never a press or a missing heartbeat. */
  selfClosingTypes: z
    .array(
      z.enum(SELF_CLOSABLE_TYPES as [EventType, ...EventType[]], {
        error: `may only list ${SELF_CLOSABLE_TYPES.join(', ')}: never a press, sensor or missing heartbeat`,
      }),
    )
    .max(SELF_CLOSABLE_TYPES.length)
    .default([...DEFAULT_TRIAGE_SETTINGS.selfClosingTypes])
    .describe(
      `Types whose alarms triage resolves itself as false alarms (default test and mains_restored, which closes the failure it restores with it); only ${SELF_CLOSABLE_TYPES.join(', ')}`,
    ),
};

export const registrySchema = z
  .object({
    municipalities: z
      .array(
        z.object({
          id,
          name: storableText(1, 200),
          code: storableText(1, 16),
          /** Seconds from receipt within which an alarm should be claimed; later, it is overdue and escalates. */
          answerTargetSeconds: z.number().int().min(10).max(3600).default(60),
          /** Minutes a claimed alarm may stay unresolved before it escalates. */
          unresolvedAfterMinutes: z.number().int().min(1).max(1440).default(15),
          /** Minutes home care has to accept a dispatch before it escalates back to the operators. */
          dispatchAcceptMinutes: z.number().int().min(1).max(1440).default(10),
          // The statistics' business case (ASSUMPTION, the defaults: placeholders; migrations/0008_statistics.sql).
          /** Staff minutes of an unplanned home-care visit, driving included. */
          visitMinutes: z.number().int().min(1).max(600).default(45),
          /** What such a visit costs, whole DKK. */
          visitCostDkk: z.number().int().min(0).max(100_000).default(400),
          /** Staff minutes of a night-patrol visit that a remote night check replaces. */
          nightVisitMinutes: z.number().int().min(1).max(600).default(30),
          /** What such a night visit costs, whole DKK. */
          nightVisitCostDkk: z.number().int().min(0).max(100_000).default(350),
          /** The municipality's target for the share of false alarms, 0–1; null: none set. */
          falseAlarmTargetRate: z.number().min(0).max(1).nullable().default(null),
          /** Takes part in the shared, anonymised statistics; false: neither shares nor sees the others'. */
          shareStatistics: z.boolean().default(true),
          /** Months after receipt that an alarm keeps its personal data; then the worker pseudonymises it. */
          retentionMonths: z.number().int().min(3).max(240).default(24),
          ...triageSettingsFields,
          // Planned calls and night checks not answered: retry after these minutes, this many times, then
          // a dispatch (domain/planned.ts DEFAULT_RETRY_SETTINGS, migrations/0015).
          /** Minutes before a planned call the citizen did not answer is tried again. */
          plannedCallRetryMinutes: z.number().int().min(1).max(240).default(10),
          /** Retries of an unanswered planned call before a dispatch. */
          plannedCallRetries: z.number().int().min(0).max(5).default(1),
          /** Minutes before a night check whose citizen was not seen is tried again. */
          nightCheckRetryMinutes: z.number().int().min(1).max(240).default(15),
          /** Retries of a night check before the night patrol is dispatched. */
          nightCheckRetries: z.number().int().min(0).max(5).default(1),
        }),
      )
      .optional(),
    gateways: z
      .array(
        z.object({
          id,
          name: storableText(1, 200),
          /**
           * A key chosen by the admin: accepted for deployments made before keys were generated, with a
           * warning. Omit it: a new gateway then gets a generated key, shown once in the answer.
           */
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
          name: storableText(1, 200),
          address: storableText(1, 500),
          phone: storableText(0, 64).default(''),
          keySafe: storableText(0, 200).default(''),
          notes: storableText(0, 4000).default(''),
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
          password: z
            .string()
            .max(256)
            .superRefine((p, ctx) => {
              const problem = passwordProblem(p);
              if (problem) ctx.addIssue({ code: 'custom', message: `the password ${problem}` });
            })
            .optional(),
          role: z.enum(ROLES),
          municipalities: z.union([z.literal('*'), z.array(z.union([z.literal('*'), id])).min(1)]),
          /** A disabled user cannot log in, and their sessions end at once. */
          disabled: z.boolean().default(false),
        }),
      )
      .optional(),
    /**
     * Consent to night supervision, one row per citizen: given (recorded unless consent is already in
     * force), or `withdrawn: true` (the consent in force withdrawn now; nothing when there is none), as
     * POST /v1/consents/:id/withdraw does. Recorded and withdrawn by "registry import"; the record stays.
     */
    consents: z
      .array(
        z.union(
          [
            z
              .object({
                citizenId: id,
                withdrawn: z
                  .literal(true)
                  .describe('Withdraw the consent in force now: the citizen’s night checks stop; the record stays'),
              })
              .strict(),
            z.intersection(z.object({ citizenId: id, withdrawn: z.literal(false).optional() }), consentFields),
          ],
          {
            error:
              'consent given {citizenId, givenBy, representativeName?, givenAt?}, or withdrawn {citizenId, withdrawn: true} and nothing else',
          },
        ),
      )
      .optional(),
    /** Schedules of planned calls and night checks, by id (created or replaced); a night check needs consent. */
    schedules: z.array(z.intersection(z.object({ id: scheduleId, citizenId: id }), scheduleFields)).optional(),
  })
  .strict()
  .superRefine((reg, ctx) => {
    // Each row once per import: a second row with the same key would be a second, conflicting upsert.
    const once = <T>(list: T[] | undefined, key: (row: T) => string | undefined, path: string, what: string) => {
      const seen = new Set<string>();
      list?.forEach((row, i) => {
        const k = key(row);
        if (k === undefined) return;
        if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [path, i], message: `${what} appears twice` });
        seen.add(k);
      });
    };
    once(reg.municipalities, (m) => m.id, 'municipalities', 'this id');
    once(reg.gateways, (g) => g.id, 'gateways', 'this id');
    once(reg.gateways, (g) => g.apiKey, 'gateways', 'this apiKey');
    once(reg.citizens, (c) => c.id, 'citizens', 'this id');
    once(reg.devices, (d) => d.id, 'devices', 'this id');
    once(reg.users, (u) => u.username, 'users', 'this username');
    once(reg.consents, (c) => c.citizenId, 'consents', 'this citizenId');
    once(reg.schedules, (s) => s.id, 'schedules', 'this id');
  });

export type Registry = z.input<typeof registrySchema>;
/** A key generated for a new gateway given without apiKey: the secret, shown this once. */
export type GeneratedKey = { gateway: string; keyId: string; key: string };
export type ImportResult = Record<
  'municipalities' | 'gateways' | 'citizens' | 'devices' | 'users' | 'schedules',
  UpsertCounts
> & {
  /** Consent recorded (`created`), and withdrawn. */
  consents: UpsertCounts & { withdrawn: number };
  /** Keys generated for new gateways given without apiKey, shown only in this answer. */
  keys: GeneratedKey[];
  /** What the import accepted but advises against (admin-chosen keys), and keys it did not reactivate. */
  warnings: string[];
};

/** Who recorded what the registry import brought (consent, schedules). */
export const REGISTRY_IMPORT = 'registry import';

const bad = (message: string) => new HttpError(400, 'invalid_registry', message);

/** What a new row without its secret lacks, named by the input's own fields. */
const MISSING_SECRET: Record<SecretRequired['table'], (key: string) => string> = {
  users: (username) => `users.${username}: password is required for a new user`,
};

type GatewayInput = { id: string; apiKeyHash: string | null };

/**
 * The keys of an import's gateways. A gateway given without apiKey keeps its keys; a new one gets a
 * generated key, returned once. An admin-chosen apiKey is accepted for compatibility, with a warning:
 * the same key again changes nothing (a revoked one stays revoked); a new one replaces the gateway's
 * earlier imported keys, as an import always did, and leaves its generated keys alone. A key another
 * gateway holds, or a third active key, refuses the import. No message quotes a key or its hash.
 */
async function importGatewayKeys(
  trx: Trx,
  gateways: GatewayInput[],
  existedBefore: Set<string>,
): Promise<Pick<ImportResult, 'keys' | 'warnings'>> {
  const keys: GeneratedKey[] = [];
  const warnings: string[] = [];
  for (const g of gateways) {
    if (g.apiKeyHash === null) {
      if (existedBefore.has(g.id)) continue;
      const made = await createGatewayKey(trx, g.id);
      keys.push({ gateway: g.id, keyId: made.id, key: made.key });
      continue;
    }
    const stored = await findKeyByHash(trx, g.apiKeyHash);
    if (stored && stored.gatewayId !== g.id)
      throw bad(`gateways.${g.id}: an apiKey is already used by another gateway; give each gateway its own key`);
    if (stored?.revoked) {
      warnings.push(`gateways.${g.id}: the apiKey given was revoked and stays revoked; the gateway cannot use it`);
      continue;
    }
    warnings.push(
      `gateways.${g.id}: apiKey chosen in the registry, accepted for compatibility; generate one instead (POST /v1/admin/gateways/${g.id}/keys) and revoke this one`,
    );
    if (stored) continue;
    await revokeImportedKeys(trx, g.id);
    try {
      await addGatewayKey(trx, { gatewayId: g.id, keyHash: g.apiKeyHash, origin: 'imported' });
    } catch (err) {
      if (err instanceof TooManyKeys)
        throw bad(
          `gateways.${g.id}: the gateway has two active generated keys; revoke one (DELETE /v1/admin/gateways/${g.id}/keys/<keyId>) before importing another`,
        );
      if (err instanceof KeyTaken)
        throw bad(`gateways.${g.id}: an apiKey is already used by another gateway; give each gateway its own key`);
      throw err;
    }
  }
  return { keys, warnings };
}

/**
 * Import a registry. With `by`, the import is audited (registry.import): allowed in the import's own
 * transaction, refused (invalid) when the input is refused.
 */
export async function importRegistry(db: Db, input: unknown, by?: AuditActor): Promise<ImportResult> {
  try {
    return await importAudited(db, input, by);
  } catch (err) {
    if (by && err instanceof HttpError && err.statusCode === 400)
      await recordAudit(db, [{ ...by, action: 'registry.import', outcome: 'refused', reason: 'invalid' }]);
    throw err;
  }
}

async function importAudited(db: Db, input: unknown, by: AuditActor | undefined): Promise<ImportResult> {
  const parsed = registrySchema.safeParse(input);
  if (!parsed.success) {
    throw bad(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const reg = parsed.data;
  // Hash before the transaction: argon2 is slow by design and must not hold locks.
  const users = await Promise.all(
    (reg.users ?? []).map(async (u) => ({
      username: u.username,
      role: u.role,
      municipalities: u.municipalities === '*' || u.municipalities.includes('*') ? ['*'] : u.municipalities,
      passwordHash: u.password ? await hashPassword(u.password) : null,
      disabled: u.disabled,
    })),
  );
  const gateways = (reg.gateways ?? []).map(({ apiKey, ...g }) => ({
    ...g,
    apiKeyHash: apiKey ? sha256(apiKey) : null,
  }));

  try {
    return await db.transaction().execute(async (trx) => {
      const municipalities = await upsertMunicipalities(trx, reg.municipalities ?? []);
      const referenced = new Set([
        ...gateways.flatMap((g) => g.municipalities),
        ...users.flatMap((u) => u.municipalities.filter((m) => m !== '*')),
      ]);
      const missing = await unknownMunicipalities(trx, [...referenced]);
      if (missing.length) throw bad(`unknown municipalities: ${missing.join(', ')}`);
      if (by)
        await recordAudit(trx, [
          { ...by, action: 'registry.import', outcome: 'allowed' },
          // Each citizen's access history shows that their data was written, and by whom.
          ...(reg.citizens ?? []).map((c) => ({
            ...by,
            action: 'registry.citizen' as const,
            outcome: 'allowed' as const,
            citizenId: c.id,
            municipality: c.municipality,
          })),
        ]);
      const existedBefore = await existingGateways(
        trx,
        gateways.map((g) => g.id),
      );
      const gatewayCounts = await upsertGateways(trx, gateways);
      const { keys, warnings } = await importGatewayKeys(trx, gateways, existedBefore);
      const counts = {
        municipalities,
        gateways: gatewayCounts,
        citizens: await upsertCitizens(trx, reg.citizens ?? []),
        devices: await upsertDevices(trx, reg.devices ?? []),
        users: await upsertUsers(trx, users),
        keys,
        warnings,
      };
      let consents = 0;
      let withdrawn = 0;
      // Each citizen's access history shows consent recorded or withdrawn by the import, and by whom.
      const consentAudit: { action: 'consent.record' | 'consent.withdraw'; citizenId: string }[] = [];
      for (const c of reg.consents ?? []) {
        if (c.withdrawn === true) {
          if (await withdrawConsentOf(trx, c.citizenId, REGISTRY_IMPORT)) {
            withdrawn++;
            consentAudit.push({ action: 'consent.withdraw', citizenId: c.citizenId });
          }
          continue;
        }
        const recorded = await recordConsent(trx, {
          citizenId: c.citizenId,
          givenBy: c.givenBy,
          representativeName: c.representativeName ?? null,
          givenAt: c.givenAt ?? new Date(),
          recordedBy: REGISTRY_IMPORT,
        });
        if (recorded) {
          consents++;
          consentAudit.push({ action: 'consent.record', citizenId: c.citizenId });
        }
      }
      if (by && consentAudit.length > 0) {
        const homes = await municipalitiesOf(
          trx,
          consentAudit.map((a) => a.citizenId),
        );
        await recordAudit(
          trx,
          consentAudit.map((a) => ({
            ...by,
            action: a.action,
            outcome: 'allowed' as const,
            citizenId: a.citizenId,
            municipality: homes.get(a.citizenId) ?? null,
          })),
        );
      }
      const today = localDateOf(new Date());
      const schedules = await upsertSchedules(
        trx,
        (reg.schedules ?? []).map((s) => ({
          id: s.id,
          citizenId: s.citizenId,
          by: REGISTRY_IMPORT,
          kind: s.kind,
          times: [...s.times].sort(),
          days: [...s.days].sort(),
          windowMinutes: s.windowMinutes ?? DEFAULT_WINDOW_MINUTES[s.kind],
          activeFrom: s.activeFrom ?? today,
          activeTo: s.activeTo,
          note: s.note,
        })),
      );
      return { ...counts, consents: { created: consents, updated: 0, withdrawn }, schedules };
    });
  } catch (err) {
    if (err instanceof SecretRequired) throw bad(MISSING_SECRET[err.table](err.key));
    if (err instanceof ConsentRequired)
      throw bad(
        `schedules: citizen ${err.citizenId} has no consent to night supervision on record (give it in consents)`,
      );
    const e = err as { code?: string; detail?: string; constraint?: string };
    // A foreign key violation (23503) is the input's fault: its detail names the missing reference.
    if (e.code === '23503') throw bad(e.detail ?? 'the registry refers to something that does not exist');
    // A unique violation's detail would quote the value (for a key, its hash): name only the constraint.
    if (e.code === '23505') throw bad(`a value is given twice or is taken already (${e.constraint ?? 'unique'})`);
    throw err;
  }
}

/** When BOOTSTRAP_ADMIN_PASSWORD is set and no admin exists, create user `admin` with it. */
export async function ensureBootstrapAdmin(db: Db, password: string | undefined): Promise<boolean> {
  if (!password) return false;
  if (await adminExists(db)) return false;
  const passwordHash = await hashPassword(password);
  return createUserUnlessTaken(db, {
    username: 'admin',
    passwordHash,
    role: 'admin',
    municipalities: ['*'],
    disabled: false,
  });
}
