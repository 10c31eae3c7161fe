import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler, type Router } from 'express';
import type { Redis } from 'ioredis';
import { createNodeMiddleware, type ApplicationFunction, type Probot } from 'probot';
import { redisReachable } from '../queue/redis.js';
import { BodyError, readRawBody } from '../http/read-body.js';
import type { AppMetrics } from '../metrics/app-metrics.js';
import { serveMetrics } from '../metrics/metrics-route.js';

export const WEBHOOK_PATH = '/api/github/webhooks';
/** GitHub caps webhook payloads at 25 MB; anything larger is not GitHub and is never buffered. */
export const WEBHOOK_MAX_BYTES = 25 * 1024 * 1024;

type NodeHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => unknown;

const sendJson = (res: ServerResponse, status: number, body: object, close = false) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(body));
};

/**
 * POST /api/github/webhooks on the plain node:http path (no Express routing or body-parser per
 * delivery): the body is read raw, at most `maxBodyBytes` (413 beyond, before Probot buffers
 * anything), checked to be a JSON object and handed to Probot untouched as `rawBody`.
 */
function webhookHandler(webhooks: NodeHandler, maxBodyBytes: number) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let raw: Buffer;
    try {
      raw = await readRawBody(req, maxBodyBytes);
    } catch (error) {
      const status = error instanceof BodyError ? error.status : 400;
      return sendJson(res, status, { error: status === 413 ? `payload larger than ${maxBodyBytes} bytes` : 'bad request' }, true);
    }
    // Every GitHub payload is a JSON object; Probot's event handling throws (500) on null, arrays and scalars.
    if (!/^\s*\{/.test(raw.subarray(0, 64).toString('latin1'))) return sendJson(res, 400, { error: 'the payload must be a JSON object' });
    // Probot reads `rawBody` when it is set instead of buffering the stream itself without a limit.
    Object.assign(req, { body: raw, rawBody: raw });
    await webhooks(req, res, () => sendJson(res, 404, { error: 'not found' }));
  };
}

/**
 * The app role's HTTP server: Probot's webhook middleware at /api/github/webhooks (see
 * webhookHandler), and an Express app for /healthz, any extra routers (the build-log endpoint)
 * and every other request.
 */
export async function createAppServer(deps: {
  probot: Probot;
  appFn: ApplicationFunction;
  redis: Redis;
  routers?: Router[];
  maxBodyBytes?: number;
  /** GET /metrics (before any routing), and a count of webhook deliveries by event and answer. */
  metrics?: { metrics: AppMetrics; token?: string };
}): Promise<Server> {
  const maxBodyBytes = deps.maxBodyBytes ?? WEBHOOK_MAX_BYTES;
  const webhooks: NodeHandler = await createNodeMiddleware(deps.appFn, { probot: deps.probot, webhooksPath: WEBHOOK_PATH });
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', async (_req, res) => {
    const ok = await redisReachable(deps.redis);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'redis unreachable' });
  });
  for (const router of deps.routers ?? []) app.use(router);
  // Other spellings of the webhook path (trailing slash, other case) come here; Probot answers them as before.
  const onWebhook = webhookHandler(webhooks, maxBodyBytes);
  app.post(WEBHOOK_PATH, (req, res, next) => void onWebhook(req, res).catch(next));
  app.use(async (req, res, next) => {
    await webhooks(req, res, () => next());
  });
  const onError: ErrorRequestHandler = (error: { status?: number; statusCode?: number; type?: string }, _req, res, _next) => {
    const status = error.status ?? error.statusCode ?? 500;
    if (res.headersSent) return void res.destroy();
    res.status(status).json({ error: status < 500 ? 'bad request' : 'internal error' });
  };
  app.use(onError);
  const metrics = deps.metrics;
  return createServer((req, res) => {
    const url = req.url ?? '';
    const exact = url === WEBHOOK_PATH || url.startsWith(`${WEBHOOK_PATH}?`);
    if (metrics && req.method === 'GET' && url.startsWith('/metrics')) {
      serveMetrics(req, res, metrics.metrics.registry, metrics.token).then((served) => served || app(req, res), () => res.destroy());
      return;
    }
    if (req.method !== 'POST' || !exact) return void app(req, res);
    if (metrics) {
      const event = String(req.headers['x-github-event'] ?? 'none').slice(0, 40);
      res.once('finish', () => metrics.metrics.deliveries.inc({ event: /^[a-z_]+$/.test(event) ? event : 'other', status: String(res.statusCode) }));
    }
    onWebhook(req, res).catch(() => {
      if (res.headersSent) return void res.destroy();
      sendJson(res, 500, { error: 'internal error' });
    });
  });
}
