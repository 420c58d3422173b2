// The offline dependency audit (scripts/audit-deps.ts) fails on a vulnerable package: it is the check CI
// runs wherever the registry does not answer npm audit, so it must be able to fail.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../db/migrate.js';
import { checkLockfile, inRange, installedPackages, SEVERITIES, type Advisory } from '../../scripts/audit-deps.js';

const root = projectRoot();
const advisories = (
  JSON.parse(readFileSync(path.join(root, 'scripts', 'advisories.json'), 'utf8')) as { advisories: Advisory[] }
).advisories;

const lockWith = (packages: Record<string, { version: string; dev?: boolean }>) => ({
  packages: { '': { version: '0.1.0' }, ...packages },
});

describe('the offline dependency audit', () => {
  it('reads version ranges as advisories write them', () => {
    expect(inRange('8.17.0', '>=8.0.0 <8.17.1 || <7.5.10')).toBe(true);
    expect(inRange('8.17.1', '>=8.0.0 <8.17.1 || <7.5.10')).toBe(false);
    expect(inRange('7.5.9', '>=8.0.0 <8.17.1 || <7.5.10')).toBe(true);
    expect(inRange('1.0.0-beta.1', '<1.0.0')).toBe(true);
    expect(inRange('1.0.0', '=1.0.0')).toBe(true);
    expect(inRange('1.0.1', '<=1.0.0')).toBe(false);
    expect(() => inRange('1.0.0', '^1.0.0')).toThrow(/cannot read/);
  });

  it('fails a vulnerable production package at high, a development one only at critical', () => {
    const findings = checkLockfile(
      installedPackages(
        lockWith({
          'node_modules/ws': { version: '8.17.0' },
          'node_modules/fastify/node_modules/find-my-way': { version: '8.2.1' },
          'node_modules/cross-spawn': { version: '7.0.3', dev: true },
          'node_modules/form-data': { version: '4.0.0', dev: true },
          'node_modules/semver': { version: '7.5.1' },
          'node_modules/pg': { version: '8.0.0' },
        }),
      ),
      advisories,
    );
    const fails = (name: string) => findings.filter((f) => f.name === name).map((f) => f.fails);
    expect(fails('ws')).toEqual([true]);
    expect(fails('find-my-way')).toEqual([true]);
    expect(fails('cross-spawn')).toEqual([false]); // high, development only
    expect(fails('form-data')).toEqual([true]); // critical
    expect(fails('semver')).toEqual([false]); // moderate
    expect(fails('pg')).toEqual([]);
  });

  it('reads every package of the real lockfile, and finds none of them failing', () => {
    const installed = installedPackages(JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')));
    expect(installed.length).toBeGreaterThan(100);
    expect(installed.some((p) => p.name === 'fastify' && !p.dev)).toBe(true);
    expect(installed.some((p) => p.name === 'vitest' && p.dev)).toBe(true);
    expect(checkLockfile(installed, advisories).filter((f) => f.fails)).toEqual([]);
  });

  it('keeps advisories it can read: a known severity, a readable range, a package of the tree', () => {
    const names = new Set(
      installedPackages(JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'))).map((p) => p.name),
    );
    for (const a of advisories) {
      expect(SEVERITIES, a.id).toContain(a.severity);
      expect(() => inRange('0.0.0', a.vulnerable), a.id).not.toThrow();
      expect(a.id).toMatch(/^GHSA-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/);
      expect(names.has(a.package), `${a.id}: ${a.package} is in package-lock.json`).toBe(true);
    }
  });
});
