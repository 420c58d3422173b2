// What every HTTP service shares: zod as the one schema source, the contract's error body,
// /healthz /readyz /metrics, OpenAPI at /docs, and the table of every route the app registers.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyContextConfig,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyRequest,
  type FastifySchema,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { errorFields, type Logger } from './logger.js';
import { HttpError, isDatabaseUnavailable, notFound, unauthorized, unavailable } from './errors.js';

export type HttpApp = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger, ZodTypeProvider>;

/** Routes come as plugins: `app.register(alarmRoutes, ctx)`. */
export type HttpPlugin<Options extends Record<string, unknown> = Record<never, never>> = FastifyPluginAsync<
  Options,
  Server,
  ZodTypeProvider,
  Logger
>;

/**
 * One method and URL pattern as registered, e.g. `GET /v1/alarms/:id`, with the route's `config` (where a
 * console route declares who may call it and how its municipality is decided: services/console/protected.ts)
 * and its schema (for tests generated from the table).
 */
export type RouteEntry = {
  method: string;
  url: string;
  config?: FastifyContextConfig | undefined;
  /** The route's schemas as declared (zod): what its parameters, query and body must be. */
  schema?: FastifySchema | undefined;
};

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on the app, in any plugin, in registration order (HEAD routes included). */
    readonly routeTable: readonly RouteEntry[];
  }
}

/** An OpenAPI security scheme a service's routes name in their `security` annotation. */
export type SecurityScheme =
  { type: 'http'; scheme: 'bearer' } | { type: 'apiKey'; in: 'header' | 'query' | 'cookie'; name: string };

/**
 * The operations routes every service answers without credentials (`METHOD /url`; a GET's HEAD and a
 * trailing slash count as the same route). /metrics needs the metrics token; /docs is public only with
 * DOCS=public (DOCS_ROUTES).
 */
export const OPERATIONS_ROUTES = ['GET /healthz', 'GET /readyz'] as const;

/** The OpenAPI documents and Swagger UI with its assets: public, behind a login, or off (DOCS). */
export const DOCS_ROUTES = [
  'GET /docs',
  'GET /docs/json',
  'GET /docs/yaml',
  'GET /docs/static/index.html',
  'GET /docs/static/swagger-initializer.js',
  'GET /docs/static/*',
] as const;

export type DocsMode = 'public' | 'login' | 'off';

export type Readiness = () => Promise<Record<string, boolean>>;

/**
 * A route's serializerCompiler for large answers the service builds itself from its own typed values
 * (statistics: thousands of figures): plain JSON.stringify. The zod schema still documents the answer in
 * the OpenAPI and types the handler; checking every figure of a 3 MB answer against it on every request
 * took longer than computing the figures.
 */
export const typedJsonSerializer = () => (data: unknown) => JSON.stringify(data);

export type HttpAppOptions = {
  service: string;
  title: string;
  description: string;
  logger: Logger;
  registry: Registry;
  ready: Readiness;
  /** Fastify's trustProxy: which proxies' X-Forwarded-For to believe (TRUST_PROXY). */
  trustProxy?: boolean | number | string[];
  /** Bytes; larger bodies get 413. */
  bodyLimit?: number;
  /** The error code for a request that fails validation (ingest says invalid_event). */
  validationErrorCode?: string;
  /** OpenAPI: how the service's routes authenticate, by the names their `security` annotations use. */
  securitySchemes?: Record<string, SecurityScheme>;
  /** METRICS_TOKEN: the bearer token /metrics asks for; without one, /metrics answers nobody (401). */
  metricsToken?: string | undefined;
  /**
   * Who may read /docs (DOCS). With `login`, `docsLogin` authenticates (throws 401 when it cannot); a
   * service without one (the worker, which has no users) then answers 401 to everyone.
   */
  docs: DocsMode;
  docsLogin?: (req: FastifyRequest) => Promise<void>;
};

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether the request carries `Authorization: Bearer <token>`, compared in constant time. */
function bearerMatches(authorization: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m !== null && timingSafeEqual(digest(m[1]!), digest(token));
}

const issuePath = (instancePath: string | undefined, context: string | undefined) =>
  (instancePath ?? '').replace(/^\//, '').replace(/\//g, '.') || context || '';

/** A client's x-request-id is kept (printable ASCII only) up to this length, as a separate log field. */
const CLIENT_REQUEST_ID_MAX = 64;

export async function createHttpApp(opts: HttpAppOptions): Promise<HttpApp> {
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // Closing: new requests get 503 while in-flight ones finish.
    return503OnClosing: true,
    // Request ids are the server's own: a client's x-request-id is logged beside it, never trusted as it.
    trustProxy:
      typeof opts.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (opts.trustProxy as number)
        : (opts.trustProxy ?? false),
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    childLoggerFactory: (logger, bindings, options, raw) => {
      const client = raw.headers['x-request-id'];
      const clientRequestId =
        typeof client === 'string' && client !== ''
          ? client.slice(0, CLIENT_REQUEST_ID_MAX).replace(/[^\x21-\x7e]/g, '?')
          : undefined;
      return logger.child(clientRequestId === undefined ? bindings : { ...bindings, clientRequestId }, options);
    },
  }).withTypeProvider<ZodTypeProvider>();

  // First of all hooks, so it sees every route, also those of plugins registered later.
  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      routeTable.push({ method, url: route.url, config: route.config, schema: route.schema });
  });

  // DOCS: every route under /docs (the UI, the documents, the UI's static files) asks first. A route's
  // own hook, so it runs after the app's (the console's cookie parsing among them).
  const docsGuard = async (req: FastifyRequest) => {
    if (opts.docs === 'public') return;
    if (opts.docs === 'off') throw notFound(`no route ${req.method} ${req.url.split('?')[0]} (DOCS=off)`);
    if (!opts.docsLogin) throw unauthorized('the documentation needs a login, and this service has none (DOCS=login)');
    await opts.docsLogin(req);
  };
  app.addHook('onRoute', (route) => {
    if (route.url !== '/docs' && !route.url.startsWith('/docs/')) return;
    route.onRequest = [docsGuard, ...[route.onRequest ?? []].flat()];
  });

  // JSON APIs only: any other body is answered 415, not parsed as text.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const answer = (e: HttpError) =>
      reply.code(e.statusCode).headers(e.headers).send({ error: e.code, message: e.message });
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issues = err.validation.map((v) => ({
        path: issuePath(v.instancePath, err.validationContext),
        message: v.message ?? 'invalid',
      }));
      return reply.code(400).send({
        error: opts.validationErrorCode ?? 'invalid_request',
        message: issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '),
        issues,
      });
    }
    if (err instanceof HttpError) return answer(err);
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.code(413).send({
          error: 'payload_too_large',
          message: `request body larger than ${app.initialConfig.bodyLimit} bytes`,
        });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply
          .code(415)
          .send({ error: 'unsupported_media_type', message: 'send Content-Type: application/json' });
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply
          .code(400)
          .send({ error: opts.validationErrorCode ?? 'invalid_request', message: 'empty JSON body' });
    }
    if (err.statusCode === 400 && (err instanceof SyntaxError || /JSON/i.test(err.message))) {
      return reply.code(400).send({ error: 'invalid_json', message: `body is not valid JSON: ${err.message}` });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: err.code?.toLowerCase() ?? 'bad_request', message: err.message });
    }
    if (isDatabaseUnavailable(err)) {
      req.log.warn(errorFields(err), 'database unavailable');
      return answer(unavailable('the database is unavailable; retry shortly'));
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });

  // While closing, answers to in-flight requests end their keep-alive connection, so close() does not
  // wait for clients to hang up.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }),
  );

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: opts.title, description: opts.description, version: '1.0.0' },
      components: {
        securitySchemes: { ...opts.securitySchemes, metrics: { type: 'http', scheme: 'bearer' } },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const ops = { tags: ['operations'] };
  app.get(
    '/healthz',
    { schema: { ...ops, summary: 'The process is alive', response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({
      status: 'ok' as const,
    }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        ...ops,
        summary: 'Dependencies reachable (503 otherwise)',
        response: { 200: z.record(z.string(), z.any()), 503: z.record(z.string(), z.any()) },
      },
    },
    async (_req, reply) => {
      const checks = await opts.ready().catch(() => ({ dependencies: false }));
      const ok = Object.values(checks).every(Boolean);
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unavailable', checks });
    },
  );
  const metricsToken = opts.metricsToken;
  app.get(
    '/metrics',
    {
      schema: {
        ...ops,
        summary: 'Prometheus metrics (Authorization: Bearer <METRICS_TOKEN>)',
        description:
          'Counts per municipality and type are not for the public: 401 without the token configured as METRICS_TOKEN, and always while none is.',
        security: [{ metrics: [] }],
      },
      onRequest: async (req) => {
        if (metricsToken === undefined || !bearerMatches(req.headers.authorization, metricsToken))
          throw unauthorized('metrics need Authorization: Bearer <METRICS_TOKEN>', { 'www-authenticate': 'Bearer' });
      },
    },
    async (_req, reply) => {
      reply.header('content-type', opts.registry.contentType);
      return opts.registry.metrics();
    },
  );

  return app as unknown as HttpApp;
}
