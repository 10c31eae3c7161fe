import type { Server } from 'node:http';
import type { Config } from '../config/load-config.js';
import { GitHubApp } from '../github/client.js';
import { createProbot } from '../github/create-probot.js';
import type { Logger } from '../logger.js';
import { BuildLogStore, createLogRouter } from '../logs/index.js';
import { DeployQueue } from '../queue/deploy-queue.js';
import { connectRedis, createProducerConnection } from '../queue/redis.js';
import { Keyring } from '../secrets/keyring.js';
import { createSealKeyRouter } from '../secrets/seal-key-route.js';
import { SecretStore } from '../secrets/secret-store.js';
import { createDashboard, dashboardEnabled } from '../dashboard/create-dashboard.js';
import { AppMetrics } from '../metrics/app-metrics.js';
import { helvetiaApp } from '../webhooks/app.js';
import { createAppServer } from '../webhooks/server.js';
import { createLogConnection, type Stop } from './role-support.js';

/** The app role: the webhook server (Probot) and the build-log endpoint. */
export async function startApp(config: Config, logger: Logger): Promise<Stop> {
  const redis = await connectRedis(createProducerConnection(config.REDIS_URL)).catch((err: unknown) => {
    logger.warn({ err }, 'Redis is not reachable yet; webhooks answer 5xx until it is');
    return createProducerConnection(config.REDIS_URL, { lazyConnect: false });
  });
  const queue = new DeployQueue(redis, { prefix: config.QUEUE_PREFIX });
  const probot = createProbot(config, logger);
  const appFn = helvetiaApp({ queue, logger: logger.child({ role: 'app' }), appId: Number(config.APP_ID) });
  const logRedis = createLogConnection(config);
  const store = new BuildLogStore({ redis: logRedis, config: config.logs, logger: logger.child({ component: 'logs' }), prefix: `${config.QUEUE_PREFIX}:log:` });
  const logRouter = createLogRouter({ store, config: config.logs, logger: logger.child({ component: 'logs' }) });
  const github = new GitHubApp(config, logger);
  const keyring = await Keyring.load(config.seal);
  const sealKeyRouter = createSealKeyRouter({ keyring, lookup: (owner, repo) => github.repository(owner, repo), logger: logger.child({ component: 'seal-key' }) });
  // The dashboard (only with GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET): sessions and reads on a connection of its own.
  const dashboardRedis = dashboardEnabled(config) ? createLogConnection(config) : undefined;
  const secrets = dashboardRedis && keyring ? new SecretStore(dashboardRedis, config.QUEUE_PREFIX, keyring) : undefined;
  const dashboard = dashboardRedis && createDashboard({ config, redis: dashboardRedis, queue, ...(secrets ? { secrets } : {}), logger });
  const metrics = new AppMetrics();
  const routers = [logRouter, sealKeyRouter, ...(dashboard ? [dashboard.router] : [])];
  const server: Server = await createAppServer({ probot, appFn, redis, routers, metrics: { metrics, token: config.METRICS_TOKEN } });
  await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));
  logger.info({ port: config.PORT, dashboard: Boolean(dashboard) }, 'webhook server listening');
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
    await dashboard?.close();
    dashboardRedis?.disconnect();
    await queue.close();
    redis.disconnect();
    logRedis.disconnect();
  };
}
