// The demo seeds published passwords and gateway keys. Pointed at a database that holds anyone else's
// users or gateways, it would hand out logins to real data, so it refuses and says why.
import { rowsBeyond } from '../../db/registry.js';
import type { Db } from '../../db/connect.js';

export class NotADemoDatabase extends Error {}

/** The database the demo uses when DATABASE_URL is not set: never the one `npm start` uses. */
export const DEMO_DATABASE = 'responscenter_demo';

/** Throws NotADemoDatabase when the database has users or gateways the demo registry does not. */
export async function assertDemoDatabase(
  db: Db,
  demo: { usernames: readonly string[]; gatewayIds: readonly string[] },
  where: string,
): Promise<void> {
  const beyond = await rowsBeyond(db, demo);
  if (beyond.users === 0 && beyond.gateways === 0) return;
  throw new NotADemoDatabase(
    `refusing to seed the demo into ${where}: it holds ${beyond.users} user(s) and ${beyond.gateways} gateway(s) ` +
      'that are not the demo’s, and the demo installs published passwords and gateway keys. ' +
      `Point DATABASE_URL at an empty database, or leave it unset to use ${DEMO_DATABASE}.`,
  );
}
