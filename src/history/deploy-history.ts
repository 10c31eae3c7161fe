import type { Redis } from 'ioredis';
import type { RepoConfig } from '../config/repo-config.js';

/** The Redis pub/sub channel each history change is published on (JSON DeployRecord): the dashboard's live updates. */
export const historyChannel = (prefix: string): string => `${prefix}:history-updates`;

/** LSET of the entry containing ARGV[1] (its `"jobId":"…"`) to ARGV[2], published on ARGV[3]; 0 when gone. */
const SET_ENTRY = `
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for i, raw in ipairs(items) do
  if string.find(raw, ARGV[1], 1, true) then
    redis.call('LSET', KEYS[1], i - 1, ARGV[2])
    redis.call('PUBLISH', ARGV[3], ARGV[2])
    return 1
  end
end
return 0`;

/** How many deploys each environment's history keeps (newest first). */
export const HISTORY_LENGTH = 50;

export type DeployOutcome = 'success' | 'failure' | 'timed_out' | 'cancelled' | 'neutral' | 'action_required';

/** One deploy of one environment, as the dashboard lists it. Never a secret. */
export interface DeployRecord {
  jobId: string;
  repository: string;
  environment: string;
  sha: string;
  /** What started it: `push`, `pull_request`, `redeploy by @x`, `rollback by @x`… */
  trigger: string;
  /** Set for a rollback: the kept image it swapped to, no build. */
  rollback?: boolean;
  image?: string;
  outcome?: DeployOutcome;
  /** One line on how it ended (the check run's title). */
  title?: string;
  url?: string;
  /** The build log's path on the app (`/logs/<jobId>?…` signed), when logs are configured. */
  logUrl?: string;
  startedAt: number;
  finishedAt?: number;
  buildMs?: number;
  healthMs?: number;
}

/** An image a successful deploy ran, kept so that a rollback needs no build. */
export interface KeptImage {
  sha: string;
  image: string;
  jobId: string;
  /** The check run that reported its deploy: gets a "Roll back" button while the image is kept. */
  checkRunId?: number;
  /** The parsed .helvetia.yml of that commit (port, limits, services…): no GitHub call at rollback. */
  repoConfig: RepoConfig;
  deployedAt: number;
}

/**
 * Per environment, in Redis: the deploy history (newest first, HISTORY_LENGTH long) and the images
 * kept for rollback (newest first; the worker prunes to KEEP_IMAGES). The worker writes, the
 * dashboard reads.
 */
export class DeployHistory {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(kind: 'history' | 'kept', repository: string, environment: string): string {
    return `${this.prefix}:${kind}:${repository}@${environment}`;
  }

  private environmentsKey(repository: string): string {
    return `${this.prefix}:environments:${repository}`;
  }

  /** Adds a deploy at the head of its environment's history. */
  async record(entry: DeployRecord): Promise<void> {
    const key = this.key('history', entry.repository, entry.environment);
    await this.redis
      .multi()
      .lpush(key, JSON.stringify(entry))
      .ltrim(key, 0, HISTORY_LENGTH - 1)
      .sadd(this.environmentsKey(entry.repository), entry.environment)
      .publish(historyChannel(this.prefix), JSON.stringify(entry))
      .exec();
  }

  /**
   * Completes the history entry of `jobId` with `patch`; false when the environment's history has no
   * such entry. The merged record is written where the entry is when the write lands (a script finds
   * it there): a deploy recorded meanwhile shifts the index. One writer per job (recordHistory).
   */
  async update(repository: string, environment: string, jobId: string, patch: Partial<DeployRecord>): Promise<boolean> {
    const key = this.key('history', repository, environment);
    const existing = (await this.list(repository, environment)).find((r) => r.jobId === jobId);
    if (!existing) return false;
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const record = JSON.stringify({ ...existing, ...defined, jobId, repository, environment });
    // JSON.stringify writes jobId as it was recorded: its exact text finds the entry.
    const needle = JSON.stringify({ jobId }).slice(1, -1);
    return (await this.redis.eval(SET_ENTRY, 1, key, needle, record, historyChannel(this.prefix))) === 1;
  }

  async list(repository: string, environment: string): Promise<DeployRecord[]> {
    return (await this.redis.lrange(this.key('history', repository, environment), 0, -1)).map((raw) => JSON.parse(raw) as DeployRecord);
  }

  /** Every environment of `repository` that has a history (live or not), sorted. */
  async environments(repository: string): Promise<string[]> {
    return (await this.redis.smembers(this.environmentsKey(repository))).sort();
  }

  /** Keeps `image` at the head of the environment's kept images: the list now, and those past `keep` (removed from it). */
  async keep(repository: string, environment: string, image: KeptImage, keep: number): Promise<{ kept: KeptImage[]; dropped: KeptImage[] }> {
    const key = this.key('kept', repository, environment);
    const others = (await this.kept(repository, environment)).filter((k) => k.image !== image.image);
    const all = [image, ...others];
    const multi = this.redis.multi().del(key);
    for (const k of [...all.slice(0, keep)].reverse()) multi.lpush(key, JSON.stringify(k));
    await multi.exec();
    return { kept: all.slice(0, keep), dropped: all.slice(keep) };
  }

  async kept(repository: string, environment: string): Promise<KeptImage[]> {
    return (await this.redis.lrange(this.key('kept', repository, environment), 0, -1)).map((raw) => JSON.parse(raw) as KeptImage);
  }

  /** The kept image of `sha`, if it is still kept. */
  async keptImage(repository: string, environment: string, sha: string): Promise<KeptImage | undefined> {
    return (await this.kept(repository, environment)).find((k) => k.sha === sha);
  }

  /** Every image kept in any environment (the reconciler must not remove them). */
  async allKeptImages(): Promise<Set<string>> {
    const images = new Set<string>();
    for await (const keys of this.redis.scanStream({ match: `${this.prefix}:kept:*`, count: 200 }) as AsyncIterable<string[]>) {
      for (const key of keys) for (const raw of await this.redis.lrange(key, 0, -1)) images.add((JSON.parse(raw) as KeptImage).image);
    }
    return images;
  }

  /** An environment was torn down: its kept images go (returned, for removal); the history stays. */
  async dropKept(repository: string, environment: string): Promise<KeptImage[]> {
    const kept = await this.kept(repository, environment);
    await this.redis.del(this.key('kept', repository, environment));
    return kept;
  }
}
