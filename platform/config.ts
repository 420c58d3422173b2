// Configuration: read once from the environment at boot, validated, typed. Nothing else reads process.env.
import { z } from 'zod';
import { passwordProblem } from './password-policy.js';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** TRUST_PROXY as Fastify's trustProxy option takes it. */
const trustProxyFrom = (v: string): boolean | number | string[] =>
  v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v.split(',').map((a) => a.trim());

/** Whether a listening address is this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The environment variables, each validated and defaulted, turned into the config the services read.
 * The `Config` type is what this schema outputs, so the two cannot disagree.
 */
const configSchema = z
  .object({
    DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/responscenter'),
    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379/0'),
    /** Prefix of every Redis key and channel, so several deployments (or test runs) share one Redis. */
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
      .default('rc'),
    INGEST_PORT: port.default(8080),
    CONSOLE_PORT: port.default(8081),
    /** The worker's own HTTP port (health, readiness, metrics); when taken, the worker falls back to a free one. */
    WORKER_PORT: port.default(8082),
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    BOOTSTRAP_ADMIN_PASSWORD: z
      .string()
      .superRefine((p, ctx) => {
        const problem = passwordProblem(p);
        if (problem) ctx.addIssue({ code: 'custom', message: `the password ${problem}` });
      })
      .optional(),
    /**
     * Which proxies in front of the services to believe about the client's address (X-Forwarded-For):
     * `false` (none: the peer is the client), `true` (any), a number of hops, or comma-separated
     * addresses/CIDRs. Rate limits and audit records use the address this yields.
     */
    TRUST_PROXY: z
      .string()
      .regex(
        /^(true|false|\d{1,2}|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/,
        'true, false, a hop count, or addresses/CIDRs',
      )
      .default('false'),
    /** Lifetime of a console session (token and cookie). */
    SESSION_HOURS: z.coerce
      .number()
      .positive()
      .max(24 * 30)
      .default(12),
    /** A console session unused for this long ends (an open live feed counts as use). */
    SESSION_IDLE_MINUTES: z.coerce
      .number()
      .positive()
      .max(24 * 60)
      .default(30),
    /**
     * The session cookie is `__Host-rc_session`, Secure (sent over HTTPS only) by default. `false` is a
     * development setting for plain HTTP: the cookie is then `rc_session`, without Secure, and only allowed
     * while HOST is a loopback address (see the check below).
     */
    COOKIE_SECURE: bool.default(true),
    /**
     * GET /metrics answers only requests with `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise, and
     * always while unset): the counts per municipality and type are not for the public.
     */
    METRICS_TOKEN: z
      .string()
      .regex(/^[A-Za-z0-9._~+/=-]{32,256}$/, '32–256 characters of A–Z a–z 0–9 . _ ~ + / = -')
      .optional(),
    /**
     * The OpenAPI documents and Swagger UI at /docs: `public`, `login` (the console: a session; ingest: a
     * gateway API key; the worker: nobody) or `off`.
     */
    DOCS: z.enum(['public', 'login', 'off']).default('login'),
    /** Requests per minute one gateway may make to ingest before it is answered 429 (per ingest instance). */
    GATEWAY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600_000),
    /** An alarm stored but not triaged for this long is triaged by the reconciler, whatever became of its job. */
    RECONCILE_AFTER_SECONDS: z.coerce.number().positive().default(3),
    /**
     * Gateways' batches (backlogs) one ingest process commits at once; the others wait in memory, before
     * their transaction begins. One leaves the most of the cores to presses arriving during a storm; more
     * answer a backlog's batches sooner, though its triage takes about as long (load-tests/RESULTS.md).
     */
    INGEST_BULK_COMMITS: z.coerce.number().int().positive().max(16).default(1),
    /** Jobs one worker process triages at once, per urgency lane. */
    TRIAGE_CONCURRENCY: z.coerce.number().int().positive().max(256).default(64),
    /**
     * How often each worker process looks for passed deadlines (answer target, unresolved, dispatch not
     * accepted): an escalation follows its deadline within this long, if any worker runs.
     */
    ESCALATION_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
    /** A webhook whose deliveries have failed for this long alerts the operators (GET /v1/webhooks, the board). */
    WEBHOOK_ALERT_AFTER_SECONDS: z.coerce.number().positive().default(300),
    /** How often a worker stores the rollups of ended months and freezes the monthly reports that are due. */
    STATS_UPKEEP_SECONDS: z.coerce.number().positive().max(86_400).default(60),
    /** Months the audit trail is kept; at least 6 (the database refuses to remove younger rows anyway). */
    AUDIT_RETENTION_MONTHS: z.coerce
      .number()
      .int()
      .min(6, 'the audit trail is kept at least 6 months')
      .max(1200)
      .default(12),
    /** How often a worker pseudonymises alarms past their municipality's retention and prunes the audit trail. */
    RETENTION_INTERVAL_MINUTES: z.coerce.number().positive().max(1440).default(60),
    /**
     * How often each worker process raises planned calls and night checks that are due and settles
     * planned calls by device check-ins: a due item appears within this long of its time, if any worker runs.
     */
    PLANNED_WORK_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
    /** How far ahead the schedules' occurrences are stored, in hours (each worker stores them once a minute). */
    PLANNED_HORIZON_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 14)
      .default(36),
  })
  .superRefine((e, ctx) => {
    // Without Secure, the session cookie would cross any network in the clear: only on this machine.
    if (!e.COOKIE_SECURE && !isLoopback(e.HOST))
      ctx.addIssue({
        code: 'custom',
        path: ['COOKIE_SECURE'],
        message: `false sends the session cookie over plain HTTP and is only allowed while HOST is a loopback address (127.0.0.1, ::1, localhost), not ${e.HOST}; serve the console over HTTPS (a TLS-terminating proxy) and leave COOKIE_SECURE unset`,
      });
  })
  .transform((e) => ({
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    ingestPort: e.INGEST_PORT,
    consolePort: e.CONSOLE_PORT,
    workerPort: e.WORKER_PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    bootstrapAdminPassword: e.BOOTSTRAP_ADMIN_PASSWORD,
    trustProxy: trustProxyFrom(e.TRUST_PROXY),
    sessionHours: e.SESSION_HOURS,
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    cookieSecure: e.COOKIE_SECURE,
    metricsToken: e.METRICS_TOKEN,
    docs: e.DOCS,
    gatewayRateLimitPerMinute: e.GATEWAY_RATE_LIMIT_PER_MINUTE,
    reconcileAfterSeconds: e.RECONCILE_AFTER_SECONDS,
    ingestBulkCommits: e.INGEST_BULK_COMMITS,
    triageConcurrency: e.TRIAGE_CONCURRENCY,
    escalationIntervalMs: e.ESCALATION_INTERVAL_MS,
    webhookAlertAfterSeconds: e.WEBHOOK_ALERT_AFTER_SECONDS,
    statsUpkeepSeconds: e.STATS_UPKEEP_SECONDS,
    auditRetentionMonths: e.AUDIT_RETENTION_MONTHS,
    retentionIntervalMinutes: e.RETENTION_INTERVAL_MINUTES,
    plannedWorkIntervalMs: e.PLANNED_WORK_INTERVAL_MS,
    plannedHorizonHours: e.PLANNED_HORIZON_HOURS,
  }));

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {}

/** Empty strings count as unset, so `FOO= npm start` behaves like leaving FOO out. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  return parsed.data;
}

/** A connection URL with any password replaced, safe to print. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}
