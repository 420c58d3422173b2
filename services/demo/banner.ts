// What a newcomer reads first: where to look and how to log in.
import type { DemoLogin } from '../simulator/registry.js';

export type BannerFacts = {
  consoleUrl: string;
  ingestUrl: string;
  logins: readonly DemoLogin[];
  watcher: DemoLogin;
  speed: number;
  seed: number;
  citizens: number;
  gateways: number;
  /** The triage evaluation's short summary (services/simulator/eval-triage.ts `shortSummary`). */
  evaluation?: readonly string[];
  /** COOKIE_SECURE: false when the demo runs over plain HTTP on this machine. */
  cookieSecure: boolean;
  docs: 'public' | 'login' | 'off';
  metricsToken: string | undefined;
};

/** The logins as a table: username, password, role, scope. */
export function loginsTable(logins: readonly DemoLogin[]): string[] {
  const rows = [
    ['username', 'password', 'role', 'scope'],
    ...logins.map((l) => [l.username, l.password, l.role, l.scope]),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)) + 2);
  return rows.map((r) => '  ' + r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell)).join(''));
}

export function banner(f: BannerFacts): string {
  const simulatedDayMinutes = Math.round(1440 / f.speed);
  return [
    '',
    'Responscenter demo: seven municipalities, simulated gateway traffic',
    '',
    `  console          ${f.consoleUrl}/`,
    `  console OpenAPI  ${f.consoleUrl}/docs`,
    `  ingest OpenAPI   ${f.ingestUrl}/docs`,
    `  registry         7 municipalities, ${f.citizens} fictional citizens with alarm units, ${f.gateways} gateways`,
    `  traffic          ${f.speed}× real time (DEMO_SPEED; a simulated day in ${simulatedDayMinutes || '<1'} min), seed ${f.seed} (DEMO_SEED)`,
    f.cookieSecure
      ? '  session cookie   __Host-rc_session, Secure: open the console over HTTPS or on localhost'
      : '  session cookie   rc_session over plain HTTP, on this machine only (COOKIE_SECURE=false; production keeps the Secure __Host- cookie behind HTTPS)',
    `  OpenAPI          ${f.docs === 'public' ? 'open to anyone (DOCS=public; production default: login)' : `DOCS=${f.docs}`}`,
    ...(f.metricsToken
      ? [`  metrics          curl -H 'authorization: Bearer ${f.metricsToken}' ${f.consoleUrl}/metrics`]
      : []),
    '',
    'Demo logins:',
    ...loginsTable(f.logins),
    '',
    'Try:',
    `  TOKEN=$(curl -s ${f.consoleUrl}/v1/auth/login -H 'content-type: application/json' \\`,
    `    -d '{"username":"${f.watcher.username}","password":"${f.watcher.password}"}' | jq -r .token)`,
    `  curl -s "${f.consoleUrl}/v1/alarms?status=open&limit=5" -H "authorization: Bearer $TOKEN" | jq`,
    '',
    ...(f.evaluation ? [...f.evaluation, ''] : []),
    `Triaged alarms as "${f.watcher.username}" sees them on the live feed; ms = from the gateway's 202 to the`,
    'triaged alarm on the feed. Ctrl-C stops everything.',
    '',
  ].join('\n');
}
