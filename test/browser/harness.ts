// The browser tests' world: a console, an ingest and a triage worker on a private database, and Debian's
// chromium driven by playwright-core against the built console (dist/web/). Each test file gets its own,
// built before its tests and closed after them; pages log in as the test registry's users.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Registry } from '../../services/admin/registry.js';
import { buildConsoleApp, type ConsoleApp } from '../../services/console/app.js';
import { WEB_DIR } from '../../services/console/routes/home.js';
import { buildIngestApp } from '../../services/ingest/app.js';
import { createTriageWorker } from '../../services/triage/worker.js';
import { createTestEnv, gatewayKey, seedRegistry, testRegistry, type TestEnv } from '../support/env.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export type BrowserFixture = {
  readonly te: TestEnv;
  readonly browser: Browser;
  readonly consoleUrl: string;
  /** A new browser (its own cookies and storage), logged in as `username`, its feed connected. */
  loggedIn(username: string, opts?: { live?: boolean; context?: BrowserContext }): Promise<Page>;
  /** Log in on a page that shows the login form. */
  logIn(page: Page, username: string): Promise<void>;
  /** POST one event through ingest as municipality m's gateway; the alarm's id. */
  post(m: string, event: Record<string, unknown>): Promise<string>;
  /** POST up to 1000 events through ingest's batch route; the alarms' ids in order. */
  postBatch(m: string, events: Record<string, unknown>[]): Promise<string[]>;
  /** A bearer token of a test user, for arranging things through the API. */
  token(username: string): Promise<string>;
  /** Call the console's API as `username`. */
  api(username: string, method: string, url: string, body?: unknown): Promise<Response>;
  /** Stop the console server (its live feeds close with 1001). */
  stopConsole(): Promise<void>;
  /** Start a new console server on the same port and database. */
  startConsole(): Promise<void>;
};

/** Counts the tones the page starts: every sound it plays starts WebAudio oscillators. */
const TONE_SPY = `
  window.__tones = 0;
  const start = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () { window.__tones++; return start.call(this); };
`;

/**
 * Tones the page has played so far. (Read with evaluate and polled from the test: a waitForFunction
 * given a string would be evaluated in the page, which its CSP forbids.)
 */
export const tones = async (page: Page) => Number(await page.evaluate('window.__tones'));

/** The board's row holding this alarm (a row is an incident: it holds every alarm of it). */
export const row = (page: Page, alarmId: string) => page.locator(`tr.row[data-alarms~="${alarmId}"]`);

/** `worker: false` runs no triage worker (triage down). */
export function browserFixture(
  opts: { registry?: Registry; env?: Record<string, string>; worker?: boolean } = {},
): BrowserFixture {
  const reg = opts.registry ?? testRegistry();
  const passwords = new Map(reg.users!.map((u) => [u.username, u.password]));
  let te: TestEnv;
  let browser: Browser;
  let consoleApp: ConsoleApp | null = null;
  let consoleUrl: string;
  let port: number;
  let ingestUrl: string;
  const tokens = new Map<string, string>();

  async function startConsole() {
    const built = await buildConsoleApp(te.runtime());
    consoleApp = built;
    consoleUrl = await built.app.listen({ port: port ?? 0, host: '127.0.0.1' });
    port = Number(new URL(consoleUrl).port);
  }
  async function stopConsole() {
    const app = consoleApp;
    consoleApp = null;
    await app?.close();
  }

  beforeAll(async () => {
    // Both are installed by `npm ci` (the build) and `.ci/run` (chromium); a missing one is a failure, not a skip.
    if (!existsSync(path.join(WEB_DIR, 'index.html')))
      throw new Error(`no console build in ${WEB_DIR}: run npm run build`);
    if (!CHROMIUM) throw new Error('no chromium: apt-get install -y chromium (.ci/run does)');
    te = await createTestEnv(opts.env);
    await seedRegistry(te, reg);
    await startConsole();
    te.onClose(stopConsole);
    const ingest = await buildIngestApp(te.runtime());
    te.onClose(() => ingest.close());
    ingestUrl = await ingest.app.listen({ port: 0, host: '127.0.0.1' });
    if (opts.worker !== false) {
      const worker = createTriageWorker(te.runtime(), { superviseEveryMs: 60_000 });
      te.onClose(() => worker.close());
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await te?.close();
  });

  async function logIn(page: Page, username: string) {
    await page.getByLabel('Brugernavn').fill(username);
    await page.getByLabel('Adgangskode').fill(passwords.get(username)!);
    await page.getByRole('button', { name: 'Log ind' }).click();
  }

  const fx: BrowserFixture = {
    get te() {
      return te;
    },
    get browser() {
      return browser;
    },
    get consoleUrl() {
      return consoleUrl;
    },
    async loggedIn(username, o = {}) {
      const context = o.context ?? (await browser.newContext());
      // Count the page's tones: every sound starts oscillators.
      await context.addInitScript(TONE_SPY);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // The page's CSP allows nothing inline: a violation would show here.
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text());
      });
      te.onClose(() => expect(errors).toEqual([]));
      await page.goto(consoleUrl);
      await logIn(page, username);
      if (o.live !== false)
        await page.getByRole('status').filter({ hasText: 'Forbundet' }).waitFor({ timeout: 10_000 });
      return page;
    },
    logIn,
    async post(m, event) {
      const res = await fetch(`${ingestUrl}/v1/alarms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${gatewayKey(m)}` },
        body: JSON.stringify(event),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { alarmId: string }).alarmId;
    },
    async postBatch(m, events) {
      const res = await fetch(`${ingestUrl}/v1/alarms/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${gatewayKey(m)}` },
        body: JSON.stringify({ events }),
      });
      expect(res.status).toBe(202);
      const { results } = (await res.json()) as { results: { alarmId?: string; error?: string }[] };
      return results.map((r) => {
        if (!r.alarmId) throw new Error(`event refused: ${r.error}`);
        return r.alarmId;
      });
    },
    async token(username) {
      let tk = tokens.get(username);
      if (!tk) {
        const res = await fetch(`${consoleUrl}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password: passwords.get(username) }),
        });
        expect(res.status).toBe(200);
        tk = ((await res.json()) as { token: string }).token;
        tokens.set(username, tk);
      }
      return tk;
    },
    async api(username, method, url, body) {
      return fetch(`${consoleUrl}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${await fx.token(username)}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    },
    stopConsole,
    startConsole,
  };
  return fx;
}
