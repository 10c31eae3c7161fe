/**
 * The baselines of the webhook benchmark: a bare Probot app, Probot's createNodeMiddleware on a
 * plain node:http server, same secret and log level as our app. Its push handler is empty, or,
 * with INTAKE_STREAM set, appends the delivery id to that Redis stream before answering: the least
 * any app that must not lose a delivery has to do before its 200 (one Redis round trip).
 * Run as a child process: PORT, WEBHOOK_SECRET, PRIVATE_KEY_PATH, LOG_LEVEL, and optionally
 * INTAKE_STREAM with REDIS_URL, from the environment.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createNodeMiddleware, Probot } from 'probot';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const probot = new Probot({
  appId: 1,
  privateKey: readFileSync(env('PRIVATE_KEY_PATH'), 'utf8'),
  secret: env('WEBHOOK_SECRET'),
  log: pino({ level: process.env.LOG_LEVEL ?? 'info' }),
});
const stream = process.env.INTAKE_STREAM;
const redis = stream ? new Redis(env('REDIS_URL')) : undefined;
const middleware = await createNodeMiddleware(
  (app) =>
    app.on('push', async (context) => {
      if (redis) await redis.xadd(stream!, '*', 'delivery', context.id);
    }),
  { probot, webhooksPath: '/api/github/webhooks' },
);
const server = createServer((req, res) => {
  if (req.url === '/healthz') return void res.writeHead(200).end('ok');
  void middleware(req, res, () => void res.writeHead(404).end());
});
server.listen(Number(env('PORT')), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
