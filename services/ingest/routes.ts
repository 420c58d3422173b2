// The gateway API (contract: "Gateways → ingest"): authenticate, validate, commit, answer.
import type { NewAlarm } from '../../db/accept.js';
import { errorBody } from '../../domain/views.js';
import { unavailable } from '../../platform/errors.js';
import type { HttpPlugin } from '../../platform/http.js';
import { errorFields } from '../../platform/logger.js';
import type { IngestMetrics } from '../../platform/metrics.js';
import { EventRefused, type AlarmAcceptor } from './acceptor.js';
import type { Gateway, GatewayDirectory } from './gateways.js';
import {
  accepted,
  alarmEvent,
  batchRequest,
  batchResponse,
  heartbeatRequest,
  heartbeatResponse,
  MAX_DETAILS_BYTES,
  MAX_DETAILS_DEPTH,
  type AlarmEvent,
} from './schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    gateway?: Gateway;
  }
}

/** One event with at most 4 KiB of details fits easily (a batch has the app's larger limit). */
const SINGLE_BODY_LIMIT = 64 * 1024;

const notDurable = () => unavailable('the alarm could not be stored durably; retry with the same eventId');

/** The contract's 400 for an event the database refused (its validation let it through). */
const refusedBody = (err: EventRefused) => ({
  error: 'invalid_event',
  message: err.message,
  issues: [{ path: '', message: err.message }],
});

const toNewAlarm = (gatewayId: string, e: AlarmEvent): NewAlarm => ({
  gatewayId,
  eventId: e.eventId,
  deviceId: e.deviceId,
  type: e.type,
  occurredAt: e.occurredAt,
  voice: e.voice ?? null,
  relatesTo: e.relatesTo ?? null,
  batteryPercent: e.batteryPercent ?? null,
  details: e.details ?? null,
});

export type GatewayRoutesOptions = {
  acceptor: AlarmAcceptor;
  gateways: GatewayDirectory;
  metrics: IngestMetrics;
  rateLimitPerMinute: number;
};

/**
 * Every route of this plugin is a gateway's: its hook answers 401 unless the request carries a known
 * gateway API key, before the body is read, so no route can forget it.
 */
export const gatewayRoutes: HttpPlugin<GatewayRoutesOptions> = async (
  app,
  { acceptor, gateways, metrics, rateLimitPerMinute },
) => {
  app.addHook('onRequest', async (req) => {
    req.gateway = await gateways.authenticate(req.headers.authorization, req.ip);
  });

  const limit = { rateLimit: { max: rateLimitPerMinute, timeWindow: 60_000 } };
  const security = [{ bearer: [] }];
  const errors = { 400: errorBody, 401: errorBody, 413: errorBody, 415: errorBody, 429: errorBody, 503: errorBody };

  app.post(
    '/v1/alarms',
    {
      bodyLimit: SINGLE_BODY_LIMIT,
      config: limit,
      schema: {
        tags: ['gateways'],
        summary: 'Post one alarm event',
        description: `202 once committed; 200 with duplicate=true for a re-sent eventId; 503 with Retry-After when it could not be stored (re-send it). 400 invalid_event, naming the field, for an event the database could not store exactly as sent: a U+0000 (NUL) or a lone UTF-16 surrogate in any id or in any key or string of details; occurredAt in the year 0000, with an offset beyond ±15:59 or later than 9999-12-31T23:59:59.998Z in UTC; details over ${MAX_DETAILS_BYTES} bytes, nested deeper than ${MAX_DETAILS_DEPTH} levels or with a number beyond ±1.8e308. Should the database still refuse an event, that event alone is answered 400 ("the database refused this event: …"); events committed in the same transaction are not affected.`,
        security,
        body: alarmEvent,
        response: { 200: accepted, 202: accepted, ...errors },
      },
    },
    async (req, reply) => {
      const gateway = req.gateway!;
      let result;
      try {
        result = await acceptor.accept(toNewAlarm(gateway.id, req.body));
      } catch (err) {
        if (err instanceof EventRefused) {
          req.log.warn(errorFields(err), 'alarm refused by the database');
          return reply.code(400).send(refusedBody(err));
        }
        req.log.warn(errorFields(err), 'alarm not stored');
        throw notDurable();
      }
      gateways.noteAlive(gateway);
      if (!result.duplicate) metrics.acceptSeconds.observe(reply.elapsedTime / 1000);
      return reply.code(result.duplicate ? 200 : 202).send({ alarmId: result.alarmId, duplicate: result.duplicate });
    },
  );

  app.post(
    '/v1/alarms/batch',
    {
      config: limit,
      schema: {
        tags: ['gateways'],
        summary: 'Post a backlog of up to 1000 events',
        description:
          'Results in input order; a bad event gets an error entry (invalid_event, the same rules as POST /v1/alarms, each event validated on its own) and does not reject the others, also when it is the database that refuses it. 503 with Retry-After when the events could not be stored: re-send the batch; what was stored answers as duplicates.',
        security,
        body: batchRequest,
        response: { 202: batchResponse, ...errors },
      },
    },
    async (req, reply) => {
      const gateway = req.gateway!;
      const parsed = req.body.events.map((raw) => ({ raw, parsed: alarmEvent.safeParse(raw) }));
      const good = parsed.flatMap((p) => (p.parsed.success ? [toNewAlarm(gateway.id, p.parsed.data)] : []));
      let stored: Awaited<ReturnType<AlarmAcceptor['acceptBatch']>> = [];
      try {
        stored = await acceptor.acceptBatch(good);
      } catch (err) {
        req.log.warn({ ...errorFields(err), events: good.length }, 'batch not stored');
        throw notDurable();
      }
      let k = 0;
      const results = parsed.map(({ raw, parsed: p }) => {
        const rawId = (raw as { eventId?: unknown } | null)?.eventId;
        const eventId = typeof rawId === 'string' ? rawId : null;
        if (!p.success) {
          const message = p.error.issues
            .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
            .join('; ');
          return { eventId, error: 'invalid_event', message };
        }
        const r = stored[k++]!;
        if (r instanceof EventRefused) return { eventId, error: 'invalid_event', message: r.message };
        return { eventId, alarmId: r.alarmId, duplicate: r.duplicate };
      });
      const refused = stored.filter((r) => r instanceof EventRefused).length;
      if (refused) req.log.warn({ refused, events: good.length }, 'events of a batch refused by the database');
      if (good.length) gateways.noteAlive(gateway);
      return reply.code(202).send({ results });
    },
  );

  app.post(
    '/v1/gateways/heartbeat',
    {
      bodyLimit: SINGLE_BODY_LIMIT,
      config: limit,
      schema: {
        tags: ['gateways'],
        summary: 'Tell the centre the gateway is alive',
        description:
          'A gateway silent for longer than its heartbeatSeconds raises a heartbeat_missed alarm for its municipalities.',
        security,
        body: heartbeatRequest,
        response: { 200: heartbeatResponse, 401: errorBody, 503: errorBody },
      },
    },
    async (req) => {
      const gateway = req.gateway!;
      const at = await gateways.heartbeat(gateway);
      return { gatewayId: gateway.id, receivedAt: at.toISOString(), heartbeatSeconds: gateway.heartbeatSeconds };
    },
  );
};
