import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * "Admit and claim" in one Redis round trip, atomically: unless the job hash `KEYS[1]` already
 * exists (a duplicate delivery, or a redelivery the caller must look at more closely; an empty
 * `KEYS[1]` means no such condition), makes
 * ARGV[1] the latest job of the environment (`KEYS[2]`); the job it replaces is marked superseded
 * (`ARGV[3]` .. its id, expiring after ARGV[5] s) and told to stop on channel ARGV[4].
 * Returns {1, previous latest or false} when claimed, {0} when the job exists.
 *
 * The existence test is DeployQueue.admit's (getJob), without five sequential round trips on
 * the webhook path. The only implementation of "claim": Supersession.claim runs it unconditionally.
 */
const SCRIPT = `
if KEYS[1] ~= '' and redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
local previous = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[2], ARGV[1])
if previous and previous ~= ARGV[1] then
  redis.call('SET', ARGV[3] .. previous, ARGV[2], 'EX', ARGV[5])
  redis.call('PUBLISH', ARGV[4], cjson.encode({ jobId = previous, by = ARGV[2] }))
end
return {1, previous}
`;

const SHA = createHash('sha1').update(SCRIPT).digest('hex');

export interface ClaimKeys {
  /** The BullMQ job hash whose existence means "not new"; '' claims unconditionally. */
  jobKey: string;
  /** The environment's latest-job key. */
  latestKey: string;
  /** Prefix of the superseded-by keys (the previous job id is appended). */
  supersededPrefix: string;
  channel: string;
  ttlSeconds: number;
}

export type ClaimOutcome = { claimed: true; previous: string | null } | { claimed: false };

/** Runs the script by SHA, loading it with EVAL the first time a Redis server has not seen it. */
export async function claimUnlessExists(redis: Redis, keys: ClaimKeys, jobId: string, by: string): Promise<ClaimOutcome> {
  const args = [2, keys.jobKey, keys.latestKey, jobId, by, keys.supersededPrefix, keys.channel, String(keys.ttlSeconds)] as const;
  let reply: unknown;
  try {
    reply = await redis.evalsha(SHA, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    reply = await redis.eval(SCRIPT, ...args);
  }
  const [claimed, previous] = reply as [number, string | null | undefined];
  return claimed === 1 ? { claimed: true, previous: previous ?? null } : { claimed: false };
}
