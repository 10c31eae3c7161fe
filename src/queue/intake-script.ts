import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The webhook path's only Redis round trip: stores one delivery's job in the intake stream, once,
 * and makes it the latest job of its environment, atomically.
 * - A job id already in the intake (`KEYS[4]`, the pending hash) is a duplicate: {2}.
 * - A job id whose BullMQ hash `KEYS[1]` exists is left to the caller (a duplicate, or a
 *   redelivery of a failed job): {0}. An empty `KEYS[1]` skips this test.
 * - Otherwise, when `KEYS[2]` (the environment's latest-job key) is set, ARGV[1] becomes the
 *   latest job; the job it replaces is marked superseded (`ARGV[3]` .. its id, expiring after
 *   ARGV[5] s) and told to stop on channel ARGV[4]. Then the entry (kind ARGV[6], data ARGV[7])
 *   is appended to the intake stream `KEYS[3]` and the job id recorded as pending.
 *   Returns {1, previous latest or false}.
 * The worker's IntakeDispatcher turns entries into BullMQ jobs and clears them from the pending hash.
 */
const SCRIPT = `
if redis.call('HEXISTS', KEYS[4], ARGV[1]) == 1 then return {2} end
if KEYS[1] ~= '' and redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
local previous = false
if KEYS[2] ~= '' then
  previous = redis.call('GET', KEYS[2])
  redis.call('SET', KEYS[2], ARGV[1])
  if previous and previous ~= ARGV[1] then
    redis.call('SET', ARGV[3] .. previous, ARGV[2], 'EX', ARGV[5])
    redis.call('PUBLISH', ARGV[4], cjson.encode({ jobId = previous, by = ARGV[2] }))
  end
end
local id = redis.call('XADD', KEYS[3], '*', 'kind', ARGV[6], 'jobId', ARGV[1], 'data', ARGV[7])
redis.call('HSET', KEYS[4], ARGV[1], id)
return {1, previous}
`;

const SHA = createHash('sha1').update(SCRIPT).digest('hex');

export interface IntakeKeys {
  /** The BullMQ job hash whose existence means "not new"; '' skips the test. */
  jobKey: string;
  /** The intake stream and the hash of the job ids waiting in it. */
  stream: string;
  pending: string;
}

/** "Latest commit wins" for the entry: its environment's latest-job key and where to tell the old one. */
export interface IntakeClaim {
  latestKey: string;
  /** Prefix of the superseded-by keys (the previous job id is appended). */
  supersededPrefix: string;
  channel: string;
  ttlSeconds: number;
  /** What replaces the previous job: a SHA or "teardown". */
  by: string;
}

export interface IntakeRecord {
  kind: string;
  jobId: string;
  /** JSON of the job's data. */
  data: string;
}

export type IntakeOutcome = { status: 'stored'; previous: string | null } | { status: 'job-exists' } | { status: 'pending' };

/** Runs the script by SHA, loading it with EVAL the first time a Redis server has not seen it. */
export async function runIntake(redis: Redis, keys: IntakeKeys, record: IntakeRecord, claim?: IntakeClaim): Promise<IntakeOutcome> {
  const args = [
    4, keys.jobKey, claim?.latestKey ?? '', keys.stream, keys.pending,
    record.jobId, claim?.by ?? '', claim?.supersededPrefix ?? '', claim?.channel ?? '', String(claim?.ttlSeconds ?? 0), record.kind, record.data,
  ] as const;
  let reply: unknown;
  try {
    reply = await redis.evalsha(SHA, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    reply = await redis.eval(SCRIPT, ...args);
  }
  const [code, previous] = reply as [number, string | null | undefined];
  if (code === 2) return { status: 'pending' };
  if (code === 0) return { status: 'job-exists' };
  return { status: 'stored', previous: previous ?? null };
}
