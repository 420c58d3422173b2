// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// ---- Layers ----
// The top-level folders point one way: domain/ ← db/ ← platform/ ← services/ ← bin/. test/ and
// load-tests/ may import anything; nothing in the product imports them. Each layer gets one
// `no-restricted-imports` (static imports and `export … from`) and one `no-restricted-syntax`
// (`import('…')` with a literal path) built from the same patterns. Relative paths are matched as
// written: any number of `../` followed by a forbidden top-level folder.

/** An import path that climbs out of the current folder into one of `folders`. */
const intoFolders = (folders) => `^(\\./)?(\\.\\./)+(${folders.join('|')})(/|$)`;
/** A package (or one of its subpaths) among `names`, which may be regex fragments. */
const packages = (names) => `^(${names.join('|')})(/|$)`;

/** Node modules that reach the file system, network, processes or the host. */
const NODE_IO = [
  'fs',
  'net',
  'http',
  'https',
  'http2',
  'child_process',
  'dgram',
  'dns',
  'tls',
  'cluster',
  'worker_threads',
  'readline',
  'repl',
  'inspector',
  'os',
  'process',
  'sqlite',
];
const FASTIFY = ['fastify', 'fastify-[^/]+', '@fastify/[^/]+'];
/** Packages that talk to a database, Redis, the network, a log or a metrics endpoint, or hash passwords. */
const IO_PACKAGES = [
  'pg',
  'pg-[^/]+',
  'kysely',
  'ioredis',
  'bullmq',
  ...FASTIFY,
  'ws',
  'undici',
  'pino',
  'pino-[^/]+',
  'prom-client',
  'argon2',
  'close-with-grace',
  'autocannon',
];

const LAYERS = [
  {
    folder: 'domain',
    patterns: [
      {
        regex: intoFolders(['db', 'platform', 'services', 'bin', 'test', 'load-tests']),
        message:
          'Layer rule: domain/ (pure rules) imports only domain/, not db/, platform/, services/, bin/, test/ or load-tests/.',
      },
      {
        regex: packages([`(node:)?(${NODE_IO.join('|')})`, ...IO_PACKAGES]),
        message:
          'Layer rule: domain/ (pure rules) does no I/O: no file system, network, process, database, Redis, HTTP, logging, metrics or hashing modules (zod is fine). Do the I/O in db/, platform/ or services/ and pass the data in.',
      },
    ],
  },
  {
    folder: 'db',
    patterns: [
      {
        regex: intoFolders(['platform', 'services', 'bin', 'test', 'load-tests']),
        message:
          'Layer rule: db/ (all SQL) imports only db/ and domain/, not platform/, services/, bin/, test/ or load-tests/.',
      },
      {
        regex: packages(['ioredis', 'bullmq', ...FASTIFY]),
        message: 'Layer rule: db/ (all SQL) uses no Redis, queue or HTTP modules; they belong in platform/.',
      },
    ],
  },
  {
    folder: 'platform',
    patterns: [
      {
        regex: intoFolders(['services', 'bin', 'test', 'load-tests']),
        message:
          'Layer rule: platform/ (adapters) imports only platform/, db/ and domain/, not services/, bin/, test/ or load-tests/.',
      },
    ],
  },
  {
    folder: 'services',
    patterns: [
      {
        regex: intoFolders(['bin', 'test', 'load-tests']),
        message:
          'Layer rule: services/ imports only services/, platform/, db/ and domain/, not bin/, test/ or load-tests/.',
      },
    ],
  },
  {
    folder: 'bin',
    patterns: [
      {
        regex: intoFolders(['test', 'load-tests']),
        message: 'Layer rule: bin/ is product code and imports nothing from test/ or load-tests/.',
      },
    ],
  },
];

const layerConfigs = LAYERS.map(({ folder, patterns }) => ({
  name: `layers/${folder}`,
  files: [`${folder}/**`],
  rules: {
    'no-restricted-imports': ['error', { patterns }],
    'no-restricted-syntax': [
      'error',
      ...patterns.map(({ regex, message }) => ({
        selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\/')}/i]`,
        message,
      })),
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/', 'coverage/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
      'no-console': 'off',
    },
  },
  ...layerConfigs,
);
