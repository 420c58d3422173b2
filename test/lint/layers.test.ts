// The layer rules of eslint.config.js, checked the way they fail in practice: a snippet linted as if it
// lived in a layer's folder must be reported when it imports what that layer may not, and left alone
// when it imports what it may. Needs no database; the files named here need not exist.
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

async function lint(filePath: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages;
}

/** A named import of `source`, used, so no other rule has anything to say about the snippet. */
const importFrom = (source: string) => `import { thing } from '${source}';\nexport const used = thing;\n`;

type Layer = {
  /** Where the snippet is linted from. */
  file: string;
  forbidden: string[];
  allowed: string[];
};

const LAYERS: Record<'domain' | 'db' | 'platform' | 'services' | 'bin', Layer> = {
  domain: {
    file: 'domain/rules.ts',
    forbidden: [
      '../db/changes.js',
      '../platform/config.js',
      '../services/console/live-hub.js',
      '../bin/server.js',
      '../test/support/env.js',
      '../load-tests/latency.js',
      'node:fs',
      'fs',
      'node:fs/promises',
      'node:net',
      'node:http',
      'node:https',
      'https',
      'node:child_process',
      'node:dgram',
      'node:worker_threads',
      'pg',
      'kysely',
      'ioredis',
      'bullmq',
      'fastify',
      '@fastify/websocket',
      'fastify-type-provider-zod',
      'ws',
      'pino',
      'prom-client',
      'argon2',
    ],
    // './db-rows.js' is a domain file whose name merely starts like a layer.
    allowed: ['./events.js', './db-rows.js', 'zod'],
  },
  db: {
    file: 'db/alarms.ts',
    forbidden: [
      '../platform/config.js',
      '../services/intake/accept-alarms.js',
      '../bin/migrate.js',
      '../test/support/env.js',
      '../load-tests/latency.js',
      'ioredis',
      'bullmq',
      'fastify',
      '@fastify/cookie',
    ],
    allowed: ['../domain/views.js', './connect.js', 'kysely', 'pg', 'node:fs'],
  },
  platform: {
    file: 'platform/queue.ts',
    forbidden: [
      '../services/console/app.js',
      '../bin/server.js',
      '../test/support/env.js',
      '../load-tests/support/bare-server.js',
    ],
    allowed: ['../db/connect.js', '../domain/events.js', './config.js', 'ioredis', 'bullmq', 'fastify', 'node:http'],
  },
  services: {
    // Two folders deep, so the rules must not depend on how many `../` lead out.
    file: 'services/console/routes/live.ts',
    forbidden: ['../../../bin/server.js', '../../../test/support/env.js', '../../../load-tests/latency.js'],
    allowed: [
      '../../../platform/http.js',
      '../../../db/changes.js',
      '../../../domain/views.js',
      '../schemas.js',
      '../../intake/accept-alarms.js',
      'ws',
    ],
  },
  bin: {
    file: 'bin/server.ts',
    forbidden: ['../test/support/env.js', '../load-tests/latency.js'],
    allowed: ['../services/console/app.js', '../platform/config.js', '../db/connect.js', '../domain/views.js'],
  },
};

describe.each(Object.entries(LAYERS))('%s/', (layer, { file, forbidden, allowed }) => {
  it.each(forbidden)(`may not import %s`, async (source) => {
    const messages = await lint(file, importFrom(source));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ ruleId: 'no-restricted-imports', severity: 2 });
    expect(messages[0]!.message).toContain(`Layer rule: ${layer}/`);
  });

  it.each(allowed)(`may import %s`, async (source) => {
    expect(await lint(file, importFrom(source))).toEqual([]);
  });
});

describe('every way of importing counts', () => {
  const file = 'domain/rules.ts';
  const forbidden = (messages: Linter.LintMessage[], ruleId: string) => {
    expect(messages.map((m) => m.ruleId)).toEqual([ruleId]);
    expect(messages[0]!.message).toContain('Layer rule: domain/');
  };

  it.each([
    ['a type-only import', `import type { Db } from '../db/connect.js';\nexport type D = Db;\n`],
    ['a namespace import', `import * as db from '../db/connect.js';\nexport const d = db;\n`],
    ['a side-effect import', `import 'pg';\n`],
    ['a re-export', `export { connect } from '../db/connect.js';\n`],
    ['a star re-export', `export * from '../db/connect.js';\n`],
  ])('%s', async (_, code) => forbidden(await lint(file, code), 'no-restricted-imports'));

  it('a dynamic import() of a literal path', async () => {
    forbidden(await lint(file, `export const load = () => import('../platform/config.js');\n`), 'no-restricted-syntax');
    forbidden(await lint(file, `export const load = () => import('node:fs');\n`), 'no-restricted-syntax');
    expect(await lint(file, `export const load = () => import('./events.js');\n`)).toEqual([]);
  });
});

describe('test/ and load-tests/ may import anything', () => {
  it.each(['test/console/live.test.ts', 'load-tests/support/client.ts'])('%s', async (file) => {
    for (const source of ['../../bin/server.js', '../../db/changes.js', '../../platform/config.js', 'pg', 'node:fs'])
      expect(await lint(file, importFrom(source))).toEqual([]);
  });
});
