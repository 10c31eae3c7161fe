import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GitHubApp } from '../../src/github/client.js';
import { RANK_CURRENT, RANK_SUPERSEDED, WriteQueue, WriteRanks } from '../../src/github/write-queue.js';
import { createLogger } from '../../src/logger.js';
import { TEST_PRIVATE_KEY } from '../helpers/env.js';

/** A write that records when it starts and finishes only when released. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { release, write: async () => { log.push(`start ${name}`); await done; log.push(`end ${name}`); return name; } };
}

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WriteQueue', () => {
  it('runs one write at a time, in order for equal ranks', async () => {
    const log: string[] = [];
    const queue = new WriteQueue(undefined, 0);
    const [a, b] = [gate(log, 'a'), gate(log, 'b')];
    const results = [queue.schedule(() => 1, a.write), queue.schedule(() => 1, b.write)];
    await tick();
    expect(log).toEqual(['start a']);
    a.release();
    await tick();
    expect(log).toEqual(['start a', 'end a', 'start b']);
    b.release();
    expect(await Promise.all(results)).toEqual(['a', 'b']);
  });

  it('gives the next turn to the lowest rank, judged when the turn comes', async () => {
    const log: string[] = [];
    const queue = new WriteQueue(undefined, 0);
    const first = gate(log, 'first');
    let lateRank = RANK_CURRENT;
    const writes = [
      queue.schedule(() => RANK_CURRENT, first.write),
      queue.schedule(() => RANK_SUPERSEDED, async () => log.push('superseded')),
      // Current when scheduled, superseded by the time its turn comes.
      queue.schedule(() => lateRank, async () => log.push('late')),
      queue.schedule(async () => RANK_CURRENT, async () => log.push('current')),
    ];
    await tick();
    lateRank = RANK_SUPERSEDED;
    first.release();
    await Promise.all(writes);
    expect(log).toEqual(['start first', 'end first', 'current', 'superseded', 'late']);
  });

  it("keeps the turn open a moment after a write, so that job's follow-up goes before a lower rank already waiting", async () => {
    const log: string[] = [];
    const queue = new WriteQueue(undefined, 60);
    const first = gate(log, 'create');
    // Between its two writes the job does other I/O (tracking the check run in Redis, say).
    const chain = queue.schedule(() => RANK_CURRENT, first.write).then(async () => {
      await tick(10);
      return queue.schedule(() => RANK_CURRENT, async () => log.push('update'));
    });
    await tick();
    const waiting = queue.schedule(() => RANK_SUPERSEDED, async () => log.push('superseded'));
    first.release();
    await Promise.all([chain, waiting]);
    expect(log).toEqual(['start create', 'end create', 'update', 'superseded']);
  });

  it('passes a failed write to its caller and carries on; a failing rank counts as current', async () => {
    const errors: unknown[] = [];
    const queue = new WriteQueue((e) => errors.push(e), 0);
    const failed = queue.schedule(() => 1, async () => { throw new Error('422 from GitHub'); });
    const after = queue.schedule(() => { throw new Error('redis down'); }, async () => 'sent');
    await expect(failed).rejects.toThrow('422 from GitHub');
    expect(await after).toBe('sent');
    expect(String(errors[0])).toContain('redis down');
    expect(queue.waiting).toBe(0);
  });

  it('WriteRanks carries the rank through awaits, current by default', async () => {
    const ranks = new WriteRanks();
    expect(await ranks.current()()).toBe(RANK_CURRENT);
    const seen = await ranks.run(() => RANK_SUPERSEDED, async () => {
      await tick();
      return ranks.current()();
    });
    expect(seen).toBe(RANK_SUPERSEDED);
  });
});

describe('GitHubApp write ordering (nock)', () => {
  const API = 'https://api.github.com';
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it("sends the latest job's writes before a superseded job's, reads and token requests without waiting", async () => {
    const order: string[] = [];
    const scope = nock(API)
      .post('/app/installations/3/access_tokens').reply(201, () => (order.push('token'), { token: 'ghs_t', expires_at: new Date(Date.now() + 3600e3).toISOString() }))
      .patch('/repos/o/r/check-runs/1').delay(200).reply(200, () => (order.push('first write'), {}))
      .patch('/repos/o/r/check-runs/2').reply(200, () => (order.push('superseded write'), {}))
      .post('/repos/o/r/check-runs').reply(201, () => (order.push('current write'), { id: 3 }))
      .get('/repos/o/r').reply(200, () => (order.push('read'), {}));
    const app = new GitHubApp({ APP_ID: '1', privateKey: TEST_PRIVATE_KEY, githubApiUrl: API }, createLogger({ level: 'silent' }));
    const { octokit } = await app.installation(3);
    const first = octokit.rest.checks.update({ owner: 'o', repo: 'r', check_run_id: 1, status: 'in_progress' });
    await new Promise((r) => setTimeout(r, 50));
    const superseded = app.writeRanks.run(() => RANK_SUPERSEDED, () => octokit.rest.checks.update({ owner: 'o', repo: 'r', check_run_id: 2, status: 'completed', conclusion: 'cancelled' }));
    const current = app.writeRanks.run(() => RANK_CURRENT, () => octokit.rest.checks.create({ owner: 'o', repo: 'r', name: 'n', head_sha: 'abc' }));
    const read = octokit.rest.repos.get({ owner: 'o', repo: 'r' });
    await Promise.all([first, superseded, current, read]);
    // Recorded as requests arrive: the read goes out while the first write's answer is still delayed.
    expect(order).toEqual(['token', 'first write', 'read', 'current write', 'superseded write']);
    expect(scope.isDone()).toBe(true);
  });

  it("runs a turn's function in its place among the writes; its own write goes out within the turn, and a turn may make none", async () => {
    const order: string[] = [];
    const scope = nock(API)
      .post('/app/installations/3/access_tokens').reply(201, { token: 'ghs_t', expires_at: new Date(Date.now() + 3600e3).toISOString() })
      .patch('/repos/o/r/check-runs/1').delay(150).reply(200, () => (order.push('earlier write'), {}))
      .post('/repos/o/r/check-runs').reply(201, () => (order.push('write in turn'), { id: 9 }))
      .patch('/repos/o/r/check-runs/2').reply(200, () => (order.push('later write'), {}));
    const app = new GitHubApp({ APP_ID: '1', privateKey: TEST_PRIVATE_KEY, githubApiUrl: API }, createLogger({ level: 'silent' }));
    const { octokit, turn } = await app.installation(3);
    const earlier = octokit.rest.checks.update({ owner: 'o', repo: 'r', check_run_id: 1, status: 'in_progress' });
    await new Promise((r) => setTimeout(r, 30));
    let decidedWhileEarlierPending: boolean | undefined;
    // Decided when its turn comes: after the earlier write answered, not when it was asked for.
    const skipped = turn(async () => {
      decidedWhileEarlierPending = !order.includes('earlier write');
      return 'no write';
    });
    const writing = turn(async () => (await octokit.rest.checks.create({ owner: 'o', repo: 'r', name: 'n', head_sha: 'abc' })).data.id);
    const later = octokit.rest.checks.update({ owner: 'o', repo: 'r', check_run_id: 2, status: 'completed', conclusion: 'success' });
    expect(await Promise.all([skipped, writing])).toEqual(['no write', 9]);
    await Promise.all([earlier, later]);
    expect(decidedWhileEarlierPending).toBe(false);
    expect(order).toEqual(['earlier write', 'write in turn', 'later write']);
    expect(scope.isDone()).toBe(true);
  });
});
