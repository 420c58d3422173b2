// A small JSON-over-HTTP client on node:http with keep-alive: cheap per request, so measured latencies
// are the server's and not the client library's.
import http from 'node:http';

export type JsonResponse = { status: number; headers: http.IncomingHttpHeaders; body: unknown };

export class JsonClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(
    baseUrl: string,
    private readonly opts: { maxSockets?: number; timeoutMs?: number } = {},
  ) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 });
  }

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          method,
          host: this.base.hostname,
          port: this.base.port,
          path,
          agent: this.agent,
          headers: {
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            ...headers,
          },
          timeout: this.opts.timeoutMs ?? 15_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${this.base.origin}${path} in time`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  post(path: string, body: unknown, headers?: Record<string, string>): Promise<JsonResponse> {
    return this.request('POST', path, body, headers);
  }

  get(path: string, headers?: Record<string, string>): Promise<JsonResponse> {
    return this.request('GET', path, undefined, headers);
  }

  close(): void {
    this.agent.destroy();
  }
}
