/** Cleanup for the benchmarks: always by prefix or label, never a global prune. */
import type Docker from 'dockerode';
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

/** Removes containers, then images (in passes: build layers depend on each other) carrying `filter`. */
export async function removeByLabel(docker: Docker, filter: string): Promise<void> {
  for (const c of await docker.listContainers({ all: true, filters: { label: [filter] } }).catch(() => [])) {
    await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
  for (let pass = 0; pass < 10; pass++) {
    const images = await docker.listImages({ all: true, filters: { label: [filter] } }).catch(() => []);
    if (images.length === 0) return;
    let removed = 0;
    for (const image of images) {
      if (await docker.getImage(image.Id).remove({ force: true }).then(() => true, () => false)) removed++;
    }
    if (removed === 0) return;
  }
}
