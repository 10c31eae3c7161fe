import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config/load-config.js';
import { DockerodeEngine } from '../../src/docker/dockerode-engine.js';
import { GitHubApp } from '../../src/github/client.js';
import { createLogger } from '../../src/logger.js';
import { BuildLogStore, logUrl } from '../../src/logs/index.js';
import { DeployQueue } from '../../src/queue/deploy-queue.js';
import type { DeployJobData } from '../../src/queue/job-types.js';
import { connectRedis, createProducerConnection } from '../../src/queue/redis.js';
import { createWorkers, type Workers } from '../../src/worker/create-workers.js';
import { DeployState } from '../../src/worker/deploy-state.js';
import type { WorkerDeps } from '../../src/worker/run-deploy.js';
import { createEdgeNetwork, docker, removeLabelled } from './docker.js';
import { REDIS_URL, validEnv } from './env.js';
import { GitHubDouble } from './github-double.js';

export const randomSha = (): string => randomBytes(20).toString('hex');

export const httpSite = (body: string): Record<string, string> => ({
  Dockerfile: 'FROM helvetia-base:latest\nCOPY www /www\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
  'www/index.html': `${body}\n`,
});

/**
 * An in-process worker (real BullMQ on real Redis, real dockerd, the GitHub double) for pipeline
 * integration tests. Everything it creates is labelled with a unique repository and cleaned up.
 */
export class PipelineHarness {
  readonly github = new GitHubDouble();
  readonly prefix = `hvpipe${randomBytes(3).toString('hex')}`;
  readonly owner = 'hvtest';
  readonly repo = `app-${randomBytes(3).toString('hex')}`;
  readonly network = `${this.prefix}-edge`;
  readonly docker: Docker = docker();
  config!: Config;
  deps!: WorkerDeps;
  queue!: DeployQueue;
  producer!: Redis;
  workerConnection!: Redis;
  workers?: Workers;
  logs!: BuildLogStore;
  private deliveries = 0;

  constructor(private readonly overrides: Record<string, string> = {}) {}

  get repository(): string {
    return `${this.owner}/${this.repo}`;
  }

  async start(startWorkers = true): Promise<void> {
    await this.github.start();
    await createEdgeNetwork(this.docker, this.network, { 'hvtest.tmp': this.prefix });
    this.config = loadConfig(validEnv({
      GHE_HOST: this.github.host, GHE_PROTOCOL: 'http', EDGE_NETWORK: this.network, PROBE_IMAGE: 'helvetia-base:latest',
      QUEUE_PREFIX: this.prefix, HEALTH_TIMEOUT_SECONDS: '10', DRAIN_SECONDS: '0', ...this.overrides,
    }));
    this.producer = await connectRedis(createProducerConnection(REDIS_URL));
    this.workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    this.queue = new DeployQueue(this.producer, { prefix: this.prefix });
    const github = new GitHubApp(this.config, createLogger({ level: 'silent' }));
    this.logs = new BuildLogStore({ redis: this.workerConnection, config: this.config.logs, logger: createLogger({ level: 'silent' }), prefix: `${this.prefix}:log:` });
    this.deps = {
      config: this.config,
      logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      engine: new DockerodeEngine(this.docker),
      state: new DeployState(this.workerConnection, this.prefix),
      supersession: this.queue.supersession,
      github: (id) => github.installation(id),
      writeRanks: github.writeRanks,
      logSink: this.logs,
      logUrl: (jobId) => logUrl(this.config.logs.APP_BASE_URL, this.config.logs.LOG_SIGNING_KEY, jobId, 1),
    };
    if (startWorkers) await this.startWorkers();
  }

  async startWorkers(): Promise<void> {
    this.workers = await createWorkers(this.workerConnection, this.deps, { prefix: this.prefix, concurrency: 2 }, this.queue);
  }

  job(sha: string, extra: Partial<DeployJobData> = {}): DeployJobData {
    return {
      deliveryId: `delivery-${++this.deliveries}-${randomBytes(2).toString('hex')}`, installationId: 1, owner: this.owner, repo: this.repo,
      repository: this.repository, sha, ref: 'refs/heads/main', environment: 'production', enqueuedAt: Date.now(), ...extra,
    };
  }

  completedChecks(): any[] {
    return this.github.checkCompletions().map((c) => c.body);
  }

  /** Enqueues a deploy of `sha` (files registered first) and resolves with its concluded check run. */
  async deploy(sha: string, files: Record<string, string>, extra: Partial<DeployJobData> = {}): Promise<any> {
    this.github.addCommit(this.owner, this.repo, sha, files);
    const before = this.completedChecks().length;
    await this.queue.enqueue(this.job(sha, extra));
    const deadline = Date.now() + 120_000;
    while (this.completedChecks().length <= before) {
      if (Date.now() > deadline) throw new Error(`no check run concluded for ${sha}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return this.completedChecks().at(-1);
  }

  appContainers(): Promise<Docker.ContainerInfo[]> {
    return this.docker.listContainers({ all: true, filters: { label: [`cloud.helvetia.repository=${this.repository}`, 'cloud.helvetia.role=app'] } });
  }

  async stop(): Promise<void> {
    await this.workers?.close();
    await this.logs?.close();
    await this.queue?.queue.obliterate({ force: true }).catch(() => undefined);
    await this.queue?.close();
    const keys = await this.producer.keys(`${this.prefix}:*`);
    if (keys.length) await this.producer.del(...keys);
    this.producer?.disconnect();
    this.workerConnection?.disconnect();
    await removeLabelled(this.docker, `cloud.helvetia.repository=${this.repository}`);
    await removeLabelled(this.docker, `hvtest.tmp=${this.prefix}`);
    await this.docker.getNetwork(this.network).remove().catch(() => undefined);
    await this.github.stop();
  }
}
