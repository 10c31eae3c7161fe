import { hostname } from 'node:os';
import type { Config } from '../config/load-config.js';
import { ConfigError } from '../config/errors.js';
import { createDockerClient } from '../docker/docker-client.js';
import { DockerodeEngine } from '../docker/dockerode-engine.js';
import { DockerodeSwarm, registryAuth } from '../swarm/swarm-engine.js';
import { swarmRuntime } from '../swarm/swarm-runtime.js';
import { NodeChores } from '../swarm/node-chores.js';
import { NodePins } from '../swarm/node-pins.js';
import { GitHubApp } from '../github/client.js';
import type { Logger } from '../logger.js';
import { BuildLogStore } from '../logs/build-log-store.js';
import { logUrl } from '../logs/log-token.js';
import { DeployQueue } from '../queue/deploy-queue.js';
import { createWorkerConnection } from '../queue/redis.js';
import { BackgroundReports } from '../worker/background-reports.js';
import { Keyring } from '../secrets/keyring.js';
import { SecretStore } from '../secrets/secret-store.js';
import { createWorkers } from '../worker/create-workers.js';
import { DeployEvents } from '../worker/deploy-events.js';
import { recordDeploys } from '../metrics/record-deploys.js';
import { startWorkerHttp } from '../metrics/worker-http.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { DeployState } from '../worker/deploy-state.js';
import { reconcile } from '../worker/reconcile.js';
import { ensureEdgeNetwork } from '../worker/edge-network.js';
import type { WorkerDeps } from '../worker/run-deploy.js';
import { createLogConnection, type Stop } from './role-support.js';
import { DeployHistory } from '../history/deploy-history.js';
import { recordHistory } from '../history/record-history.js';
import { StatsStore } from '../history/environment-stats.js';
import { StatsSampler } from '../history/stats-sampler.js';
import { TaskStatsSampler } from '../history/task-stats-sampler.js';

/** The worker role: boot reconcile, then the deploy workers and the intake dispatcher. */
export async function startWorker(config: Config, logger: Logger): Promise<Stop> {
  const connection = createWorkerConnection(config.REDIS_URL);
  let metrics: WorkerMetrics | undefined;
  const github = new GitHubApp(config, logger, (installationId, remaining) => metrics?.rateLimitRemaining.set({ installation: String(installationId) }, remaining));
  const logRedis = createLogConnection(config);
  const store = new BuildLogStore({ redis: logRedis, config: config.logs, logger: logger.child({ component: 'logs' }), prefix: `${config.QUEUE_PREFIX}:log:` });
  const queue = new DeployQueue(connection, { prefix: config.QUEUE_PREFIX });
  const keyring = await Keyring.load(config.seal);
  const state = new DeployState(connection, config.QUEUE_PREFIX);
  const events = new DeployEvents((err) => logger.warn({ err }, 'a deploy event subscriber failed'));
  metrics = new WorkerMetrics({
    jobCounts: () => queue.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed'),
    previewCount: () => state.previewCount(),
    githubWriteQueue: () => github.pendingWrites(),
  });
  recordDeploys(events, metrics);
  const history = new DeployHistory(connection, config.QUEUE_PREFIX);
  const historyWrites = recordHistory(events, history, logger.child({ role: 'worker', component: 'history' }));
  const background = new BackgroundReports(logger.child({ role: 'worker', component: 'background-reports' }));
  const local = createDockerClient(config.DOCKER_HOST);
  const engine = new DockerodeEngine(local, { dockerHost: config.DOCKER_HOST });
  // Swarm: service calls (and the edge overlay) go to a manager's proxy; builds stay on this node's.
  const managerClient = config.DEPLOY_BACKEND === 'swarm' ? createDockerClient(config.SWARM_MANAGER_HOST ?? config.DOCKER_HOST) : undefined;
  const swarm = managerClient ? new DockerodeSwarm(managerClient, registryAuth(config), local) : undefined;
  const node = config.SWARM_NODE_ID;
  if (swarm && !node) throw new ConfigError([{ variable: 'SWARM_NODE_ID', message: 'is required for a worker with DEPLOY_BACKEND=swarm: the Swarm node it builds on (deploy/stack.yml sets "{{.Node.ID}}")' }]);
  const chores = new NodeChores(connection, config.QUEUE_PREFIX);
  const deps: WorkerDeps = {
    config,
    logger: logger.child({ role: 'worker' }),
    engine,
    ...(managerClient && swarm
      ? { runtime: swarmRuntime({ swarm, manager: new DockerodeEngine(managerClient), pins: new NodePins(connection, config.QUEUE_PREFIX), registry: config.REGISTRY_URL!, chores, node: node! }) }
      : {}),
    state,
    events,
    supersession: queue.supersession,
    github: (installationId) => github.installation(installationId),
    writeRanks: github.writeRanks,
    background,
    history,
    ...(keyring ? { secrets: { keyring, store: new SecretStore(connection, config.QUEUE_PREFIX, keyring) } } : {}),
    logSink: store,
    logUrl: (jobId) => logUrl(config.logs.APP_BASE_URL, config.logs.LOG_SIGNING_KEY, jobId, config.logs.LOG_LINK_TTL_HOURS),
  };
  await ensureEdgeNetwork(managerClient ? new DockerodeEngine(managerClient) : engine, config, logger);
  const samplerDeps = { engine: deps.engine, state, stats: new StatsStore(connection, config.QUEUE_PREFIX), logger: logger.child({ role: 'worker', component: 'stats' }) };
  // Swarm runs an environment's tasks on any node: each worker samples those on its own node.
  const sampler = config.DEPLOY_BACKEND === 'swarm' ? new TaskStatsSampler({ ...samplerDeps, instance: config.QUEUE_PREFIX, node: hostname() }) : new StatsSampler(samplerDeps);
  await reconcile(deps, queue.queue);
  // Swarm: what only this node can do (removing the volumes of environments pinned here).
  const choresWorker = node && swarm ? chores.start(node, engine, logger.child({ role: 'worker', component: 'node-chores' })) : undefined;
  const workers = await createWorkers(connection, deps, {
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_SECONDS * 1000,
    stalledInterval: config.WORKER_LOCK_SECONDS * 1000,
    reconcileEveryMs: config.RECONCILE_INTERVAL_SECONDS * 1000,
  }, queue);
  sampler.start(config.STATS_INTERVAL_SECONDS * 1000);
  const http = config.WORKER_METRICS_PORT ? await startWorkerHttp(config.WORKER_METRICS_PORT, config.HOST, metrics.registry, config.METRICS_TOKEN) : undefined;
  // Operators check which Docker endpoint the worker uses (`docker compose logs worker | grep DOCKER_HOST`).
  logger.info({ concurrency: config.WORKER_CONCURRENCY, DOCKER_HOST: config.DOCKER_HOST, DEPLOY_BACKEND: config.DEPLOY_BACKEND, ...(managerClient ? { SWARM_MANAGER_HOST: config.SWARM_MANAGER_HOST ?? config.DOCKER_HOST, REGISTRY_URL: config.REGISTRY_URL } : {}) }, 'worker started');
  return async () => {
    http?.closeAllConnections();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    await sampler.stop();
    await workers.close();
    await choresWorker?.close();
    const unsent = await background.drain(20_000);
    if (unsent > 0) logger.warn({ unsent }, 'stopped with GitHub reports unsent; the next start reconciles their check runs');
    await historyWrites.settled();
    await store.close();
    await queue.close();
    connection.disconnect();
    logRedis.disconnect();
  };
}
