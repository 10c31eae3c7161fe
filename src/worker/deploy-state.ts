import type { Redis } from 'ioredis';

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
  constructor(private readonly redis: Redis, private readonly prefix = 'helvetia') {}

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
