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

  async setLive(repository: string, environment: string, containerId: string): Promise<void> {
    await this.redis.hset(this.key('live'), `${repository}@${environment}`, containerId);
  }

  async getLive(repository: string, environment: string): Promise<string | undefined> {
    return (await this.redis.hget(this.key('live'), `${repository}@${environment}`)) ?? undefined;
  }

  async clearLive(repository: string, environment: string): Promise<void> {
    await this.redis.hdel(this.key('live'), `${repository}@${environment}`);
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

  async forget(repository: string, environment: string): Promise<void> {
    await this.redis.hdel(this.key('deployed-at'), `${repository}@${environment}`);
    await this.clearLive(repository, environment);
  }

  async trackCheck(check: OpenCheck): Promise<void> {
    await this.redis.hset(this.key('open-checks'), check.jobId, JSON.stringify(check));
  }

  async untrackCheck(jobId: string): Promise<void> {
    await this.redis.hdel(this.key('open-checks'), jobId);
  }

  async openChecks(): Promise<OpenCheck[]> {
    const all = await this.redis.hgetall(this.key('open-checks'));
    return Object.values(all).map((v) => JSON.parse(v) as OpenCheck);
  }
}
