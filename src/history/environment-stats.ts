import type { Redis } from 'ioredis';

/** Live resource use of an environment's app container, sampled by the worker (Docker stats API through the proxy). */
export interface EnvironmentStats {
  containerId: string;
  /** Percent of one CPU (200 = two CPUs busy). */
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  /** When it was sampled (ms). */
  at: number;
}

/** The latest sample per environment, in one Redis hash: the worker writes, the dashboard reads. */
export class StatsStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private get key(): string {
    return `${this.prefix}:stats`;
  }

  async set(repository: string, environment: string, stats: EnvironmentStats): Promise<void> {
    await this.redis.hset(this.key, `${repository}@${environment}`, JSON.stringify(stats));
  }

  async get(repository: string, environment: string): Promise<EnvironmentStats | undefined> {
    const raw = await this.redis.hget(this.key, `${repository}@${environment}`);
    return raw === null ? undefined : (JSON.parse(raw) as EnvironmentStats);
  }

  async drop(repository: string, environment: string): Promise<void> {
    await this.redis.hdel(this.key, `${repository}@${environment}`);
  }

  /** Drops the samples of every environment not in `live` ("owner/repo@environment"). */
  async retain(live: ReadonlySet<string>): Promise<void> {
    const gone = (await this.redis.hkeys(this.key)).filter((field) => !live.has(field));
    if (gone.length) await this.redis.hdel(this.key, ...gone);
  }
}
