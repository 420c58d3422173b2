// `npm run registry:import -- registry.json`: onboarding from a file. The same importRegistry, in the same
// single transaction, as PUT /v1/admin/registry; the database is created and migrated first when missing.
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { safeUrl } from '../platform/config.js';
import { createDb, createPool } from '../db/connect.js';
import { prepareDatabase, StartupError } from '../platform/boot.js';
import { HttpError } from '../platform/errors.js';
import { loadConfigOrExit } from './start.js';
import { importRegistry, type ImportResult, type Registry } from '../services/admin/registry.js';

const USAGE = `usage: npm run registry:import -- <registry.json>
       npm run registry:import -- --example     print an example file

The file is a JSON object in the shape of PUT /v1/admin/registry: municipalities, gateways, citizens,
devices and users (every array optional). Everything is upserted in one transaction; API keys and
passwords are stored only as hashes. A new gateway given without apiKey gets a generated key, printed
once; an apiKey in the file is accepted for compatibility, with a warning.`;

/** A minimal file to start from: one municipality, its gateway, one citizen with a device, one operator. */
const EXAMPLE: Registry = {
  municipalities: [{ id: 'aabenraa', name: 'Aabenraa', code: '580' }],
  gateways: [
    {
      id: 'gw-aabenraa',
      name: 'Aabenraa alarm gateway',
      // No apiKey: the import generates one and prints it once.
      municipalities: ['aabenraa'],
      heartbeatSeconds: 300,
    },
  ],
  citizens: [
    {
      id: 'c-580-0001',
      municipality: 'aabenraa',
      name: 'Karen Testesen',
      address: 'Eksempelvej 1, 6200 Aabenraa',
      phone: '+45 0000 0001',
      keySafe: 'Nøgleboks ved hoveddøren',
      notes: '',
    },
  ],
  devices: [{ id: 'DK-AAB-00001', citizenId: 'c-580-0001', gatewayId: 'gw-aabenraa' }],
  users: [{ username: 'operator-aabenraa', password: 'change-me-now', role: 'operator', municipalities: ['aabenraa'] }],
};

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

async function readRegistryFile(file: string): Promise<unknown> {
  let text: string;
  try {
    // npm runs scripts from the package root; INIT_CWD is where the user typed the command.
    text = await readFile(path.resolve(process.env.INIT_CWD ?? process.cwd(), file), 'utf8');
  } catch (err) {
    fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    fail(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function describe({ keys, warnings, ...counts }: ImportResult): string {
  const lines = Object.entries(counts).map(
    ([what, c]) =>
      `  ${what.padEnd(15)} created ${String(c.created).padStart(5)}   updated ${String(c.updated).padStart(5)}` +
      ('withdrawn' in c ? `   withdrawn ${String(c.withdrawn).padStart(5)}` : ''),
  );
  for (const w of warnings) lines.push(`warning: ${w}`);
  if (keys.length) {
    lines.push(
      '',
      'API keys generated for new gateways (shown this once, only their hash is stored; give each to its gateway):',
    );
    for (const k of keys) lines.push(`  ${k.gateway}  ${k.key}  (key id ${k.keyId})`);
  }
  return lines.join('\n');
}

const args = process.argv.slice(2);
if (args.includes('--example')) {
  console.log(JSON.stringify(EXAMPLE, null, 2));
  process.exit(0);
}
if (args.length !== 1 || args[0]!.startsWith('-')) {
  console.error(USAGE);
  process.exit(args.includes('--help') || args.includes('-h') ? 0 : 2);
}
const file = args[0]!;
const input = await readRegistryFile(file);

const config = loadConfigOrExit();
try {
  await prepareDatabase(config);
} catch (err) {
  fail(err instanceof StartupError ? err.message : `preparing the database failed: ${(err as Error).message}`);
}
const db = createDb(createPool(config.databaseUrl, { max: 4, applicationName: 'responscenter-registry-import' }));
try {
  // Audited like an upload; the command line has no console user, so the operating-system account stands in.
  const result = await importRegistry(db, input, {
    actor: `os:${userInfo().username}`,
    role: null,
    sessionId: null,
    address: null,
    requestId: null,
  });
  console.log(`imported ${file} into ${safeUrl(config.databaseUrl)}\n${describe(result)}`);
} catch (err) {
  await db.destroy();
  if (err instanceof HttpError) fail(`${file} was not imported, nothing changed: ${err.message}`);
  fail(`importing ${file} failed: ${(err as Error).message}`);
}
await db.destroy();
