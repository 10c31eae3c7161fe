/** Cleanup for the benchmarks: always by prefix or label, never a global prune. */
import { Redis } from 'ioredis';
import type { RunningProcess } from '../../test/helpers/processes.js';

/** Deletes every Redis key under `prefix:` with SCAN + UNLINK (bounded: at most 100,000 SCAN pages). */
export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    for (let page = 0; page < 100_000; page++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) deleted += await redis.unlink(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Stops a child process: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(proc: RunningProcess | undefined, graceMs = 15_000): Promise<void> {
  if (!proc) return;
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.stop('SIGTERM');
  clearTimeout(timer);
}
