// Who a console request acts as, for the audit trail (db/audit.ts): the session's user and role, the
// session's id, the client's address (TRUST_PROXY decides which) and the server's request id.
import type { FastifyRequest } from 'fastify';
import { recordAudit, type AuditActor, type AuditFact } from '../../db/audit.js';
import type { Db, Trx } from '../../db/connect.js';

export function actorOf(
  req: Pick<FastifyRequest, 'ip' | 'id'> & { consoleSession?: FastifyRequest['consoleSession'] },
): AuditActor {
  const s = req.consoleSession;
  return {
    actor: s?.user.username ?? null,
    role: s?.user.role ?? null,
    sessionId: s?.id ?? null,
    address: req.ip,
    requestId: String(req.id),
  };
}

/** Record what this request did (or was refused), one row per fact, in one statement. */
export async function audit(db: Db | Trx, by: AuditActor, ...facts: AuditFact[]): Promise<void> {
  await recordAudit(
    db,
    facts.map((f) => ({ ...by, ...f })),
  );
}
