/** Lua scripts that keep each log change atomic even when several processes write to one log. */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export class RedisScript {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

const EXPIRE_BOTH = `redis.call('EXPIRE', KEYS[1], ARGV[1]) redis.call('EXPIRE', KEYS[2], ARGV[1])`;

/** KEYS: meta, stream. ARGV: ttl, now, field, value, ... Replaces any previous log with this id. */
export const OPEN_SCRIPT = new RedisScript(`
redis.call('DEL', KEYS[1], KEYS[2])
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'status', 'queued', 'createdAt', ARGV[2], 'lines', 0, 'bytes', 0, unpack(fields))
redis.call('XADD', KEYS[2], '*', 'k', 'status', 't', ARGV[2], 'st', 'queued')
${EXPIRE_BOTH}
return 1`);

/**
 * KEYS: meta, stream. ARGV: ttl, now, source, maxLines, maxBytes, truncation notice, line...
 * Returns lines stored, -1 when the log does not exist, -2 when it has ended.
 */
export const APPEND_SCRIPT = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local s = redis.call('HMGET', KEYS[1], 'ended', 'truncated', 'lines', 'bytes')
if s[1] == '1' then return -2 end
if s[2] == '1' then return 0 end
local maxLines, maxBytes = tonumber(ARGV[4]), tonumber(ARGV[5])
local lines, bytes = tonumber(s[3] or '0'), tonumber(s[4] or '0')
local added = 0
for i = 7, #ARGV do
  local text = ARGV[i]
  if lines + 1 > maxLines or bytes + #text > maxBytes then
    redis.call('XADD', KEYS[2], '*', 't', ARGV[2], 's', 'worker', 'l', ARGV[6])
    redis.call('HSET', KEYS[1], 'truncated', '1')
    break
  end
  redis.call('XADD', KEYS[2], '*', 't', ARGV[2], 's', ARGV[3], 'l', text)
  lines = lines + 1
  bytes = bytes + #text
  added = added + 1
end
redis.call('HSET', KEYS[1], 'lines', lines, 'bytes', bytes)
${EXPIRE_BOTH}
return added`);

/** KEYS: meta, stream. ARGV: ttl, now, status, url ('' keeps the previous one). Returns 0 if missing. */
export const STATUS_SCRIPT = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'url', ARGV[4]) end
local url = redis.call('HGET', KEYS[1], 'url') or ''
redis.call('XADD', KEYS[2], '*', 'k', 'status', 't', ARGV[2], 'st', ARGV[3], 'u', url)
${EXPIRE_BOTH}
return 1`);

/** KEYS: meta, stream. ARGV: ttl, now, conclusion. Returns 0 if missing or already ended. */
export const END_SCRIPT = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'ended') == '1' then return 0 end
redis.call('HSET', KEYS[1], 'ended', '1', 'conclusion', ARGV[3], 'endedAt', ARGV[2])
redis.call('XADD', KEYS[2], '*', 'k', 'end', 't', ARGV[2], 'c', ARGV[3])
${EXPIRE_BOTH}
return 1`);
