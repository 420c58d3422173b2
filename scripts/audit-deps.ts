// `npm run audit:deps` (run by .ci/run): known vulnerabilities in the installed dependency tree fail the run.
//
// 1. `npm audit`, when the registry answers it: production dependencies at `high` or worse fail, and
//    development dependencies (the build, the tests, the dev server, which run on developers' machines and
//    in CI) at `critical`; everything lower is printed, not failed.
// 2. When the registry does not answer audit requests (offline, or a mirror without the advisory endpoint,
//    as on the project's own machines), it says so and checks package-lock.json against the advisories
//    kept in scripts/advisories.json (GitHub advisory ids, the vulnerable version ranges, severities), at
//    the same levels. That list is a floor, not a feed: add an advisory to it when one affecting a package
//    of the tree is published (npm audit where it works, the GitHub advisory database). It fails like the
//    online check; test/ops/audit-deps.test.ts proves that it does.
//
// AUDIT_OFFLINE=1 skips the registry.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** The least severity that fails the run, for production and for development dependencies. */
export const FAIL_AT: Record<'prod' | 'dev', Severity> = { prod: 'high', dev: 'critical' };

const atLeast = (s: Severity, floor: Severity) => SEVERITIES.indexOf(s) >= SEVERITIES.indexOf(floor);

// ---- Versions and ranges (the subset advisories use: comparators joined by spaces, alternatives by ||) ----

type Version = [number, number, number, string];

export function parseVersion(v: string): Version | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] ?? ''] : null;
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  if (a[3] === b[3]) return 0;
  if (a[3] === '') return 1; // a release is above its pre-releases
  if (b[3] === '') return -1;
  return a[3] < b[3] ? -1 : 1;
}

/** Whether `version` lies in `range`, e.g. `>=8.0.0 <8.17.1 || <7.5.10`. An unparseable range throws. */
export function inRange(version: string, range: string): boolean {
  const v = parseVersion(version);
  if (!v) return false;
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .split(/\s+/)
      .every((comparator) => {
        const m = /^(<=|>=|<|>|=)?(.+)$/.exec(comparator);
        const bound = m && parseVersion(m[2]!);
        if (!m || !bound) throw new Error(`cannot read the range "${range}"`);
        const c = compare(v, bound);
        switch (m[1]) {
          case '<':
            return c < 0;
          case '<=':
            return c <= 0;
          case '>':
            return c > 0;
          case '>=':
            return c >= 0;
          default:
            return c === 0;
        }
      }),
  );
}

// ---- The lockfile against the advisories ----

export type Advisory = { id: string; package: string; vulnerable: string; severity: Severity; title: string };
export type Installed = { name: string; version: string; dev: boolean; where: string };
export type Finding = Installed & { advisory: Advisory; fails: boolean };

/** Every package package-lock.json (v2/v3) installs, with whether only development needs it. */
export function installedPackages(lock: {
  packages?: Record<string, { version?: string; dev?: boolean }>;
}): Installed[] {
  return Object.entries(lock.packages ?? {})
    .filter(([where, p]) => where.includes('node_modules/') && p.version)
    .map(([where, p]) => ({
      name: where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length),
      version: p.version!,
      dev: p.dev === true,
      where,
    }));
}

export function checkLockfile(installed: readonly Installed[], advisories: readonly Advisory[]): Finding[] {
  const byName = new Map<string, Advisory[]>();
  for (const a of advisories) byName.set(a.package, [...(byName.get(a.package) ?? []), a]);
  return installed.flatMap((p) =>
    (byName.get(p.name) ?? [])
      .filter((a) => inRange(p.version, a.vulnerable))
      .map((a) => ({ ...p, advisory: a, fails: atLeast(a.severity, FAIL_AT[p.dev ? 'dev' : 'prod']) })),
  );
}

// ---- npm audit ----

type AuditJson = { metadata?: { vulnerabilities?: Record<Severity | 'total', number> }; error?: unknown };

function npmAudit(args: string[]): Promise<AuditJson | null> {
  return new Promise((resolve) => {
    execFile('npm', ['audit', '--json', ...args], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 }, (_err, stdout) => {
      // npm audit exits non-zero when it finds something: the JSON decides, not the exit code.
      try {
        const json = JSON.parse(stdout) as AuditJson;
        resolve(json.metadata?.vulnerabilities ? json : null);
      } catch {
        resolve(null);
      }
    });
  });
}

const counts = (v: Record<string, number>) =>
  SEVERITIES.filter((s) => v[s])
    .map((s) => `${v[s]} ${s}`)
    .join(', ') || 'none';

async function main(): Promise<number> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  if (process.env.AUDIT_OFFLINE !== '1') {
    const prod = await npmAudit(['--omit=dev']);
    const all = prod && (await npmAudit([]));
    if (prod && all) {
      const p = prod.metadata!.vulnerabilities!;
      const a = all.metadata!.vulnerabilities!;
      console.log(`npm audit: production dependencies: ${counts(p)}; all, development included: ${counts(a)}`);
      const prodFails = SEVERITIES.filter((s) => atLeast(s, FAIL_AT.prod)).some((s) => p[s] > 0);
      const devFails = SEVERITIES.filter((s) => atLeast(s, FAIL_AT.dev)).some((s) => a[s] > 0);
      if (prodFails || devFails) {
        console.error(
          `FAILED: ${prodFails ? `production dependencies at ${FAIL_AT.prod} or worse` : ''}${prodFails && devFails ? '; ' : ''}${devFails ? `dependencies at ${FAIL_AT.dev}` : ''}: run npm audit for the details`,
        );
        return 1;
      }
      return 0;
    }
    console.warn(
      'npm audit: the registry did not answer the audit request (offline, or a mirror without the advisory endpoint); checking package-lock.json against scripts/advisories.json instead',
    );
  }
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const advisories = (
    JSON.parse(readFileSync(path.join(root, 'scripts', 'advisories.json'), 'utf8')) as {
      advisories: Advisory[];
    }
  ).advisories;
  const installed = installedPackages(lock);
  const findings = checkLockfile(installed, advisories);
  console.log(
    `offline audit: ${installed.length} installed packages against ${advisories.length} advisories: ${findings.length} affected`,
  );
  for (const f of findings)
    console.log(
      `  ${f.fails ? 'FAIL' : 'note'} ${f.name}@${f.version} (${f.dev ? 'development' : 'production'}, ${f.where}): ${f.advisory.severity} ${f.advisory.id} ${f.advisory.title}`,
    );
  if (findings.some((f) => f.fails)) {
    console.error(`FAILED: production dependencies at ${FAIL_AT.prod} or worse, or any at ${FAIL_AT.dev}`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
