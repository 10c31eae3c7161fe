import type { Redis } from 'ioredis';

const KEEP_SECONDS = 180 * 24 * 3600;

/** What the bot knows of a check run it created: the environment and commit it reported on. */
export interface CheckRecord {
  environment: string;
  sha: string;
}

/**
 * Which environment each of the bot's check runs belongs to, kept when the bot creates one. A
 * button or re-run on a check run is resolved from this record first (resolve-check-target.ts):
 * GitHub's payload cannot say, since it lists no pull request for a fork's head.
 */
export class CheckRecords {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private runKey(repository: string, checkRunId: number): string {
    return `${this.prefix}:check-run:${repository}:${checkRunId}`;
  }

  private shaKey(repository: string, sha: string): string {
    return `${this.prefix}:check-sha:${repository}:${sha}`;
  }

  /** Before a check run is created: `sha` has (or will have) a check of `environment`. */
  async expect(repository: string, sha: string, environment: string): Promise<void> {
    const key = this.shaKey(repository, sha);
    await this.redis.multi().sadd(key, environment).expire(key, KEEP_SECONDS).exec();
  }

  /** After it was created: check run `checkRunId` is `environment`'s, for `sha`. */
  async created(repository: string, checkRunId: number, record: CheckRecord): Promise<void> {
    await this.redis.set(this.runKey(repository, checkRunId), JSON.stringify(record), 'EX', KEEP_SECONDS);
  }

  /** Creates a check run through `create`, recorded before (its commit) and after (its id). */
  async create(target: { repository: string; environment: string; sha: string }, create: () => Promise<number>): Promise<number> {
    await this.expect(target.repository, target.sha, target.environment);
    const checkRunId = await create();
    await this.created(target.repository, checkRunId, { environment: target.environment, sha: target.sha });
    return checkRunId;
  }

  async ofRun(repository: string, checkRunId: number): Promise<CheckRecord | undefined> {
    const raw = await this.redis.get(this.runKey(repository, checkRunId));
    return raw === null ? undefined : (JSON.parse(raw) as CheckRecord);
  }

  /** Every environment the bot created a check run of `sha` for. */
  async environmentsOf(repository: string, sha: string): Promise<string[]> {
    return (await this.redis.smembers(this.shaKey(repository, sha))).sort();
  }
}
