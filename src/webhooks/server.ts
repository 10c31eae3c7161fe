import { createServer, type Server } from 'node:http';
import express, { type ErrorRequestHandler, type Router } from 'express';
import type { Redis } from 'ioredis';
import { createNodeMiddleware, type ApplicationFunction, type Probot } from 'probot';
import { redisReachable } from '../queue/redis.js';

export const WEBHOOK_PATH = '/api/github/webhooks';
/** GitHub caps webhook payloads at 25 MB; anything larger is not GitHub and is never buffered. */
export const WEBHOOK_MAX_BYTES = 25 * 1024 * 1024;

/**
 * The app role's HTTP server: Probot's webhook middleware at /api/github/webhooks, /healthz and
 * any extra routers (the build-log endpoint). Webhook bodies are read raw, at most
 * `maxBodyBytes` (413 beyond, before Probot buffers anything), and handed to Probot untouched.
 */
export async function createAppServer(deps: {
  probot: Probot;
  appFn: ApplicationFunction;
  redis: Redis;
  routers?: Router[];
  maxBodyBytes?: number;
}): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', async (_req, res) => {
    const ok = await redisReachable(deps.redis);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'redis unreachable' });
  });
  for (const router of deps.routers ?? []) app.use(router);
  const webhooks = await createNodeMiddleware(deps.appFn, { probot: deps.probot, webhooksPath: WEBHOOK_PATH });
  // Probot reads `rawBody` when it is set instead of buffering the stream itself without a limit.
  app.post(WEBHOOK_PATH, express.raw({ type: () => true, limit: deps.maxBodyBytes ?? WEBHOOK_MAX_BYTES, inflate: false }), (req, res, next) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // Every GitHub payload is a JSON object; Probot's event handling throws (500) on null, arrays and scalars.
    if (!/^\s*\{/.test(raw.subarray(0, 64).toString('latin1'))) return void res.status(400).json({ error: 'the payload must be a JSON object' });
    Object.assign(req, { body: raw, rawBody: raw });
    next();
  });
  app.use(async (req, res, next) => {
    await webhooks(req, res, () => next());
  });
  const onError: ErrorRequestHandler = (error: { status?: number; statusCode?: number; type?: string }, _req, res, _next) => {
    const status = error.status ?? error.statusCode ?? 500;
    if (res.headersSent) return void res.destroy();
    res.status(status).json({ error: status === 413 ? `payload larger than ${deps.maxBodyBytes ?? WEBHOOK_MAX_BYTES} bytes` : status < 500 ? 'bad request' : 'internal error' });
  };
  app.use(onError);
  return createServer(app);
}
