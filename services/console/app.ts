// The console server (CONSOLE_PORT): REST for operators, planners and administrators, and the live feed.
import fastifyCookie from '@fastify/cookie';
import fastifyWebsocket from '@fastify/websocket';
import { createHttpApp, OPERATIONS_ROUTES } from '../../platform/http.js';
import { errorFields } from '../../platform/logger.js';
import { consoleMetrics, createRegistry } from '../../platform/metrics.js';
import { dependenciesReady, type Runtime } from '../../platform/runtime.js';
import type { ServiceApp } from '../../platform/service.js';
import { authenticator, sessionCookie } from './auth.js';
import { consoleContext } from './context.js';
import { LiveHub, type LiveHubOptions } from './live-hub.js';
import { protectedRoutes } from './protected.js';
import { adminRoutes } from './routes/admin.js';
import { adminGatewayRoutes } from './routes/admin-gateways.js';
import { adminSessionRoutes } from './routes/admin-sessions.js';
import { auditRoutes } from './routes/audit.js';
import { alarmRoutes } from './routes/alarms.js';
import { loginRoutes, sessionRoutes } from './routes/auth.js';
import { centreRoutes } from './routes/centre.js';
import { citizenRoutes } from './routes/citizens.js';
import { correctionRoutes } from './routes/corrections.js';
import { maintenanceRoutes } from './routes/maintenance.js';
import { dispatchRoutes } from './routes/dispatches.js';
import { homeRoutes } from './routes/home.js';
import { liveRoutes } from './routes/live.js';
import { municipalityRoutes } from './routes/municipalities.js';
import { webhookRoutes } from './routes/webhooks.js';
import { statisticsRoutes } from './routes/statistics.js';
import { scheduleRoutes } from './routes/schedules.js';

/** What the console answers without a session. Every other route is inside protectedRoutes. */
export const CONSOLE_PUBLIC_ROUTES: readonly string[] = [
  'GET /',
  // The front end's built files (services/console/routes/home.ts): code and styles, no data.
  'GET /assets/*',
  'POST /v1/auth/login',
  ...OPERATIONS_ROUTES,
];

export type ConsoleApp = ServiceApp & {
  hub: LiveHub;
  /** Close live feeds with 1001, stop accepting, finish in-flight requests, unsubscribe. Same as app.close(). */
  close(): Promise<void>;
};

/** The largest message a client may send on the live feed (it sends nothing the server needs). */
const MAX_CLIENT_MESSAGE_BYTES = 4096;

/** The console, ready for inject() or listen(). The live hub starts when the app is ready. */
export async function buildConsoleApp(rt: Runtime, opts: { live?: Partial<LiveHubOptions> } = {}): Promise<ConsoleApp> {
  const registry = createRegistry('console');
  const metrics = consoleMetrics(registry);
  const hub = new LiveHub(rt, metrics, opts.live);
  const ctx = consoleContext(rt, metrics, hub);

  const app = await createHttpApp({
    service: 'console',
    title: 'Responscenter console API',
    description:
      'For operators, supervisors, home-care planners, analysts and administrators. Log in at POST /v1/auth/login; send the token as a bearer token or use the session cookie. Everything is limited to your municipalities: anything outside them is answered 404.',
    logger: rt.logger,
    trustProxy: rt.config.trustProxy,
    registry,
    ready: () => dependenciesReady(rt),
    metricsToken: rt.config.metricsToken,
    docs: rt.config.docs,
    // DOCS=login: any logged-in user, by bearer token or the session cookie (a browser opening /docs).
    docsLogin: authenticator(rt.db, rt.config),
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer' },
      cookie: { type: 'apiKey', in: 'cookie', name: sessionCookie(rt.config) },
    },
  });

  // Claim and logout take no body; a browser client may still send Content-Type: application/json
  // with an empty one. That is "no body" here, not a 400 (routes with a body schema still demand one).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) =>
    body === '' ? done(null, undefined) : parseJson(req, String(body), done),
  );

  // The API's answers carry personal data (cards, names, addresses) and session tokens: never cached,
  // never sniffed as another type, never framed, no referrer leaves with them.
  app.addHook('onSend', async (req, reply) => {
    if (!req.url.startsWith('/v1/')) return;
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  });

  await app.register(fastifyCookie);
  await app.register(fastifyWebsocket, {
    options: { maxPayload: MAX_CLIENT_MESSAGE_BYTES },
    // A client vanishing mid-frame is routine on mobile networks: not an error worth a log line each.
    errorHandler: (err, socket, req) => {
      req.log.debug(errorFields(err), 'live feed socket error');
      socket.terminate();
    },
    // Replaces the plugin's default (close code 1005): feeds end with 1001 so clients reconnect with since.
    preClose: async () => {
      await hub.close();
      app.websocketServer.close();
    },
  });
  app.addHook('onReady', async () => hub.start());

  await app.register(homeRoutes);
  await app.register(loginRoutes, ctx);
  await app.register(protectedRoutes, {
    ctx,
    routes: [
      sessionRoutes,
      alarmRoutes,
      correctionRoutes,
      maintenanceRoutes,
      citizenRoutes,
      dispatchRoutes,
      municipalityRoutes,
      centreRoutes,
      statisticsRoutes,
      adminRoutes,
      adminSessionRoutes,
      auditRoutes,
      adminGatewayRoutes,
      webhookRoutes,
      scheduleRoutes,
      liveRoutes,
    ],
  });

  return { app, hub, close: () => app.close() };
}
