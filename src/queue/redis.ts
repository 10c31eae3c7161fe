import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connection for producers and plain commands: fails fast when Redis is down (no offline queue),
 * so a webhook can answer 5xx and be redelivered instead of hanging.
 */
export function createProducerConnection(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    lazyConnect: true,
    ...extra,
  });
}

/** Connection for BullMQ workers: blocking commands, retried forever (BullMQ's requirement). */
export function createWorkerConnection(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    ...extra,
  });
}

/** Connects a lazy connection and resolves once it is ready. */
export async function connectRedis(redis: Redis): Promise<Redis> {
  if (redis.status === 'wait') await redis.connect();
  return redis;
}

/** True when Redis answers PING within the timeout. */
export async function redisReachable(redis: Redis, timeoutMs = 1000): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  const timeout = new Promise<false>((resolve) => setTimeout(resolve, timeoutMs, false).unref());
  const ping = redis.ping().then((r) => r === 'PONG', () => false);
  return Promise.race([ping, timeout]);
}
