import type { Redis } from 'ioredis';
import type { IntakeClaim } from './intake-script.js';
import { environmentKey, type Target } from './job-types.js';

const SUPERSEDED_TTL_SECONDS = 7 * 24 * 3600;

export interface CancelMessage {
  jobId: string;
  /** What replaced it: a SHA, or "teardown". */
  by: string;
}

/**
 * "Latest commit wins", decided in Redis: each environment has one latest job. Claiming it
 * publishes a cancel message for the job it replaces, so the worker running that job aborts it;
 * a queued one sees it is no longer latest when it starts and concludes as superseded. Deliveries
 * claim in the same atomic step that stores them in the intake (DeployQueue).
 */
export class Supersession {
  readonly channel: string;

  constructor(private readonly redis: Redis, private readonly prefix: string) {
    this.channel = `${prefix}:cancel`;
  }

  private latestKey(target: Pick<Target, 'repository' | 'environment'>): string {
    return `${this.prefix}:latest:${environmentKey(target)}`;
  }

  private byKey(jobId: string): string {
    return `${this.prefix}:superseded:${jobId}`;
  }

  /** The claim the intake script makes for a job of `target` replacing the latest one with `by`. */
  claimOf(target: Pick<Target, 'repository' | 'environment'>, by: string): IntakeClaim {
    return { latestKey: this.latestKey(target), supersededPrefix: this.byKey(''), channel: this.channel, ttlSeconds: SUPERSEDED_TTL_SECONDS, by };
  }

  /** What replaced `jobId` (a SHA or "teardown"), when something did; no environment needed. */
  async replacedBy(jobId: string): Promise<string | undefined> {
    return (await this.redis.get(this.byKey(jobId))) ?? undefined;
  }

  /** Undefined while `jobId` is the latest of its environment, else what superseded it. */
  async supersededBy(target: Pick<Target, 'repository' | 'environment'>, jobId: string): Promise<string | undefined> {
    const latest = await this.redis.get(this.latestKey(target));
    if (latest === null || latest === jobId) return undefined;
    return (await this.redis.get(this.byKey(jobId))) ?? 'a newer deploy';
  }
}
