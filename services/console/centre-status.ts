// The centre's status as one user may see it (GET /v1/centre): who is on duty, whether triage keeps up,
// what waits in each of the user's municipalities, and which gateways have gone silent. Postgres gives
// the alarms, dispatches, users and gateways; Redis who has a feed open, which workers are alive and the
// queue. Without Redis the answer still comes, marked incomplete, with the alarms' figures in full.
import {
  answerFigures,
  escalatedDispatchCounts,
  findStaff,
  openAlarmFigures,
  type AnswerFigures,
  type OpenAlarmFigures,
} from '../../db/centre.js';
import { listSilentGatewaysServing } from '../../db/gateways.js';
import { listMunicipalities } from '../../db/municipalities.js';
import { share, staffingFor, triageBehind, type OnlineStaff } from '../../domain/centre.js';
import type { Role } from '../../domain/roles.js';
import { errorFields } from '../../platform/logger.js';
import {
  FEED_PRESENCE,
  feedPresenceKey,
  PresenceSet,
  usernameOfFeedMember,
  WORKER_PRESENCE,
  workerPresenceKey,
} from '../../platform/presence.js';
import type { Runtime } from '../../platform/runtime.js';
import { scopeFromStore, type ConsoleUser } from './access.js';
import type { CentreStatus } from './schemas.js';

/** Redis answers in a millisecond; one that does not within this is as good as away. */
const REDIS_READ_TIMEOUT_MS = 1_000;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** What Redis knows: who has a feed open, how many workers are alive, how many triage jobs wait. */
async function fromRedis(rt: Runtime): Promise<{ usernames: string[]; workers: number; queueDepth: number }> {
  const prefix = rt.config.redisPrefix;
  const [feeds, workers, depth] = await within(
    Promise.all([
      new PresenceSet(rt.redis, feedPresenceKey(prefix), FEED_PRESENCE.ttlMs).read(),
      new PresenceSet(rt.redis, workerPresenceKey(prefix), WORKER_PRESENCE.ttlMs).read(),
      rt.queues.depth(),
    ]),
    REDIS_READ_TIMEOUT_MS,
  );
  const queueDepth = Object.values(depth).reduce(
    (sum, lane) => sum + (lane.waiting ?? 0) + (lane.prioritized ?? 0) + (lane.delayed ?? 0),
    0,
  );
  return { usernames: [...new Set(feeds.map(usernameOfFeedMember))], workers: workers.length, queueDepth };
}

export async function centreStatus(rt: Runtime, user: ConsoleUser): Promise<CentreStatus> {
  const scope = user.municipalities;
  const redis = fromRedis(rt).catch((err: unknown) => {
    // Polled every few seconds by every console: not a line each time. /readyz reports the outage.
    rt.logger.debug(errorFields(err), 'centre status: Redis could not be read; staffing and queue unknown');
    return null;
  });
  const [municipalities, open, dispatches, answers, gateways, live] = await Promise.all([
    listMunicipalities(rt.db, scope),
    openAlarmFigures(rt.db, scope),
    escalatedDispatchCounts(rt.db, scope),
    answerFigures(rt.db, scope),
    listSilentGatewaysServing(rt.db, scope),
    redis,
  ]);
  const staff = live ? await findStaff(rt.db, live.usernames) : [];
  const online: OnlineStaff[] = staff.map((s) => ({
    username: s.username,
    role: s.role as Role,
    municipalities: scopeFromStore(s.municipalities),
  }));
  const staffing = staffingFor(
    scope,
    municipalities.map((m) => m.id),
    online,
  );

  const openBy = new Map<string, OpenAlarmFigures>(open.rows.map((r) => [r.municipality, r]));
  const answersBy = new Map<string, AnswerFigures>(answers.map((a) => [a.municipality, a]));
  const untriaged = open.rows.reduce((n, r) => n + r.untriaged, 0);
  const oldest = open.rows.reduce<number | null>(
    (max, r) => (r.oldestUntriagedSeconds === null ? max : Math.max(max ?? 0, r.oldestUntriagedSeconds)),
    null,
  );
  const workersOnline = live?.workers ?? 0;

  return {
    at: open.now.toISOString(),
    incomplete: live === null,
    staffing: { operatorsOnline: staffing.operatorsOnline, warning: live === null || staffing.warning },
    triage: {
      untriaged,
      oldestUntriagedSeconds: oldest,
      queueDepth: live?.queueDepth ?? 0,
      workersOnline,
      behind: triageBehind(workersOnline, oldest),
    },
    municipalities: municipalities.map((m) => {
      const o = openBy.get(m.id);
      const a = answersBy.get(m.id);
      return {
        id: m.id,
        name: m.name,
        waiting: o?.waiting ?? 0,
        longestWaitSeconds: o?.longestWaitSeconds ?? null,
        escalations: (o?.escalated ?? 0) + (dispatches.get(m.id) ?? 0),
        operatorsOnline: staffing.perMunicipality.get(m.id) ?? 0,
        answeredWithin60s: {
          lastHour: a ? share(a.lastHour.answered, a.lastHour.decided) : null,
          today: a ? share(a.today.answered, a.today.decided) : null,
        },
      };
    }),
    silentGateways: gateways.map((g) => ({
      id: g.id,
      name: g.name,
      lastHeartbeatAt: g.lastHeartbeatAt === null ? null : g.lastHeartbeatAt.toISOString(),
      heartbeatSeconds: g.heartbeatSeconds,
      silentSeconds: g.silentSeconds,
    })),
  };
}
