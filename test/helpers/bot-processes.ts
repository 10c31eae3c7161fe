import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { Redis } from 'ioredis';
import { createEdgeNetwork, docker, removeLabelled } from './docker.js';
import { REDIS_URL, TEST_PRIVATE_KEY_PATH } from './env.js';
import { GitHubDouble } from './github-double.js';
import { freePort, startCli, waitForHttp, type RunningProcess } from './processes.js';
import { startProxyProcess, type ProxyProcess } from './proxy-process.js';

/**
 * The bot as users run it, for end-to-end tests: `helvetia app` and `helvetia worker` as separate
 * processes against real Redis, GitHub played by the local double, an edge network of its own. Both
 * reach dockerd only through `helvetia proxy` (a third process, with docker-compose.yml's flags for
 * the worker's proxy), never the raw socket. Everything it creates carries its prefix and is
 * removed by stop(); the proxy's decision log is kept as test-artifacts/<name>-proxy.log.
 */
export class BotUnderTest {
  readonly github = new GitHubDouble();
  readonly prefix = `hve2e${randomBytes(3).toString('hex')}`;
  readonly network = `${this.prefix}-edge`;
  readonly secret = `secret-${randomBytes(8).toString('hex')}`;
  readonly docker: Docker;
  redis!: Redis;
  app!: RunningProcess;
  worker!: RunningProcess;
  proxy!: ProxyProcess;
  baseUrl = '';
  /** The environment the app and worker processes run with (for a test starting another worker). */
  env: Record<string, string> = {};

  /**
   * `options.docker`: the daemon the proxy fronts (the shared one unless given: a Swarm manager);
   * `options.proxyEnv`: the proxy's extra settings (its profile, its socket); `options.createEdge`:
   * false when the worker creates the edge network itself (a Swarm overlay).
   */
  constructor(
    private readonly name: string,
    private readonly overrides: Record<string, string> = {},
    private readonly options: { docker?: Docker; proxyEnv?: Record<string, string>; createEdge?: boolean } = {},
  ) {
    this.docker = options.docker ?? docker();
  }

  /** `extra`: variables known only once the test runs (a generated key). */
  async start(extra: Record<string, string> = {}): Promise<void> {
    if (this.options.createEdge !== false) await createEdgeNetwork(this.docker, this.network, { 'hvtest.tmp': this.prefix });
    await this.github.start();
    this.redis = new Redis(REDIS_URL);
    // The test's edge network is created on the socket (like the operator's), so it is allowlisted.
    this.proxy = await startProxyProcess({ EDGE_NETWORK: this.network, ...this.options.proxyEnv });
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    const env = {
      APP_ID: '777', PRIVATE_KEY_PATH: TEST_PRIVATE_KEY_PATH, WEBHOOK_SECRET: this.secret, PORT: String(port), HOST: '127.0.0.1',
      GHE_HOST: this.github.host, GHE_PROTOCOL: 'http', REDIS_URL, DOCKER_HOST: this.proxy.dockerHost,
      PREVIEW_DOMAIN: 'preview.test', APP_BASE_URL: this.baseUrl, EDGE_NETWORK: this.network, PROBE_IMAGE: 'helvetia-base:latest',
      QUEUE_PREFIX: this.prefix, HEALTH_TIMEOUT_SECONDS: '20', DRAIN_SECONDS: '0', LOG_LEVEL: 'debug',
      LOG_SIGNING_KEY: randomBytes(32).toString('hex'), ...this.overrides, ...extra,
    };
    this.env = env;
    this.app = startCli(['app'], env);
    this.worker = startCli(['worker'], env);
    await waitForHttp(`${this.baseUrl}/healthz`);
  }

  async stop(): Promise<void> {
    await this.app?.stop();
    await this.worker?.stop();
    await this.proxy?.process.stop();
    mkdirSync('test-artifacts', { recursive: true });
    writeFileSync(`test-artifacts/${this.name}-app.log`, this.app?.output() ?? '');
    writeFileSync(`test-artifacts/${this.name}-worker.log`, this.worker?.output() ?? '');
    writeFileSync(`test-artifacts/${this.name}-proxy.log`, this.proxy?.process.output() ?? '');
    await this.github.stop();
    await removeLabelled(this.docker, `cloud.helvetia.instance=${this.prefix}`);
    await removeLabelled(this.docker, `hvtest.tmp=${this.prefix}`);
    await this.docker.getNetwork(this.network).remove().catch(() => undefined);
    if (this.redis) {
      const keys = await this.redis.keys(`${this.prefix}:*`);
      if (keys.length) await this.redis.del(...keys);
      this.redis.disconnect();
    }
  }
}
