// `npm run demo`: everything `npm start` runs (ingest, worker, console in this process), plus the demo
// registry (seven municipalities, fictional citizens, demo users) and simulated gateways sending realistic
// traffic, time-compressed. Prints where to look and how to log in, then one line per triaged alarm as an
// operator's live feed shows it. Only process concerns live here; the parts are in services/simulator.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { importRegistry } from '../services/admin/registry.js';
import { createLogger } from '../platform/logger.js';
import {
  loadConfigOrExit,
  prepareDependenciesOrExit,
  ROLES,
  shutDownOnSignals,
  startServices,
  type StartedServices,
} from './start.js';
import { login, LiveFeed } from '../services/simulator/console-client.js';
import { GatewayClient, play } from '../services/simulator/gateway.js';
import { createTraffic } from '../services/simulator/profile.js';
import { ALL_MUNICIPALITIES_LOGIN, DEMO_LOGINS, demoRegistry, registryBody } from '../services/simulator/registry.js';
import { banner } from '../services/demo/banner.js';
import { assertDemoDatabase, DEMO_DATABASE, NotADemoDatabase } from '../services/demo/guard.js';
import { isLoopback, safeUrl } from '../platform/config.js';
import { demoSettings, DemoSettingsError, type DemoSettings } from '../services/demo/settings.js';
import { TriageLog } from '../services/demo/triage-log.js';
import { evaluateTriage, shortSummary } from '../services/simulator/eval-triage.js';
import { demoPlannedWork } from '../services/demo/planned.js';

/** Gateways say they are alive this often; their supervision interval is 300 s (demo registry). */
const HEARTBEAT_EVERY_MS = 60_000;
const SUMMARY_EVERY_MS = 30_000;
/** On shutdown, sends in flight get this long to be answered before the connections are dropped. */
const DRAIN_MS = 3_000;

const stopping = new AbortController();
const timers: NodeJS.Timeout[] = [];
let services: StartedServices | undefined;
let feed: LiveFeed | undefined;
let gateway: GatewayClient | undefined;
let traffic: Promise<void> | undefined;
const log = new TriageLog({ since: Date.now() });

/** Gateways first (no new alarms), then the feed, then the services: ingest, worker, console. */
async function stop(): Promise<void> {
  stopping.abort();
  timers.forEach(clearInterval);
  if (traffic) await Promise.race([traffic, new Promise((r) => setTimeout(r, DRAIN_MS).unref())]);
  gateway?.close();
  await traffic;
  feed?.close();
  console.log(log.summary('last period'));
  await services?.stop();
}

function settingsOrExit(): DemoSettings {
  try {
    return demoSettings();
  } catch (err) {
    if (!(err instanceof DemoSettingsError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}

/** ASSUMPTION: two simulated weeks of Aabenraa are enough to show the figures and take about a second. */
const EVALUATION_DAYS = 14;

async function main(): Promise<void> {
  const settings = settingsOrExit();
  // Before the services start: the evaluation is CPU work that would otherwise hold up their event loop.
  const evaluation = shortSummary(
    evaluateTriage({ seed: settings.seed, municipality: 'aabenraa', year: 2025, days: EVALUATION_DAYS }),
  );
  // stdout carries the demo's lines; the services log to stderr, warnings only unless LOG_LEVEL says otherwise.
  // A database of its own unless told otherwise: the demo never seeds into the one `npm start` uses.
  // On this machine over plain HTTP, unless told otherwise: the session cookie without Secure (refused
  // anywhere but on a loopback address), the OpenAPI documents open, metrics with a token made for this run.
  const host = process.env.HOST || '127.0.0.1';
  const config = loadConfigOrExit({
    ...process.env,
    DATABASE_URL: process.env.DATABASE_URL || `postgres://postgres@127.0.0.1:5432/${DEMO_DATABASE}`,
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
    COOKIE_SECURE: process.env.COOKIE_SECURE || (isLoopback(host) ? 'false' : 'true'),
    DOCS: process.env.DOCS || 'public',
    METRICS_TOKEN: process.env.METRICS_TOKEN || randomBytes(24).toString('base64url'),
  });
  const logger = createLogger(config.logLevel, 'demo', pino.destination(2));
  await prepareDependenciesOrExit(config);

  shutDownOnSignals(async ({ signal, err }) => {
    if (err) console.error(`demo stopped by an error: ${err.message}`);
    else console.log(`\n${signal ?? 'exit'}: stopping the simulated gateways, the live feed, ingest, worker, console`);
    await stop();
  });

  try {
    services = await startServices(ROLES, config, logger);
  } catch (err) {
    console.error(`demo start-up failed: ${(err as Error).message}`);
    process.exit(1);
  }
  const urlOf = (name: string) => services!.running.find((s) => s.name === name)!.url;
  const consoleUrl = urlOf('console');
  const ingestUrl = urlOf('ingest');

  const reg = demoRegistry();
  try {
    await assertDemoDatabase(
      services.rt.db,
      { usernames: (reg.users ?? []).map((u) => u.username), gatewayIds: (reg.gateways ?? []).map((g) => g.id) },
      safeUrl(config.databaseUrl),
    );
  } catch (err) {
    if (!(err instanceof NotADemoDatabase)) throw err;
    console.error(err.message);
    await services.stop();
    process.exit(2);
  }
  await importRegistry(services.rt.db, registryBody(reg));
  // Planned calls and night checks for a few citizens, the first due within minutes.
  await importRegistry(services.rt.db, demoPlannedWork(reg.citizens!));

  gateway = new GatewayClient({
    ingestUrl,
    keys: reg.gatewayKeys,
    connections: 16,
    signal: stopping.signal,
    onAccepted: (a) => log.accepted(a),
    onDelivery: (d) => log.delivered(d),
  });
  const client = gateway;
  const beat = () => reg.gateways!.forEach((g) => void client.heartbeat(g.id).catch(() => {}));
  beat();
  timers.push(setInterval(beat, HEARTBEAT_EVERY_MS));

  console.log(
    banner({
      consoleUrl,
      ingestUrl,
      logins: DEMO_LOGINS,
      watcher: ALL_MUNICIPALITIES_LOGIN,
      speed: settings.speed,
      seed: settings.seed,
      citizens: reg.citizens!.length,
      gateways: reg.gateways!.length,
      evaluation,
      cookieSecure: config.cookieSecure,
      docs: config.docs,
      metricsToken: config.metricsToken,
    }),
  );

  const token = await login(consoleUrl, ALL_MUNICIPALITIES_LOGIN.username, ALL_MUNICIPALITIES_LOGIN.password);
  feed = await LiveFeed.open(consoleUrl, token, {
    onAlarm: (alarm, at) => log.seen(alarm, at),
    onError: (err) => logger.warn({ err: err.message }, 'live feed connection failed; reconnecting'),
  });
  timers.push(setInterval(() => console.log(log.summary('last 30 s')), SUMMARY_EVERY_MS));

  const start = Date.now();
  traffic = play(
    createTraffic({
      seed: settings.seed,
      speed: settings.speed,
      start,
      fleet: reg.fleet,
      // Unique per run: the demo database keeps earlier runs' alarms, and eventIds are idempotency keys.
      eventIdPrefix: `demo-${start.toString(36)}-`,
    }),
    {
      realStart: start,
      signal: stopping.signal,
      deliver: async (item) => {
        const devices = item.batch ? item.batch.map((e) => e.deviceId) : [item.event.deviceId];
        log.sending(devices);
        try {
          await client.send(item);
        } catch {
          if (!stopping.signal.aborted) log.gaveUp(devices.length);
        } finally {
          log.settled(devices);
        }
      },
    },
  );
}

main().catch(async (err: Error) => {
  console.error(`demo failed: ${err.message}`);
  await stop().catch(() => {});
  process.exit(1);
});
