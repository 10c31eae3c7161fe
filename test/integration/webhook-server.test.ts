import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createProbot } from '../../src/github/create-probot.js';
import { createLogger } from '../../src/logger.js';
import { DeployQueue, type IntakeEntry } from '../../src/queue/deploy-queue.js';
import { IntakeDispatcher, parseIntakeEntry } from '../../src/queue/intake-dispatcher.js';
import { ANNOUNCE_QUEUE, deployJobId, type DeployJobData } from '../../src/queue/job-types.js';
import { connectRedis, createProducerConnection, createWorkerConnection } from '../../src/queue/redis.js';
import { helvetiaApp } from '../../src/webhooks/app.js';
import { createAppServer } from '../../src/webhooks/server.js';
import { REDIS_URL, validEnv } from '../helpers/env.js';
import { deliver, examplePayload, pushPayload } from '../helpers/webhooks.js';

const SECRET = 'server-test-secret';
const config = loadConfig(validEnv({ WEBHOOK_SECRET: SECRET }));
const logger = createLogger({ level: 'silent' });
const sha = () => randomBytes(20).toString('hex');

async function startServer(redis: Redis, prefix: string): Promise<{ server: Server; url: string; queue: DeployQueue }> {
  const queue = new DeployQueue(redis, { prefix });
  const probot = createProbot(config, logger);
  const server = await createAppServer({ probot, appFn: helvetiaApp({ queue, logger, appId: 12345 }), redis });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, queue };
}

describe('webhook server on real Redis', () => {
  const prefix = `hvweb${randomBytes(3).toString('hex')}`;
  let redis: Redis;
  let running: Awaited<ReturnType<typeof startServer>>;
  /** What the app stored in the intake stream (no dispatcher runs until a test starts one). */
  const intake = async (): Promise<IntakeEntry[]> =>
    ((await redis.xrange(running.queue.intake.stream, '-', '+')) as [string, string[]][]).map(([, fields]) => parseIntakeEntry(fields)!);
  const dispatchAll = async () => {
    const dispatcher = new IntakeDispatcher({ blocking: createWorkerConnection(REDIS_URL), queue: running.queue, logger, blockMs: 200 });
    dispatcher.start();
    await expect.poll(() => redis.hlen(running.queue.intake.pending), { timeout: 10_000 }).toBe(0);
    await dispatcher.close();
  };

  beforeAll(async () => {
    redis = await connectRedis(createProducerConnection(REDIS_URL));
    running = await startServer(redis, prefix);
  });
  afterAll(async () => {
    await new Promise((r) => running.server.close(r));
    await running.queue.queue.obliterate({ force: true });
    await new Queue(ANNOUNCE_QUEUE, { connection: redis, prefix }).obliterate({ force: true });
    await running.queue.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('answers /healthz 200 while Redis is reachable', async () => {
    const res = await fetch(`${running.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('acknowledges a signed default-branch push only once it is stored in Redis; a dispatcher makes it a job', async () => {
    const commit = sha();
    const res = await deliver(running.url, 'push', pushPayload({ owner: 'o', repo: 'r', sha: commit, installationId: 1 }), { secret: SECRET });
    expect(res.status).toBe(200);
    const jobId = deployJobId(res.deliveryId, commit);
    expect((await intake()).filter((e) => e.jobId === jobId)).toEqual([{ kind: 'deploy', jobId, data: expect.objectContaining({ sha: commit, deliveryId: res.deliveryId }) }]);
    await dispatchAll();
    const job = await running.queue.queue.getJob(jobId);
    expect(job?.data).toMatchObject({ sha: commit, environment: 'production', repository: 'o/r', deliveryId: res.deliveryId });
    expect(JSON.stringify(job?.data)).not.toMatch(/token/i);
  });

  it('creates one job when the same delivery arrives 10 times', async () => {
    const commit = sha();
    const payload = pushPayload({ owner: 'o', repo: 'r', sha: commit, installationId: 1 });
    const first = await deliver(running.url, 'push', payload, { secret: SECRET });
    for (let i = 0; i < 4; i++) expect((await deliver(running.url, 'push', payload, { secret: SECRET, deliveryId: first.deliveryId })).status).toBe(200);
    expect((await intake()).filter((e) => e.kind === 'deploy' && e.data.sha === commit)).toHaveLength(1);
    await dispatchAll();
    // Redeliveries after the job exists are duplicates too.
    for (let i = 0; i < 5; i++) expect((await deliver(running.url, 'push', payload, { secret: SECRET, deliveryId: first.deliveryId })).status).toBe(200);
    expect(await intake()).toEqual([]);
    const jobs = await running.queue.queue.getJobs(['waiting-children', 'waiting', 'prioritized', 'active']);
    expect(jobs.filter((j) => (j.data as DeployJobData).sha === commit)).toHaveLength(1);
  });

  it('acknowledges and ignores tag pushes, branch deletions and other branches', async () => {
    const before = (await intake()).length;
    const tag = examplePayload('push', (p) => p.ref === 'refs/tags/simple-tag' && p.deleted === false && Boolean(p.installation ?? true));
    const deletion = examplePayload('push', (p) => p.deleted === true && Boolean(p.installation));
    const other = pushPayload({ owner: 'o', repo: 'r', sha: sha(), installationId: 1, ref: 'refs/heads/feature' });
    for (const payload of [tag, deletion, other]) expect((await deliver(running.url, 'push', payload, { secret: SECRET })).status).toBe(200);
    expect((await intake()).length).toBe(before);
  });

  it('rejects unsigned, mis-signed and non-JSON deliveries with 4xx', async () => {
    const payload = pushPayload({ owner: 'o', repo: 'r', sha: sha(), installationId: 1 });
    expect((await deliver(running.url, 'push', payload, { secret: SECRET, signature: null })).status).toBe(400);
    expect((await deliver(running.url, 'push', payload, { secret: 'wrong-secret' })).status).toBe(400);
    expect((await deliver(running.url, 'push', payload, { secret: SECRET, contentType: 'text/plain' })).status).toBe(415);
  });

  it('answers 5xx (redeliverable) and /healthz 503 when Redis is down, without crashing', async () => {
    const dead = createProducerConnection('redis://127.0.0.1:1', { retryStrategy: () => null });
    dead.on('error', () => undefined);
    await dead.connect().catch(() => undefined);
    const down = await startServer(dead, prefix);
    try {
      const res = await deliver(down.url, 'push', pushPayload({ owner: 'o', repo: 'r', sha: sha(), installationId: 1 }), { secret: SECRET });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect((await fetch(`${down.url}/healthz`)).status).toBe(503);
      // still serving after the failure
      expect((await fetch(`${down.url}/healthz`)).status).toBe(503);
    } finally {
      await new Promise((r) => down.server.close(r));
      dead.disconnect();
    }
  });
});
