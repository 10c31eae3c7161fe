import { createServer, type Server } from 'node:http';
import express, { type Router } from 'express';
import type { Redis } from 'ioredis';
import { createNodeMiddleware, type ApplicationFunction, type Probot } from 'probot';
import { redisReachable } from '../queue/redis.js';

export const WEBHOOK_PATH = '/api/github/webhooks';

/**
 * The app role's HTTP server: Probot's webhook middleware at /api/github/webhooks, /healthz and
 * any extra routers (the build-log endpoint). Nothing parses bodies before Probot sees them raw.
 */
export async function createAppServer(deps: {
  probot: Probot;
  appFn: ApplicationFunction;
  redis: Redis;
  routers?: Router[];
}): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', async (_req, res) => {
    const ok = await redisReachable(deps.redis);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'redis unreachable' });
  });
  for (const router of deps.routers ?? []) app.use(router);
  const webhooks = await createNodeMiddleware(deps.appFn, { probot: deps.probot, webhooksPath: WEBHOOK_PATH });
  app.use(async (req, res, next) => {
    await webhooks(req, res, () => next());
  });
  return createServer(app);
}
