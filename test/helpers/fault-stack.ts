import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import Docker from 'dockerode';
import { createEdgeNetwork, docker as sharedDocker, removeLabelled, runInNetwork } from './docker.js';
import { REDIS_URL, TEST_PRIVATE_KEY_PATH } from './env.js';
import { FaultChecks } from './fault-checks.js';
import { deletePrefix, prefixKeys } from './fault-redis.js';
import { GitHubDouble } from './github-double.js';
import { freePort, startCli, waitForHttp, type RunningProcess } from './processes.js';
import { waitFor } from './fault-util.js';
import { TestDaemon, type TestDaemonOptions } from './test-daemon.js';
import { deliver, pushPayload } from './webhooks.js';

export { randomSha, sleep, waitFor } from './fault-util.js';

export const FAULT_SECRET = 'fault-drill-webhook-secret';
export const FAULT_OWNER = 'hvfault';
export const INSTALLATION = 5151;

export interface FaultStackOptions {
  /** Short drill name: goes into the queue prefix, repository names and artifact file names. */
  name: string;
  /** Extra environment for both processes (limits, timings). */
  env?: Record<string, string>;
  redisUrl?: string;
  /** A dockerd of the drill's own (see TestDaemon); without it the shared /var/run/docker.sock. */
  privateDaemon?: TestDaemonOptions | true;
}

/**
 * `helvetia app` and `helvetia worker` as child processes (dist/cli.js) against a local GitHub
 * double, for fault drills.
 *
 * Docker: the shared daemon by default. Every container and image the bot lists is scoped to its
 * installation by `cloud.helvetia.instance` (= QUEUE_PREFIX, unique per stack), so workers of
 * other test stacks on the same daemon never reconcile ours away. Only drills that kill, restart
 * or fill the daemon get a private one (TestDaemon, in its own network namespace).
 *
 * Everything else it creates carries the unique prefix: queue prefix, Redis keys, the
 * `hvtest.tmp` label (also stamped into every test Dockerfile, so intermediate build containers
 * and images are ours to find) and repository names; it cleans up only those.
 */
export class FaultStack extends FaultChecks {
  readonly prefix: string;
  readonly network: string;
  readonly daemon?: TestDaemon;
  readonly docker: Docker;
  /** The shared Redis unless given; may be set before start() (a PrivateRedis picks its port when started). */
  redisUrl: string;
  readonly repos = new Set<string>();
  app?: RunningProcess;
  worker?: RunningProcess;
  baseUrl = '';
  env: Record<string, string> = {};
  private readonly outputs: string[] = [];

  constructor(private readonly opts: FaultStackOptions) {
    super(new GitHubDouble(), FAULT_OWNER);
    this.prefix = `hvf${opts.name.replace(/[^a-z0-9]/g, '')}${randomBytes(3).toString('hex')}`;
    this.network = `${this.prefix}-edge`;
    this.redisUrl = opts.redisUrl ?? REDIS_URL;
    if (opts.privateDaemon) this.daemon = new TestDaemon(opts.privateDaemon === true ? {} : opts.privateDaemon);
    this.docker = this.daemon ? this.daemon.client() : sharedDocker();
  }

  get dockerHost(): string {
    return this.daemon ? this.daemon.host : 'unix:///var/run/docker.sock';
  }

  /** A repository name unique to this stack. */
  repo(kind: string): string {
    const name = `${kind}-${randomBytes(3).toString('hex')}`;
    this.repos.add(name);
    return name;
  }

  /** DNS alias of a repository's production environment on the edge network. */
  alias(repo: string): string {
    return `${repo}--${FAULT_OWNER}`;
  }

  /** A Dockerfile from helvetia-base whose every later layer and build container carries our label. */
  dockerfile(...lines: string[]): string {
    return ['FROM helvetia-base:latest', `LABEL hvtest.tmp=${this.prefix}`, ...lines, ''].join('\n');
  }

  /** A static site served by busybox httpd on 8080. */
  site(body: string, ...extra: string[]): Record<string, string> {
    return {
      Dockerfile: this.dockerfile(...extra, 'COPY www /www', 'EXPOSE 8080', 'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]'),
      'www/index.html': `${body}\n`,
    };
  }

  async start(roles: { app?: boolean; worker?: boolean } = {}): Promise<void> {
    if (this.daemon) {
      await this.daemon.start();
      await this.daemon.importBaseImage();
    }
    await this.github.start();
    await createEdgeNetwork(this.docker, this.network, { 'hvtest.tmp': this.prefix });
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.env = {
      APP_ID: '777', PRIVATE_KEY_PATH: TEST_PRIVATE_KEY_PATH, WEBHOOK_SECRET: FAULT_SECRET, PORT: String(port), HOST: '127.0.0.1',
      GHE_HOST: this.github.host, GHE_PROTOCOL: 'http', REDIS_URL: this.redisUrl, DOCKER_HOST: this.dockerHost,
      PREVIEW_DOMAIN: 'preview.test', APP_BASE_URL: this.baseUrl, EDGE_NETWORK: this.network, PROBE_IMAGE: 'helvetia-base:latest',
      QUEUE_PREFIX: this.prefix, HEALTH_TIMEOUT_SECONDS: '20', DRAIN_SECONDS: '0', LOG_LEVEL: 'info',
      LOG_SIGNING_KEY: randomBytes(32).toString('hex'), ...this.opts.env,
    };
    if (roles.app !== false) await this.startApp();
    if (roles.worker !== false) this.startWorker();
  }

  async startApp(env: Record<string, string> = {}): Promise<RunningProcess> {
    this.app = startCli(['app'], { ...this.env, ...env });
    await waitForHttp(`${this.baseUrl}/healthz`, 30_000);
    return this.app;
  }

  startWorker(env: Record<string, string> = {}): RunningProcess {
    this.worker = startCli(['worker'], { ...this.env, ...env });
    return this.worker;
  }

  /** Stops a process (SIGKILL after 15 s) and keeps its output for the artifacts. */
  async stopProcess(proc: RunningProcess | undefined, label: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!proc) return;
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
    await proc.stop(signal);
    clearTimeout(timer);
    this.outputs.push(`===== ${label} (${signal}) =====\n${proc.output()}`);
  }

  alive(proc: RunningProcess | undefined): boolean {
    return Boolean(proc) && proc!.child.exitCode === null && proc!.child.signalCode === null;
  }

  /** Registers `files` as `repo@sha` and delivers a signed default-branch push for it. */
  async push(repo: string, sha: string, files: Record<string, string> | undefined, opts: { deliveryId?: string } = {}) {
    if (files) this.github.addCommit(FAULT_OWNER, repo, sha, files);
    return deliver(this.baseUrl, 'push', this.pushPayload(repo, sha), { secret: FAULT_SECRET, deliveryId: opts.deliveryId });
  }

  pushPayload(repo: string, sha: string): Record<string, any> {
    return pushPayload({ owner: FAULT_OWNER, repo, sha, installationId: INSTALLATION });
  }

  /** Pushes `sha` and resolves with its concluded check run (the next one completed for `repo`). */
  async deploy(repo: string, sha: string, files: Record<string, string>, timeoutMs = 120_000): Promise<any> {
    const before = this.completedChecks(repo).length;
    const res = await this.push(repo, sha, files);
    if (res.status !== 200) throw new Error(`push answered ${res.status}: ${res.body}`);
    return this.waitForCompleted(repo, before + 1, timeoutMs);
  }

  /** The signed build log (plain text) linked from a check run, through the app. */
  async buildLog(check: { details_url?: string }): Promise<string> {
    if (!check.details_url) throw new Error('the check run has no details_url');
    const link = new URL(check.details_url);
    const res = await fetch(`${this.baseUrl}${link.pathname}.txt${link.search}`);
    if (res.status !== 200) throw new Error(`build log answered ${res.status}`);
    return res.text();
  }

  repoFilter(repo: string): string {
    return `cloud.helvetia.repository=${FAULT_OWNER}/${repo}`;
  }

  repoContainers(repo: string): Promise<Docker.ContainerInfo[]> {
    return this.docker.listContainers({ all: true, filters: { label: [this.repoFilter(repo)] } });
  }

  repoImages(repo: string): Promise<Docker.ImageInfo[]> {
    return this.docker.listImages({ filters: { label: [this.repoFilter(repo)] } });
  }

  /** Containers that ran a command containing `marker` (build steps carry our hvtest.tmp label). */
  async containersRunning(marker: string): Promise<Docker.ContainerInfo[]> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`hvtest.tmp=${this.prefix}`] } });
    return list.filter((c) => c.Command.includes(marker));
  }

  /**
   * Pushes a site whose build has a RUN step of about `seconds` (its command carries a marker made
   * of the SHA) and returns the accepted delivery once that step runs in its build container: the
   * moment drills strike.
   */
  async pushSlowBuild(repo: string, sha: string, body: string, seconds: number): ReturnType<FaultStack['push']> {
    const marker = `build-${sha.slice(0, 10)}`;
    const res = await this.push(repo, sha, this.site(body, `RUN echo ${marker} && sleep ${seconds} && echo built`));
    if (res.status !== 200) throw new Error(`push of ${sha} answered ${res.status}`);
    await waitFor('the build step to run', async () => (await this.containersRunning(marker)).some((c) => c.State === 'running'), 60_000);
    return res;
  }

  /** What an environment answers over HTTP, asked from inside the edge network. */
  async served(repo: string, path = '/'): Promise<string> {
    return (await runInNetwork(this.docker, this.network, ['timeout', '5', 'wget', '-q', '-O-', `http://${this.alias(repo)}:8080${path}`], { 'hvtest.tmp': this.prefix })).output.trim();
  }

  /** Redis keys under this stack's prefix whose name contains `part` (e.g. ':helvetia-deploy:'). */
  redisKeys(part = ''): Promise<string[]> {
    return prefixKeys(this.redisUrl, this.prefix, part);
  }

  async stop(): Promise<void> {
    await this.stopProcess(this.app, 'app');
    await this.stopProcess(this.worker, 'worker');
    mkdirSync('test-artifacts', { recursive: true });
    writeFileSync(`test-artifacts/fault-${this.opts.name}.log`, this.outputs.join('\n'));
    await this.github.stop();
    await removeLabelled(this.docker, `cloud.helvetia.instance=${this.prefix}`).catch(() => undefined);
    for (const repo of this.repos) await removeLabelled(this.docker, this.repoFilter(repo)).catch(() => undefined);
    await removeLabelled(this.docker, `hvtest.tmp=${this.prefix}`);
    await this.docker.getNetwork(this.network).remove().catch(() => undefined);
    if (this.daemon) {
      writeFileSync(`test-artifacts/fault-${this.opts.name}-dockerd.log`, this.daemon.log());
      await this.daemon.destroy();
    }
    await deletePrefix(this.redisUrl, this.prefix);
  }
}
