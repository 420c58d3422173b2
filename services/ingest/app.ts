// The ingest service (INGEST_PORT): the gateway API, every route of it behind the gateway API key.
import rateLimit from '@fastify/rate-limit';
import { rateLimited } from '../../platform/errors.js';
import { createHttpApp, OPERATIONS_ROUTES } from '../../platform/http.js';
import { createRegistry, ingestMetrics, queueDepthGauge } from '../../platform/metrics.js';
import { dependenciesReady, type Runtime } from '../../platform/runtime.js';
import type { ServiceApp } from '../../platform/service.js';
import { AlarmAcceptor } from './acceptor.js';
import { GatewayDirectory } from './gateways.js';
import { gatewayRoutes } from './routes.js';

/** What ingest answers without a gateway API key. Everything else is inside gatewayRoutes. */
export const INGEST_PUBLIC_ROUTES: readonly string[] = [...OPERATIONS_ROUTES];

/** A batch of 1000 events with at most 4 KiB of details each fits in 8 MiB. */
const BATCH_BODY_LIMIT = 8 * 1024 * 1024;

export type IngestApp = ServiceApp & { acceptor: AlarmAcceptor; gateways: GatewayDirectory };

/** Ingest, ready for inject() or listen(). */
export async function buildIngestApp(rt: Runtime): Promise<IngestApp> {
  const registry = createRegistry('ingest');
  const metrics = ingestMetrics(registry);
  queueDepthGauge(registry, () => rt.queues.depth());
  const acceptor = new AlarmAcceptor(rt, metrics);
  const gateways = new GatewayDirectory(rt.db);
  gateways.listen(rt.config.databaseUrl, rt.logger);

  const app = await createHttpApp({
    service: 'ingest',
    title: 'Responscenter ingest API',
    description: 'Alarm gateways post events here. A 202 means the alarm is committed in Postgres.',
    logger: rt.logger,
    trustProxy: rt.config.trustProxy,
    registry,
    ready: () => dependenciesReady(rt),
    bodyLimit: BATCH_BODY_LIMIT,
    validationErrorCode: 'invalid_event',
    metricsToken: rt.config.metricsToken,
    docs: rt.config.docs,
    // DOCS=login: the gateway API's documentation is for those who hold a gateway key.
    docsLogin: async (req) => void (await gateways.authenticate(req.headers.authorization, req.ip)),
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
  });

  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    keyGenerator: (req) => req.gateway?.id ?? req.ip,
    errorResponseBuilder: (_req, ctx) =>
      rateLimited(`more than ${ctx.max} requests in ${ctx.after}; retry later with the same eventIds`, ctx.ttl),
  });

  // The key announcements' connection ends with the app, whichever way it is closed.
  app.addHook('onClose', () => gateways.close());

  await app.register(gatewayRoutes, {
    acceptor,
    gateways,
    metrics,
    rateLimitPerMinute: rt.config.gatewayRateLimitPerMinute,
  });

  return {
    app,
    acceptor,
    gateways,
    async close() {
      // New requests get 503 while in-flight ones finish; then wait for their queueing.
      await app.close();
      await acceptor.drain();
    },
  };
}
