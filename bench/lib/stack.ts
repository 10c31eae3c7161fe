/**
 * `helvetia app` / `helvetia worker` as child processes (`node dist/cli.js`, like production)
 * against the local GitHub API double, for the benchmarks. Everything a stack creates carries its
 * unique prefix (queue prefix, `hvbench.tmp` label stamped into every bench Dockerfile, edge
 * network name) and `stop()` removes exactly that: processes, containers, images, the network and
 * the Redis keys under the prefix. Nothing is ever pruned globally.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { TEST_PRIVATE_KEY_PATH } from '../../test/helpers/env.js';
import { GitHubDouble, type RecordedCall } from '../../test/helpers/github-double.js';
import { freePort, startCli, waitForHttp, type RunningProcess } from '../../test/helpers/processes.js';
import { deliver } from '../../test/helpers/webhooks.js';
import { createEdgeNetwork, removeLabelled } from '../../test/helpers/docker.js';
import { deleteRedisPrefix, stopProcess } from './cleanup.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DOCKER_SOCKET = '/var/run/docker.sock';
export const BENCH_SECRET = 'bench-webhook-secret';
export const BENCH_OWNER = 'hvbench';
export const BENCH_INSTALLATION = 4242;
export const BASE_IMAGE = 'helvetia-base:latest';

export const randomSha = (): string => randomBytes(20).toString('hex');
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Polls `check` every `intervalMs` until it returns a value other than undefined/false; throws after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export interface StackOptions {
  /** Short section name, part of the prefix. */
  name: string;
  env?: Record<string, string>;
}

export class BenchStack {
  readonly github = new GitHubDouble();
  readonly prefix: string;
  readonly network: string;
  readonly repo: string;
  readonly docker = new Docker({ socketPath: DOCKER_SOCKET });
  /** When the double received each call (Date.now()). */
  readonly received = new WeakMap<RecordedCall, number>();
  app?: RunningProcess;
  worker?: RunningProcess;
  baseUrl = '';
  port = 0;
  env: Record<string, string> = {};
  private networkCreated = false;

  constructor(private readonly opts: StackOptions) {
    this.prefix = `hvbench${opts.name.replace(/[^a-z0-9]/g, '')}${randomBytes(3).toString('hex')}`;
    this.network = `${this.prefix}-edge`;
    this.repo = `bench-${randomBytes(3).toString('hex')}`;
    const calls = this.github.calls;
    const push = calls.push.bind(calls);
    calls.push = (...items: RecordedCall[]): number => {
      const now = Date.now();
      for (const item of items) this.received.set(item, now);
      return push(...items);
    };
  }

  get repository(): string {
    return `${BENCH_OWNER}/${this.repo}`;
  }

  /** A Dockerfile whose every layer and build container after FROM carries this stack's labels. */
  dockerfile(extraLabels: Record<string, string>, ...lines: string[]): string {
    const labels = Object.entries({ 'hvbench.tmp': this.prefix, ...extraLabels }).map(([k, v]) => `${k}=${v}`).join(' ');
    return [`FROM ${BASE_IMAGE}`, `LABEL ${labels}`, ...lines, ''].join('\n');
  }

  /** A static site served by busybox httpd on 8080 (a build of a few steps, no RUN unless given). */
  site(body: string, extraLabels: Record<string, string>, ...extra: string[]): Record<string, string> {
    return {
      Dockerfile: this.dockerfile(extraLabels, 'COPY www /www', ...extra, 'EXPOSE 8080', 'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]'),
      'www/index.html': `${body}\n`,
    };
  }

  async start(roles: { app?: boolean; worker?: boolean } = {}): Promise<void> {
    await this.github.start();
    await createEdgeNetwork(this.docker, this.network, { 'hvbench.tmp': this.prefix });
    this.networkCreated = true;
    this.port = await freePort();
    this.baseUrl = `http://127.0.0.1:${this.port}`;
    this.env = {
      APP_ID: '4711', PRIVATE_KEY_PATH: TEST_PRIVATE_KEY_PATH, WEBHOOK_SECRET: BENCH_SECRET, PORT: String(this.port), HOST: '127.0.0.1',
      GHE_HOST: this.github.host, GHE_PROTOCOL: 'http', REDIS_URL, DOCKER_HOST: `unix://${DOCKER_SOCKET}`,
      PREVIEW_DOMAIN: 'preview.bench.test', APP_BASE_URL: this.baseUrl, EDGE_NETWORK: this.network, PROBE_IMAGE: BASE_IMAGE,
      QUEUE_PREFIX: this.prefix, HEALTH_TIMEOUT_SECONDS: '20', DRAIN_SECONDS: '0', LOG_LEVEL: 'warn',
      LOG_SIGNING_KEY: randomBytes(32).toString('hex'), ...this.opts.env,
    };
    if (roles.app !== false) {
      this.app = startCli(['app'], this.env);
      await waitForHttp(`${this.baseUrl}/healthz`, 30_000);
    }
    if (roles.worker !== false) this.worker = startCli(['worker'], this.env);
  }

  /** POSTs a signed webhook to the app. */
  send(event: string, payload: unknown): Promise<{ status: number; deliveryId: string; body: string }> {
    return deliver(this.baseUrl, event, payload, { secret: BENCH_SECRET });
  }

  /** The write that completed `sha`'s check run (an update, or a create that made it completed), once there is one. */
  concluded(sha: string): RecordedCall | undefined {
    const writes = new Set(this.github.checkRuns({ sha }).flatMap((c) => c.writes));
    return this.github.checkCompletions().find((c) => writes.has(c));
  }

  output(): string {
    return `--- app ---\n${this.app?.output() ?? ''}\n--- worker ---\n${this.worker?.output() ?? ''}`;
  }

  async stop(): Promise<void> {
    await Promise.all([stopProcess(this.app), stopProcess(this.worker)]);
    await removeLabelled(this.docker, `cloud.helvetia.instance=${this.prefix}`);
    await removeLabelled(this.docker, `hvbench.tmp=${this.prefix}`);
    if (this.networkCreated) await this.docker.getNetwork(this.network).remove().catch(() => undefined);
    await deleteRedisPrefix(REDIS_URL, this.prefix);
    await this.github.stop();
  }
}
