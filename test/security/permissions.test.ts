// The permission table: every protected console route declares who may call it (`config.allow`) and
// how its municipality is decided (`config.scope`), and the README's permission matrix is the one
// generated from those declarations. A route added without a scope, or a changed permission, fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../db/migrate.js';
import { buildConsoleApp, CONSOLE_PUBLIC_ROUTES } from '../../services/console/app.js';
import {
  declaredRoutes,
  MATRIX_END,
  MATRIX_START,
  permissionMatrix,
  type DeclaredRoute,
} from '../../services/console/permission-matrix.js';
import { createTestEnv, type TestEnv } from '../support/env.js';

let te: TestEnv;
let routes: DeclaredRoute[];
beforeAll(async () => {
  te = await createTestEnv();
  const built = await buildConsoleApp(te.rt);
  te.onClose(built.close);
  await built.app.ready();
  routes = declaredRoutes(built.app.routeTable, CONSOLE_PUBLIC_ROUTES);
});
afterAll(() => te.close());

describe('the permission table', () => {
  it('has every protected console route, each declaring its permission and its municipality scope', () => {
    expect(routes.length).toBeGreaterThanOrEqual(28);
    const undeclared = routes.filter((r) => r.allow === undefined || r.scope === undefined);
    expect(
      undeclared.map((r) => `${r.method} ${r.url}`),
      'set config.scope on these routes (services/console/protected.ts, RouteScope), then run npm run docs:permissions',
    ).toEqual([]);
  });

  it('names only parameters the route has', () => {
    const wrong = routes.filter((r) => {
      const s = r.scope;
      if (s === undefined || typeof s === 'string') return false;
      const inPath = 'municipality' in s ? s.municipality === 'path' : s.in === 'path';
      return inPath && !r.url.split('/').includes(`:${s.param}`);
    });
    expect(wrong.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  it('is the README’s permission matrix (npm run docs:permissions writes it)', () => {
    const readme = readFileSync(path.join(projectRoot(), 'README.md'), 'utf8');
    const start = readme.indexOf(MATRIX_START);
    const end = readme.indexOf(MATRIX_END);
    expect(start, 'README.md has the permission matrix markers').toBeGreaterThanOrEqual(0);
    expect(
      readme.slice(start, end + MATRIX_END.length),
      'the README’s permission matrix is out of date: run npm run docs:permissions',
    ).toBe(permissionMatrix(routes));
  });
});
