import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRepoConfig } from '../../src/config/repo-config.js';
import { DeployHistory, historyChannel, HISTORY_LENGTH, type DeployRecord } from '../../src/history/deploy-history.js';
import { recordHistory } from '../../src/history/record-history.js';
import { DeployEvents } from '../../src/worker/deploy-events.js';
import { REDIS_URL } from '../helpers/env.js';

const kept = (sha: string) => ({ sha, image: `helvetia/app:${sha}`, jobId: `job-${sha}`, repoConfig: parseRepoConfig(undefined, { memoryMb: 512, cpus: 1, port: 8080 }), deployedAt: Date.now() });

describe('deploy history and kept images (real Redis)', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = `hvhist${randomBytes(3).toString('hex')}`;
  const history = new DeployHistory(redis, prefix);
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('keeps the newest images first, returns those past the limit, and moves a re-kept image to the head', async () => {
    expect((await history.keep('o/r', 'production', kept('a'), 2)).dropped).toEqual([]);
    expect((await history.keep('o/r', 'production', kept('b'), 2)).dropped).toEqual([]);
    const { dropped } = await history.keep('o/r', 'production', kept('c'), 2);
    expect(dropped.map((k) => k.sha)).toEqual(['a']);
    expect((await history.kept('o/r', 'production')).map((k) => k.sha)).toEqual(['c', 'b']);
    // A rollback to b keeps b at the head, c behind it; nothing drops.
    expect((await history.keep('o/r', 'production', kept('b'), 2)).dropped).toEqual([]);
    expect((await history.kept('o/r', 'production')).map((k) => k.sha)).toEqual(['b', 'c']);
    expect(await history.keptImage('o/r', 'production', 'c')).toMatchObject({ image: 'helvetia/app:c' });
    expect(await history.keptImage('o/r', 'production', 'a')).toBeUndefined();
    await history.keep('o/r', 'pr-1', kept('p'), 1);
    expect([...(await history.allKeptImages())].sort()).toEqual(['helvetia/app:b', 'helvetia/app:c', 'helvetia/app:p']);
    expect((await history.dropKept('o/r', 'pr-1')).map((k) => k.sha)).toEqual(['p']);
    expect(await history.kept('o/r', 'pr-1')).toEqual([]);
  });

  it('records deploys from the job\'s events, newest first, capped, and publishes each change for live pages', async () => {
    const subscriber = redis.duplicate();
    const published: DeployRecord[] = [];
    await subscriber.subscribe(historyChannel(prefix));
    subscriber.on('message', (_channel, raw) => published.push(JSON.parse(raw) as DeployRecord));
    const events = new DeployEvents();
    const writes = recordHistory(events, history, pino({ level: 'silent' }));
    const base = { repository: 'o/h', environment: 'production', kind: 'production' as const };
    events.publish({ type: 'started', ...base, sha: 's1', jobId: 'j1', at: 1000, trigger: 'push to main' });
    events.publish({ type: 'finished', ...base, sha: 's1', jobId: 'j1', at: 5000, outcome: 'success', title: 'Deployed to http://x', url: 'http://x', image: 'img:s1', buildMs: 3000, healthMs: 500 });
    // Never started (superseded in the queue): no entry.
    events.publish({ type: 'finished', ...base, sha: 's2', jobId: 'j2', at: 6000, outcome: 'cancelled' });
    await writes.settled();
    expect(await history.list('o/h', 'production')).toEqual([
      { jobId: 'j1', repository: 'o/h', environment: 'production', sha: 's1', trigger: 'push to main', startedAt: 1000, outcome: 'success', title: 'Deployed to http://x', url: 'http://x', image: 'img:s1', finishedAt: 5000, buildMs: 3000, healthMs: 500 },
    ]);
    expect(await history.environments('o/h')).toEqual(['production']);
    await expect.poll(() => published.map((r) => r.outcome ?? 'started')).toEqual(['started', 'success']);
    for (let i = 0; i < HISTORY_LENGTH + 5; i++) await history.record({ jobId: `k${i}`, repository: 'o/h', environment: 'production', sha: `x${i}`, trigger: 'push', startedAt: i });
    const list = await history.list('o/h', 'production');
    expect(list).toHaveLength(HISTORY_LENGTH);
    expect(list[0]!.jobId).toBe(`k${HISTORY_LENGTH + 4}`);
    // The entry of exactly that job is completed, not a newer one whose id starts the same (k5 vs k50…k54).
    expect(await history.update('o/h', 'production', 'k5', { outcome: 'failure' })).toBe(true);
    const after = await history.list('o/h', 'production');
    expect(after.filter((r) => r.outcome === 'failure').map((r) => r.jobId)).toEqual(['k5']);
    expect(after.map((r) => r.jobId)).toEqual(list.map((r) => r.jobId));
    expect(await history.update('o/h', 'production', 'k9999', { outcome: 'failure' })).toBe(false);
    subscriber.disconnect();
  });
});
