// `npm run docs:permissions`: writes the README's permission matrix (the roles, their permissions, and
// every protected console route with who may call it and how its municipality is decided), generated
// from the routes' own declarations. test/security/permissions.test.ts fails while the README differs.
// Builds the console's routes without serving them: no database or Redis connection is needed.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../db/migrate.js';
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { createRuntime } from '../platform/runtime.js';
import { buildConsoleApp, CONSOLE_PUBLIC_ROUTES } from '../services/console/app.js';
import { declaredRoutes, permissionMatrix, withMatrix } from '../services/console/permission-matrix.js';

const rt = createRuntime(loadConfig(process.env), createLogger('silent', 'docs'));
const built = await buildConsoleApp(rt);
const routes = declaredRoutes(built.app.routeTable, CONSOLE_PUBLIC_ROUTES);
await built.close();
await rt.close();

const readmePath = path.join(projectRoot(), 'README.md');
const before = readFileSync(readmePath, 'utf8');
const after = withMatrix(before, permissionMatrix(routes));
if (after === before) console.log(`README.md: the permission matrix is up to date (${routes.length} routes)`);
else {
  writeFileSync(readmePath, after);
  console.log(`README.md: permission matrix written (${routes.length} routes)`);
}
const undeclared = routes.filter((r) => r.allow === undefined || r.scope === undefined);
if (undeclared.length) {
  console.error(`routes without config.scope: ${undeclared.map((r) => `${r.method} ${r.url}`).join(', ')}`);
  process.exitCode = 1;
}
