// The naive floor of durable ingest: what "a 202 only once committed" costs without any cleverness.
// POST /v1/alarms stores each event with one INSERT … ON CONFLICT DO NOTHING in its own commit,
// through a pg pool of NAIVE_POOL connections (16, as the conformance check's floor). No validation,
// no authentication, no queueing. Run as its own process:
// `DATABASE_URL=… NAIVE_POOL=16 tsx load-tests/support/naive-server.ts <port>`.
import Fastify from 'fastify';
import pg from 'pg';

const port = Number(process.argv[2] ?? 18391);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.NAIVE_POOL ?? 16) });
await pool.query(`CREATE TABLE IF NOT EXISTS naive_alarms (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id text NOT NULL UNIQUE,
  body jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
)`);

const app = Fastify({ logger: false });
app.get('/readyz', async () => ({ status: 'ready' }));
app.post('/v1/alarms', async (req, reply) => {
  const event = req.body as { eventId: string };
  const { rows } = await pool.query<{ id: string }>(
    'INSERT INTO naive_alarms (event_id, body) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING RETURNING id',
    [event.eventId, event],
  );
  const alarmId = rows[0]?.id;
  return reply.code(alarmId ? 202 : 200).send({ alarmId: alarmId ?? null, duplicate: !alarmId });
});

await app.listen({ port, host: '127.0.0.1' });
const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
