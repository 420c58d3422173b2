// The simulated gateway against a stand-in ingest (node:http, no services): Bearer key per gateway, retries
// on 503/429 after Retry-After and on a dropped connection, always with the same eventId, bounded; and the
// callback reports each new alarm once with the time its 202 arrived.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient, type Accepted } from '../../services/simulator/gateway.js';
import type { GatewayEvent } from '../../services/simulator/profile.js';

type Seen = { path: string; auth: string | undefined; body: { eventId?: string; events?: GatewayEvent[] } };
type Answer = { status: number; body?: unknown; headers?: Record<string, string>; drop?: boolean };

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** An ingest stand-in answering from a script, one answer per request (the last one repeats). */
async function fakeIngest(script: Answer[]) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      seen.push({ path: req.url!, auth: req.headers.authorization, body: JSON.parse(data) });
      const a = script[Math.min(seen.length - 1, script.length - 1)]!;
      if (a.drop) return req.socket.destroy();
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(JSON.stringify(a.body ?? {}));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const event = (eventId: string): GatewayEvent => ({
  eventId,
  deviceId: 'DK-AAB-00001',
  type: 'pendant',
  occurredAt: new Date().toISOString(),
  voice: 'connected',
});
const ALARM = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const keys = new Map([['gw-aabenraa', 'demo-gw-aabenraa-key-2026']]);

describe('simulated gateway', () => {
  it('re-sends the same eventId after a 503 with Retry-After and after a dropped connection', async () => {
    const ingest = await fakeIngest([
      { status: 503, headers: { 'retry-after': '0' }, body: { error: 'unavailable' } },
      { status: 0, drop: true },
      { status: 429, headers: { 'retry-after': '0' } },
      { status: 202, body: { alarmId: ALARM, duplicate: false } },
    ]);
    const accepted: Accepted[] = [];
    const client = new GatewayClient({ ingestUrl: ingest.url, keys, onAccepted: (a) => accepted.push(a) });
    const before = performance.now();
    const d = await client.sendEvent('gw-aabenraa', event('ev-1'));
    client.close();
    expect(d).toMatchObject({ alarmId: ALARM, duplicate: false, attempts: 4 });
    expect(ingest.seen.map((s) => [s.path, s.auth, s.body.eventId])).toEqual(
      Array(4).fill(['/v1/alarms', 'Bearer demo-gw-aabenraa-key-2026', 'ev-1']),
    );
    expect(accepted).toEqual([
      expect.objectContaining({ alarmId: ALARM, eventId: 'ev-1', gatewayId: 'gw-aabenraa', batch: false }),
    ]);
    expect(accepted[0]!.acceptedAt).toBeGreaterThan(before);
  });

  it('gives up after its bounded attempts and reports no alarm', async () => {
    const ingest = await fakeIngest([{ status: 503, headers: { 'retry-after': '0' } }]);
    const accepted: Accepted[] = [];
    const client = new GatewayClient({
      ingestUrl: ingest.url,
      keys,
      maxAttempts: 3,
      onAccepted: (a) => accepted.push(a),
    });
    const d = await client.sendEvent('gw-aabenraa', event('ev-2'));
    client.close();
    expect(d).toMatchObject({ error: expect.stringContaining('503'), attempts: 3 });
    expect(ingest.seen).toHaveLength(3);
    expect(accepted).toEqual([]);
  });

  it('does not report a duplicate answer as a new alarm', async () => {
    const ingest = await fakeIngest([{ status: 200, body: { alarmId: ALARM, duplicate: true } }]);
    const accepted: Accepted[] = [];
    const client = new GatewayClient({ ingestUrl: ingest.url, keys, onAccepted: (a) => accepted.push(a) });
    const d = await client.sendEvent('gw-aabenraa', event('ev-3'));
    client.close();
    expect(d).toMatchObject({ alarmId: ALARM, duplicate: true });
    expect(accepted).toEqual([]);
  });

  it('sends a backlog to the batch endpoint and reports each new alarm of it', async () => {
    const other = '7a2b3c4d-5e6f-4a70-8b9c-0d1e2f3a4b5c';
    const ingest = await fakeIngest([
      {
        status: 202,
        body: {
          results: [
            { eventId: 'b-1', alarmId: ALARM, duplicate: false },
            { eventId: 'b-2', alarmId: other, duplicate: true },
            { eventId: 'b-3', error: 'invalid_event', message: 'bad' },
          ],
        },
      },
    ]);
    const accepted: Accepted[] = [];
    const client = new GatewayClient({ ingestUrl: ingest.url, keys, onAccepted: (a) => accepted.push(a) });
    const ds = await client.send({
      atMs: 0,
      simAt: 0,
      municipality: 'aabenraa',
      gatewayId: 'gw-aabenraa',
      batch: [event('b-1'), event('b-2'), event('b-3')],
    });
    client.close();
    expect(ingest.seen.map((s) => [s.path, s.body.events?.map((e) => e.eventId)])).toEqual([
      ['/v1/alarms/batch', ['b-1', 'b-2', 'b-3']],
    ]);
    expect(ds.map((d) => ('error' in d ? d.error : d.duplicate))).toEqual([false, true, 'invalid_event']);
    expect(accepted.map((a) => [a.alarmId, a.batch])).toEqual([[ALARM, true]]);
  });
});
