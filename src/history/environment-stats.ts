import type { Redis } from 'ioredis';

/** Live resource use of an environment's app container, sampled by the worker (Docker stats API through the proxy). */
export interface EnvironmentStats {
  containerId: string;
  /** Percent of one CPU (200 = two CPUs busy). */
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  /** When it was sampled (ms); for Swarm tasks, the oldest part's. */
  at: number;
  /** DEPLOY_BACKEND=swarm: the tasks summed, over every node with a fresh sample. */
  tasks?: number;
}

/**
 * Samples added up (Swarm: a node's tasks, then every node's parts): CPU and memory summed, `at`
 * the oldest sample's, `tasks` counted (a sample without a count is one task).
 */
export function sumStats(samples: readonly Omit<EnvironmentStats, 'containerId'>[], now: number): EnvironmentStats {
  return samples.reduce<EnvironmentStats>((sum, p) => ({
    containerId: '', cpuPercent: sum.cpuPercent + p.cpuPercent, memoryBytes: sum.memoryBytes + p.memoryBytes,
    memoryLimitBytes: sum.memoryLimitBytes + p.memoryLimitBytes, at: Math.min(sum.at, p.at), tasks: sum.tasks! + (p.tasks ?? 1),
  }), { containerId: '', cpuPercent: 0, memoryBytes: 0, memoryLimitBytes: 0, at: now, tasks: 0 });
}

/** Parts older than this (a node whose worker stopped sampling) no longer count. */
const STALE_MS = 120_000;

/** The latest sample per environment, in one Redis hash: the worker writes, the dashboard reads. */
export class StatsStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private get key(): string {
    return `${this.prefix}:stats`;
  }

  /** Swarm: one field per environment and node, `repo@env|node`, each that node's tasks summed. */
  private get partsKey(): string {
    return `${this.prefix}:stats:parts`;
  }

  /**
   * Swarm: what `node` runs now, per environment ("owner/repo@environment"): replaces every part of
   * that node, so an environment whose tasks left the node loses its part there.
   */
  async setNodeParts(node: string, parts: ReadonlyMap<string, EnvironmentStats>): Promise<void> {
    const mine = (await this.redis.hkeys(this.partsKey)).filter((f) => f.endsWith(`|${node}`) && !parts.has(f.slice(0, -node.length - 1)));
    const multi = this.redis.multi();
    if (mine.length) multi.hdel(this.partsKey, ...mine);
    for (const [environment, stats] of parts) multi.hset(this.partsKey, `${environment}|${node}`, JSON.stringify(stats));
    await multi.exec();
  }

  async set(repository: string, environment: string, stats: EnvironmentStats): Promise<void> {
    await this.redis.hset(this.key, `${repository}@${environment}`, JSON.stringify(stats));
  }

  async get(repository: string, environment: string, now = Date.now()): Promise<EnvironmentStats | undefined> {
    const raw = await this.redis.hget(this.key, `${repository}@${environment}`);
    if (raw !== null) return JSON.parse(raw) as EnvironmentStats;
    const parts = (await this.nodeParts(`${repository}@${environment}`)).filter((p) => now - p.at <= STALE_MS);
    if (!parts.length) return undefined;
    return sumStats(parts, now);
  }

  private async nodeParts(environment: string): Promise<EnvironmentStats[]> {
    const parts: EnvironmentStats[] = [];
    const stream = this.redis.hscanStream(this.partsKey, { match: `${environment}|*`, count: 200 });
    for await (const batch of stream) for (let i = 0; i < (batch as string[]).length; i += 2) parts.push(JSON.parse((batch as string[])[i + 1]!) as EnvironmentStats);
    return parts;
  }

  async drop(repository: string, environment: string): Promise<void> {
    await this.redis.hdel(this.key, `${repository}@${environment}`);
    const parts = (await this.redis.hkeys(this.partsKey)).filter((f) => f.startsWith(`${repository}@${environment}|`));
    if (parts.length) await this.redis.hdel(this.partsKey, ...parts);
  }

  /** Drops the samples of every environment not in `live` ("owner/repo@environment"). */
  async retain(live: ReadonlySet<string>, now = Date.now()): Promise<void> {
    const gone = (await this.redis.hkeys(this.key)).filter((field) => !live.has(field));
    if (gone.length) await this.redis.hdel(this.key, ...gone);
    // Parts of environments no longer live, and of nodes that stopped sampling.
    const parts = await this.redis.hgetall(this.partsKey);
    const stale = Object.entries(parts).filter(([field, raw]) => !live.has(field.slice(0, field.lastIndexOf('|'))) || now - (JSON.parse(raw) as EnvironmentStats).at > STALE_MS);
    if (stale.length) await this.redis.hdel(this.partsKey, ...stale.map(([field]) => field));
  }
}
