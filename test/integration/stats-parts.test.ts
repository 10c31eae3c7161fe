import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { StatsStore, type EnvironmentStats } from '../../src/history/environment-stats.js';
import { REDIS_URL } from '../helpers/env.js';

/** DEPLOY_BACKEND=swarm: each node's worker writes its part of an environment; the dashboard reads the sum (real Redis). */
describe('StatsStore node parts', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = `hvparts${randomBytes(3).toString('hex')}`;
  const stats = new StatsStore(redis, prefix);
  const part = (cpu: number, mb: number, tasks: number, at: number): EnvironmentStats => ({ containerId: '', cpuPercent: cpu, memoryBytes: mb * 2 ** 20, memoryLimitBytes: 256 * 2 ** 20 * tasks, at, tasks });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('adds up the fresh parts of every node, replaces a node\'s parts as a whole, forgets stale nodes and environments no longer live', async () => {
    const now = Date.now();
    await stats.setNodeParts('a', new Map([['o/app@production', part(10, 30, 2, now)], ['o/app@pr-1', part(1, 5, 1, now)]]));
    await stats.setNodeParts('b', new Map([['o/app@production', part(5, 20, 1, now - 1000)]]));
    await stats.setNodeParts('gone', new Map([['o/app@production', part(99, 999, 9, now - 10 * 60_000)]]));
    expect(await stats.get('o/app', 'production', now)).toEqual({ containerId: '', cpuPercent: 15, memoryBytes: 50 * 2 ** 20, memoryLimitBytes: 3 * 256 * 2 ** 20, at: now - 1000, tasks: 3 });
    // Node a's tasks of pr-1 left it: its next write has no part for pr-1.
    await stats.setNodeParts('a', new Map([['o/app@production', part(10, 30, 2, now)]]));
    expect(await stats.get('o/app', 'pr-1', now)).toBeUndefined();
    expect((await stats.get('o/app', 'production', now))?.tasks).toBe(3);
    // A field whose environment shares a prefix is not mixed in.
    await stats.setNodeParts('c', new Map([['o/app@production-2', part(1, 1, 1, now)]]));
    expect((await stats.get('o/app', 'production', now))?.tasks).toBe(3);
    await stats.retain(new Set(['o/app@production']), now);
    expect((await redis.hkeys(`${prefix}:stats:parts`)).sort()).toEqual(['o/app@production|a', 'o/app@production|b']);
    await stats.drop('o/app', 'production');
    expect(await stats.get('o/app', 'production', now)).toBeUndefined();
  });
});
