import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { serveMetrics } from './metrics-route.js';

/** The worker's small HTTP port: GET /metrics (Prometheus) and GET /healthz, nothing else. */
export async function startWorkerHttp(port: number, host: string, registry: Registry, token: string | undefined): Promise<Server> {
  const server = createServer((req, res) => {
    serveMetrics(req, res, registry, token).then(
      (served) => {
        if (served) return;
        const health = req.method === 'GET' && req.url === '/healthz';
        res.writeHead(health ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify(health ? { status: 'ok' } : { error: 'not found' }));
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
