import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Runs `fn` while holding a Redis lock (SET NX PX, released only by its owner), so two deploys of
 * one environment never swap containers at the same time, even across worker processes.
 */
export async function withEnvironmentLock<T>(redis: Redis, key: string, fn: () => Promise<T>, ttlMs = 120_000): Promise<T> {
  const owner = randomUUID();
  const deadline = Date.now() + ttlMs;
  while ((await redis.set(key, owner, 'PX', ttlMs, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${key}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    return await fn();
  } finally {
    await redis.eval(RELEASE, 1, key, owner);
  }
}
