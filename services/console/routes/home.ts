// A placeholder page at / until the browser console exists: says what this server is and where the API is documented.
import type { HttpPlugin } from '../../../platform/http.js';

const PAGE = `<!doctype html>
<html lang="da">
<head><meta charset="utf-8"><title>Responscenter</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Responscenter</h1>
<p>The console server is running. The browser console is not built yet.</p>
<p>The API (log in, alarms, citizen cards, dispatches, the live feed) is documented at <a href="/docs">/docs</a>.</p>
</body>
</html>
`;

export const homeRoutes: HttpPlugin = async (app) => {
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
};
