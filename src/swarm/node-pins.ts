import type { Redis } from 'ioredis';

/**
 * Where each stateful environment lives. Volumes are node-local, so an environment with volumes
 * (its app's or its services') is pinned to one node at its first deploy: the node of the worker
 * that deploys it, which creates the volumes there through its own proxy and is the one that can
 * remove them. Recorded per environment in Redis (`<prefix>:swarm:pins`) and on its services.
 */
export class NodePins {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private get key(): string {
    return `${this.prefix}:swarm:pins`;
  }

  async get(repository: string, environment: string): Promise<string | undefined> {
    return (await this.redis.hget(this.key, `${repository}@${environment}`)) ?? undefined;
  }

  /** Records `node` unless the environment is pinned already; resolves with the pin that holds. */
  async pin(repository: string, environment: string, node: string): Promise<string> {
    const field = `${repository}@${environment}`;
    await this.redis.hsetnx(this.key, field, node);
    return (await this.redis.hget(this.key, field))!;
  }

  async forget(repository: string, environment: string): Promise<void> {
    await this.redis.hdel(this.key, `${repository}@${environment}`);
  }
}
