import { AsyncLocalStorage } from 'node:async_hooks';
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../logger.js';
import { WriteQueue, WriteRanks } from './write-queue.js';

/** @octokit/rest with the retry and throttling plugins: what every GitHub call goes through. */
export const GitHubOctokit = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof GitHubOctokit>;

export interface InstallationClient {
  octokit: GitHubClient;
  /** The installation token, for redaction only: it never leaves the process's memory. */
  token: string;
  /**
   * Runs `fn` when the installation's next write turn comes (see WriteQueue); its writes go out
   * within that turn. For a write whose very need is decided late: by then, it may have none.
   */
  turn<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Writes that take a turn in the installation's WriteQueue. Reads go straight out; so do token
 * requests, which the auth strategy makes from inside another write's turn.
 */
function isQueuedWrite(method: string, url: string): boolean {
  if (method === 'GET' || method === 'HEAD') return false;
  return !/^(https?:\/\/[^/]+)?(\/api\/v3)?\/(app\/installations\/[^/]+\/access_tokens|applications\/)/.test(url);
}

/**
 * GitHub App authentication (JWT → installation tokens, cached by @octokit/auth-app) against
 * `githubApiUrl`: api.github.com in production, the local double in tests. One per process.
 */
export class GitHubApp {
  private readonly clients = new Map<number, { octokit: GitHubClient; writes: WriteQueue }>();
  /** The write queue whose turn is running now: that installation's writes belong to the turn, not behind it. */
  private readonly inTurn = new AsyncLocalStorage<WriteQueue>();
  /** Ranks the writes of the job running now (see WriteQueue); the worker sets them per job. */
  readonly writeRanks = new WriteRanks();

  constructor(
    private readonly config: Pick<Config, 'APP_ID' | 'privateKey' | 'githubApiUrl'>,
    private readonly logger: Logger,
    /** Told the x-ratelimit-remaining of every answer (metrics). */
    private readonly onRateLimit?: (installationId: number, remaining: number) => void,
  ) {}

  /** GitHub writes waiting for their turn, over every installation. */
  pendingWrites(): number {
    let count = 0;
    for (const { writes } of this.clients.values()) count += writes.waiting;
    return count;
  }

  private client(installationId: number): { octokit: GitHubClient; writes: WriteQueue } {
    let client = this.clients.get(installationId);
    if (!client) {
      const log = this.logger.child({ component: 'octokit', installationId });
      const octokit = new GitHubOctokit({
        baseUrl: this.config.githubApiUrl,
        authStrategy: createAppAuth,
        auth: { appId: Number(this.config.APP_ID), privateKey: this.config.privateKey, installationId },
        log: { debug: () => undefined, info: () => undefined, warn: (m: string) => log.warn(m), error: (m: string) => log.error(m) },
        throttle: {
          // GitHub asks for a second between writes per client: pace each installation on its own.
          id: `installation-${installationId}`,
          onRateLimit: (after: number, _opts: unknown, _o: unknown, retryCount: number) => {
            log.warn({ after, retryCount }, 'GitHub rate limit hit');
            return retryCount < 2;
          },
          onSecondaryRateLimit: (after: number, _opts: unknown, _o: unknown, retryCount: number) => {
            log.warn({ after, retryCount }, 'GitHub secondary rate limit hit');
            return retryCount < 2;
          },
        },
      });
      const writes = new WriteQueue((err) => log.warn({ err }, 'could not rank a GitHub write; sending it as current'));
      octokit.hook.wrap('request', (request, options) =>
        isQueuedWrite(options.method, options.url) && this.inTurn.getStore() !== writes ? writes.schedule(this.writeRanks.current(), async () => request(options)) : request(options),
      );
      octokit.hook.after('request', (response) => {
        const remaining = Number(response.headers['x-ratelimit-remaining']);
        if (this.onRateLimit && Number.isFinite(remaining)) this.onRateLimit(installationId, remaining);
      });
      client = { octokit, writes };
      this.clients.set(installationId, client);
    }
    return client;
  }

  /** App-level (JWT) client: a handful of look-ups, so no throttling or write queue. */
  private appClient?: Octokit;

  private appOctokit(): Octokit {
    this.appClient ??= new Octokit({ baseUrl: this.config.githubApiUrl, authStrategy: createAppAuth, auth: { appId: Number(this.config.APP_ID), privateKey: this.config.privateKey } });
    return this.appClient;
  }

  /** The registered app itself (GET /app with the app's JWT): proves APP_ID and the private key belong together. */
  async app(): Promise<{ id: number; slug: string }> {
    const { data } = await this.appOctokit().rest.apps.getAuthenticated();
    return { id: data!.id, slug: data!.slug ?? String(data!.id) };
  }

  /**
   * The repository `owner/repo` where this app is installed: its id (what sealed secrets are bound
   * to) and the installation. Throws GitHub's 404 when the app is not installed there.
   */
  async repository(owner: string, repo: string): Promise<{ id: number; fullName: string; installationId: number }> {
    const { data: installation } = await this.appOctokit().rest.apps.getRepoInstallation({ owner, repo });
    const { octokit } = await this.installation(installation.id);
    const { data } = await octokit.rest.repos.get({ owner, repo });
    return { id: data.id, fullName: data.full_name, installationId: installation.id };
  }

  /** An installation-authenticated client, with the current token for redaction. */
  async installation(installationId: number): Promise<InstallationClient> {
    const { octokit, writes } = this.client(installationId);
    const auth = (await octokit.auth({ type: 'installation' })) as { token: string };
    const turn = <T>(fn: () => Promise<T>) => writes.schedule(this.writeRanks.current(), () => this.inTurn.run(writes, fn));
    return { octokit, token: auth.token, turn };
  }
}
