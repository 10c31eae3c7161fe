import type { Server } from 'node:http';
import { loadConfig, type Config } from '../config/load-config.js';
import { createDockerClient } from '../docker/docker-client.js';
import { DockerodeEngine } from '../docker/dockerode-engine.js';
import { createProbot, GitHubApp } from '../github/client.js';
import { BackgroundReports } from '../worker/background-reports.js';
import { createLogger, type Logger } from '../logger.js';
import { BuildLogStore, createLogRouter, logUrl } from '../logs/index.js';
import { DeployQueue } from '../queue/deploy-queue.js';
import { connectRedis, createProducerConnection, createWorkerConnection } from '../queue/redis.js';
import { helvetiaApp } from '../webhooks/app.js';
import { createAppServer } from '../webhooks/server.js';
import { createWorkers } from '../worker/create-workers.js';
import { DeployState } from '../worker/deploy-state.js';
import { lowerPriority } from '../worker/priority.js';
import { reconcile } from '../worker/reconcile.js';
import type { WorkerDeps } from '../worker/run-deploy.js';

type Stop = () => Promise<void>;

/** Build logs get their own connection: commands queue briefly while Redis reconnects. */
function createLogConnection(config: Config) {
  return createWorkerConnection(config.REDIS_URL, { maxRetriesPerRequest: 3 });
}

async function startApp(config: Config, logger: Logger): Promise<Stop> {
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
  const server: Server = await createAppServer({ probot, appFn, redis, routers: [logRouter] });
  await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));
  logger.info({ port: config.PORT }, 'webhook server listening');
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
    await queue.close();
    redis.disconnect();
    logRedis.disconnect();
  };
}

async function startWorker(config: Config, logger: Logger): Promise<Stop> {
  const connection = createWorkerConnection(config.REDIS_URL);
  const github = new GitHubApp(config, logger);
  const logRedis = createLogConnection(config);
  const store = new BuildLogStore({ redis: logRedis, config: config.logs, logger: logger.child({ component: 'logs' }), prefix: `${config.QUEUE_PREFIX}:log:` });
  const queue = new DeployQueue(connection, { prefix: config.QUEUE_PREFIX });
  const background = new BackgroundReports(logger.child({ role: 'worker', component: 'background-reports' }));
  const deps: WorkerDeps = {
    config,
    logger: logger.child({ role: 'worker' }),
    engine: new DockerodeEngine(createDockerClient(config.DOCKER_HOST)),
    state: new DeployState(connection, config.QUEUE_PREFIX),
    supersession: queue.supersession,
    github: (installationId) => github.installation(installationId),
    writeRanks: github.writeRanks,
    background,
    logSink: store,
    logUrl: (jobId) => logUrl(config.logs.APP_BASE_URL, config.logs.LOG_SIGNING_KEY, jobId, config.logs.LOG_LINK_TTL_HOURS),
  };
  await reconcile(deps, queue.queue);
  const workers = await createWorkers(connection, deps, {
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_SECONDS * 1000,
    stalledInterval: config.WORKER_LOCK_SECONDS * 1000,
    reconcileEveryMs: config.RECONCILE_INTERVAL_SECONDS * 1000,
  }, queue);
  // Operators check which Docker endpoint the worker uses (`docker compose logs worker | grep DOCKER_HOST`).
  logger.info({ concurrency: config.WORKER_CONCURRENCY, DOCKER_HOST: config.DOCKER_HOST }, 'worker started');
  return async () => {
    await workers.close();
    const unsent = await background.drain(20_000);
    if (unsent > 0) logger.warn({ unsent }, 'stopped with GitHub reports unsent; the next start reconciles their check runs');
    await store.close();
    await queue.close();
    connection.disconnect();
    logRedis.disconnect();
  };
}

/** `helvetia start|app|worker`: builds every client once, runs the roles, stops cleanly on SIGTERM. */
export async function runRoles(role: 'start' | 'app' | 'worker', env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger({ level: config.LOG_LEVEL });
  const stops: Stop[] = [];
  let stopping = false;
  // Stops the roles that have started; one still booting is abandoned with the process (a worker's
  // boot reconcile is idempotent and runs again on the next start).
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    Promise.all(stops.map((stop) => stop()))
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'unclean shutdown');
        process.exit(1);
      });
  };
  // Installed before anything starts: a SIGTERM while booting (docker stop) still shuts down cleanly.
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // A worker of its own yields the CPU to the app's webhook answers (see priority.ts).
  if (role === 'worker') logger.info({ nice: lowerPriority(config.WORKER_NICE) }, 'worker CPU priority lowered');
  if (role !== 'worker') stops.push(await startApp(config, logger));
  if (role !== 'app' && !stopping) stops.push(await startWorker(config, logger));
}
