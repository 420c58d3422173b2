// The ingest service: the gateway API on INGEST_PORT.
import type { Runtime } from '../../platform/runtime.js';
import type { RunningService } from '../../platform/service.js';
import { buildIngestApp } from './app.js';

export { buildIngestApp } from './app.js';

export async function startIngest(rt: Runtime): Promise<RunningService> {
  const { app, acceptor } = await buildIngestApp(rt);
  const url = await app.listen({ port: rt.config.ingestPort, host: rt.config.host });
  return {
    name: 'ingest',
    url,
    async close() {
      // New requests get 503 while in-flight ones finish; then wait for their queueing.
      await app.close();
      await acceptor.drain();
    },
  };
}
