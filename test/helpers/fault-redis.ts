import { Redis } from 'ioredis';

async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** Keys under `prefix:` (a stack's queue prefix) whose name contains `part`. */
export function prefixKeys(url: string, prefix: string, part = ''): Promise<string[]> {
  return withRedis(url, async (redis) => (await redis.keys(`${prefix}:*`)).filter((k) => k.includes(part)));
}

/** Deletes every key under `prefix:`; a Redis that is already gone is fine. */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  await withRedis(url, async (redis) => {
    const keys = await redis.keys(`${prefix}:*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  }).catch(() => undefined);
}
