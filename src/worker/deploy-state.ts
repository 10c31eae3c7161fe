import type { Redis } from 'ioredis';
import { CheckRecords } from './check-records.js';

export interface OpenCheck {
  jobId: string;
  owner: string;
  repo: string;
  installationId: number;
  checkRunId: number;
}

/**
 * What the worker remembers across crashes, in Redis: the live container of each environment and
 * the check runs it opened but has not concluded yet.
 */
export class DeployState {
  /** The environment of every check run the bot created. */
  readonly checks: CheckRecords;

  constructor(readonly redis: Redis, readonly prefix = 'helvetia') {
    this.checks = new CheckRecords(redis, prefix);
  }

  private key(name: string): string {
    return `${this.prefix}:${name}`;
  }

  /** The container now serving an environment, and the commit it runs. */
  async setLive(repository: string, environment: string, containerId: string, sha?: string): Promise<void> {
    await this.redis.hset(this.key('live'), `${repository}@${environment}`, containerId);
    if (sha) await this.redis.hset(this.key('live-sha'), `${repository}@${environment}`, sha);
  }

  /** How many preview environments have a live container (all repositories). */
  async previewCount(): Promise<number> {
    return (await this.redis.hkeys(this.key('live'))).filter((field) => /@pr-\d+$/.test(field)).length;
  }

  /** Every environment of `repository` with a live container, and the commit each runs. */
  async liveEnvironments(repository: string): Promise<{ environment: string; sha: string }[]> {
    const out: { environment: string; sha: string }[] = [];
    const prefix = `${repository}@`;
    for (const [field, sha] of Object.entries(await this.redis.hgetall(this.key('live-sha')))) {
      if (field.startsWith(prefix)) out.push({ environment: field.slice(prefix.length), sha });
    }
    return out.sort((a, b) => a.environment.localeCompare(b.environment));
  }

  /** Every environment's live container, all repositories. */
  async liveContainers(): Promise<{ repository: string; environment: string; containerId: string }[]> {
    return Object.entries(await this.redis.hgetall(this.key('live'))).map(([field, containerId]) => {
      const at = field.lastIndexOf('@');
      return { repository: field.slice(0, at), environment: field.slice(at + 1), containerId };
    });
  }

  async getLive(repository: string, environment: string): Promise<string | undefined> {
    return (await this.redis.hget(this.key('live'), `${repository}@${environment}`)) ?? undefined;
  }

  async clearLive(repository: string, environment: string): Promise<void> {
    await this.redis.hdel(this.key('live'), `${repository}@${environment}`);
    await this.redis.hdel(this.key('live-sha'), `${repository}@${environment}`);
  }

  /** A writer approved building `sha` of a fork pull request (a new push needs a new approval). */
  async approve(repository: string, pullRequest: number, sha: string, by: string): Promise<void> {
    await this.redis.set(this.key(`approved:${repository}#${pullRequest}:${sha}`), by, 'EX', 30 * 24 * 3600);
  }

  async approvedBy(repository: string, pullRequest: number, sha: string): Promise<string | undefined> {
    return (await this.redis.get(this.key(`approved:${repository}#${pullRequest}:${sha}`))) ?? undefined;
  }

  /** When each environment was last deployed (for PREVIEW_TTL_HOURS). */
  async touch(repository: string, environment: string, at = Date.now()): Promise<void> {
    await this.redis.hset(this.key('deployed-at'), `${repository}@${environment}`, String(at));
  }

  async deployedAt(repository: string, environment: string): Promise<number | undefined> {
    const value = await this.redis.hget(this.key('deployed-at'), `${repository}@${environment}`);
    return value === null ? undefined : Number(value);
  }

  /** Whether a preview's seed command ran (once per fresh environment). */
  async seeded(repository: string, environment: string): Promise<boolean> {
    return (await this.redis.hexists(this.key('seeded'), `${repository}@${environment}`)) === 1;
  }

  async markSeeded(repository: string, environment: string): Promise<void> {
    await this.redis.hset(this.key('seeded'), `${repository}@${environment}`, String(Date.now()));
  }

  async forget(repository: string, environment: string): Promise<void> {
    await this.redis.hdel(this.key('deployed-at'), `${repository}@${environment}`);
    await this.redis.hdel(this.key('seeded'), `${repository}@${environment}`);
    await this.clearLive(repository, environment);
  }

  async trackCheck(check: OpenCheck): Promise<void> {
    await this.redis.hset(this.key('open-checks'), check.jobId, JSON.stringify(check));
  }

  async untrackCheck(jobId: string): Promise<void> {
    await this.redis.hdel(this.key('open-checks'), jobId);
  }

  /**
   * A worker holds the report of `jobId`'s open check (handed to BackgroundReports) for `ttlSeconds`,
   * renewed while it waits: the reconciler leaves a leased check alone, so it is never concluded twice.
   */
  async leaseReport(jobId: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key(`report-lease:${jobId}`), '1', 'EX', ttlSeconds);
  }

  async releaseReport(jobId: string): Promise<void> {
    await this.redis.del(this.key(`report-lease:${jobId}`));
  }

  async reportLeased(jobId: string): Promise<boolean> {
    return (await this.redis.exists(this.key(`report-lease:${jobId}`))) === 1;
  }

  async openChecks(): Promise<OpenCheck[]> {
    const all = await this.redis.hgetall(this.key('open-checks'));
    return Object.values(all).map((v) => JSON.parse(v) as OpenCheck);
  }
}
