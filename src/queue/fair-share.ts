import type { Redis } from 'ioredis';

/** BullMQ's largest priority. */
const MAX_PRIORITY = 2 ** 21;
/** Counts of an installation that goes quiet for this long are forgotten (any drift with them). */
const IDLE_SECONDS = 3600;

const RELEASE = `local v = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if v <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return v`;

/**
 * Fair share of the pipeline between installations. A deploy job gets BullMQ priority 1 + the
 * number of its installation's deploy jobs already queued; BullMQ serves lower priorities first and
 * equal ones in order. So a burst of one installation queues behind itself, while another
 * installation's single push gets priority 1 and goes next: round robin between installations,
 * first in first out within one. Counts live in one Redis hash (`<prefix>:fair-share`).
 */
export class FairShare {
  readonly key: string;

  constructor(private readonly redis: Redis, prefix: string) {
    this.key = `${prefix}:fair-share`;
  }

  /** Priorities for new deploy jobs of these installations, in order, in one round trip. */
  async claim(installations: readonly number[]): Promise<number[]> {
    if (installations.length === 0) return [];
    const multi = this.redis.multi();
    for (const id of installations) multi.hincrby(this.key, String(id), 1);
    multi.expire(this.key, IDLE_SECONDS);
    const results = (await multi.exec()) ?? [];
    return installations.map((_, i) => {
      const [error, count] = results[i] ?? [new Error('no answer')];
      if (error) throw error;
      return Math.min(MAX_PRIORITY, Math.max(1, Number(count)));
    });
  }

  /** A deploy job of `installation` left the queue: its processing started. */
  async release(installation: number): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, String(installation));
  }
}
