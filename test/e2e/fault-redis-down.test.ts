import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultStack, randomSha, sleep, waitFor } from '../helpers/fault-stack.js';
import { PrivateRedis } from '../helpers/private-redis.js';

/**
 * Fault drill (issue 7): Redis dies while webhooks arrive. The app answers 5xx (GitHub keeps the
 * delivery for a redelivery), neither process crashes, /healthz reports the outage, and once
 * Redis is back a redelivered push is enqueued, built and deployed. A private redis-server is
 * killed; the shared Redis on 6379 is never touched.
 */
describe('fault drill: Redis stopped while webhooks arrive', () => {
  const redis = new PrivateRedis();
  const stack = new FaultStack({ name: 'redis' });
  const repo = stack.repo('redis');
  const refused: { sha: string; deliveryId: string }[] = [];

  beforeAll(async () => {
    await redis.start();
    stack.redisUrl = redis.url;
    await stack.start();
  });
  afterAll(async () => {
    await stack.stop();
    await redis.stop();
  });

  it('answers 5xx to every delivery while Redis is down, and stays alive', async () => {
    await redis.stop('SIGKILL');
    const results = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const sha = randomSha();
        return { sha, res: await stack.push(repo, sha, stack.site(`built ${sha}`)) };
      }),
    );
    for (const { sha, res } of results) {
      expect(res.status, res.body).toBeGreaterThanOrEqual(500);
      expect(res.status).toBeLessThan(600);
      refused.push({ sha, deliveryId: res.deliveryId });
    }
    expect((await fetch(`${stack.baseUrl}/healthz`)).status).toBe(503);
    // Both processes ride out several reconnect rounds (their retry backoff is capped at 2 s).
    await sleep(5_000);
    expect((await stack.push(repo, randomSha(), undefined)).status).toBeGreaterThanOrEqual(500);
    expect(stack.alive(stack.app)).toBe(true);
    expect(stack.alive(stack.worker)).toBe(true);
    expect((await fetch(`${stack.baseUrl}/healthz`)).status).toBe(503);
  });

  it('processes a redelivery once Redis is back: enqueued, built, deployed', async () => {
    await redis.start();
    await waitFor('/healthz 200 after Redis is back', async () => (await fetch(`${stack.baseUrl}/healthz`)).status === 200, 30_000);
    // GitHub's redelivery of the last refused push: same delivery id, same payload.
    const last = refused.at(-1)!;
    const res = await stack.push(repo, last.sha, undefined, { deliveryId: last.deliveryId });
    expect(res.status, res.body).toBe(200);
    const check = await stack.waitForCompleted(repo, 1, 90_000);
    expect(check.conclusion, check.output?.summary).toBe('success');
    expect(check.output.summary).toContain(last.sha);
    expect(await stack.served(repo)).toBe(`built ${last.sha}`);
    // Refused deliveries left nothing behind: no check run for any commit but the redelivered one.
    for (const { sha } of refused.slice(0, -1)) expect(stack.createdChecks(repo, sha)).toEqual([]);
    expect(stack.alive(stack.app)).toBe(true);
    expect(stack.alive(stack.worker)).toBe(true);
  });
});
