/**
 * The baseline of the webhook benchmark: a bare Probot app with an empty push handler, Probot's
 * createNodeMiddleware on a plain node:http server, same secret and log level as our app.
 * Run as a child process: PORT, WEBHOOK_SECRET, PRIVATE_KEY_PATH, LOG_LEVEL from the environment.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
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
const middleware = await createNodeMiddleware((app) => app.on('push', async () => undefined), { probot, webhooksPath: '/api/github/webhooks' });
const server = createServer((req, res) => {
  if (req.url === '/healthz') return void res.writeHead(200).end('ok');
  void middleware(req, res, () => void res.writeHead(404).end());
});
server.listen(Number(env('PORT')), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
