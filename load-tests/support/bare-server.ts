// The floor the benchmarks measure the services against, in the same run: bare Fastify routes that
// parse the same JSON (one event, or a batch) and answer 202, and a bare `ws` server that tells its
// clients about each accepted event right after the answer, in the live feed's message shape. No
// validation, no storage.
// Run as its own process: `tsx load-tests/support/bare-server.ts <port>`.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.argv[2] ?? 18390);
const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
const clients = new Set<WebSocket>();
let seq = 0;

app.get('/readyz', async () => ({ status: 'ready' }));

/**
 * Once the answer is written, as the services do: the change reaches the feed once the alarm is accepted.
 * (A client may still see the push before it has read a large answer, such as a batch's.)
 */
function pushAfter(reply: FastifyReply, accepted: { alarmId: string; type: unknown }[]): void {
  reply.raw.once('finish', () => {
    for (const a of accepted) {
      const message = JSON.stringify({
        type: 'alarm',
        seq: ++seq,
        alarm: { id: a.alarmId, type: a.type, triage: { class: 'phone_resolvable', priority: 3 } },
      });
      for (const c of clients) c.send(message);
    }
  });
}

app.post('/v1/alarms', async (req, reply) => {
  const event = req.body as { type?: string };
  const alarmId = randomUUID();
  pushAfter(reply, [{ alarmId, type: event.type }]);
  return reply.code(202).send({ alarmId, duplicate: false });
});

app.post('/v1/alarms/batch', async (req, reply) => {
  const { events } = req.body as { events: { eventId?: string; type?: string }[] };
  const results = events.map((e) => ({ eventId: e.eventId, alarmId: randomUUID(), duplicate: false }));
  pushAfter(
    reply,
    results.map((r, i) => ({ alarmId: r.alarmId, type: events[i]!.type })),
  );
  return reply.code(202).send({ results });
});

const wss = new WebSocketServer({ noServer: true });
app.server.on('upgrade', (req, socket, head) => {
  if (!req.url?.startsWith('/v1/live')) return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.send(JSON.stringify({ type: 'synced', seq }));
  });
});

await app.listen({ port, host: '127.0.0.1' });
const stop = async () => {
  for (const c of clients) c.terminate();
  await app.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
