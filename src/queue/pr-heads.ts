import type { Redis } from 'ioredis';

const KEEP_SECONDS = 90 * 24 * 3600;
const KEEP_HEADS = 200;

/**
 * Every head a pull request had, with when it arrived, recorded as its delivery is stored (before
 * the acknowledgement). `/preview` approves the head the pull request had when the comment was
 * written, never one that came after, whatever order the worker then runs the jobs in.
 */
export class PullRequestHeads {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(repository: string, pullRequest: number): string {
    return `${this.prefix}:pr-heads:${repository}#${pullRequest}`;
  }

  /** Records `sha` as a head of the pull request since `at` (ms); a head keeps its first time. */
  async record(repository: string, pullRequest: number, sha: string, at: number): Promise<void> {
    const key = this.key(repository, pullRequest);
    await this.redis
      .multi()
      .zadd(key, 'NX', at, sha)
      .zremrangebyrank(key, 0, -KEEP_HEADS - 1)
      .expire(key, KEEP_SECONDS)
      .exec()
      .then((replies) => {
        const failed = replies?.find(([error]) => error);
        if (failed) throw failed[0];
      });
  }

  /** The newest head that arrived strictly before `at`, if the bot received any. */
  async headBefore(repository: string, pullRequest: number, at: number): Promise<string | undefined> {
    const [sha] = await this.redis.zrevrangebyscore(this.key(repository, pullRequest), `(${at}`, '-inf', 'LIMIT', 0, 1);
    return sha;
  }
}
