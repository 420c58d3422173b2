// The operator console's page at /, and its assets under /assets/: the front end in web/, built by
// `npm run build` into dist/web/. Without a build, a page that says so and where the API is documented.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { projectRoot } from '../../../db/migrate.js';
import type { HttpPlugin } from '../../../platform/http.js';

/** Where `npm run build` puts the console's front end. */
export const WEB_DIR = path.join(projectRoot(), 'dist', 'web');

const PAGE = `<!doctype html>
<html lang="da">
<head><meta charset="utf-8"><title>Responscenter</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Responscenter</h1>
<p>The console server is running, but its browser console is not built: run <code>npm run build</code>.</p>
<p>The API (log in, alarms, citizen cards, dispatches, the live feed) is documented at <a href="/docs">/docs</a>.</p>
</body>
</html>
`;

/**
 * The page's security headers (helmet's defaults) and a strict content security policy: only this
 * origin's own scripts, styles and connections (the API and the live feed), nothing inline, no
 * frames, no plugins. The built page has no inline script or style, so it needs no exception.
 */
const PAGE_HELMET = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      connectSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
};

export const homeRoutes: HttpPlugin = async (app) => {
  // Only for the console's page: the API's JSON and the OpenAPI pages keep their own headers.
  await app.register(fastifyHelmet, { global: false });
  const index = path.join(WEB_DIR, 'index.html');
  const built = existsSync(index);
  // Read once: the page changes only with a new build, and a new build means a restart.
  const page = built ? readFileSync(index, 'utf8') : PAGE;
  app.get('/', { schema: { hide: true }, helmet: PAGE_HELMET }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(page),
  );
  if (built)
    await app.register(fastifyStatic, {
      root: path.join(WEB_DIR, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      schemaHide: true,
      // Built file names carry a hash of their content.
      immutable: true,
      maxAge: '365d',
    });
};
