import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeployQueue } from '../../src/queue/deploy-queue.js';
import { ANNOUNCE_QUEUE, DEPLOY_QUEUE, deployJobId, type DeployJobData } from '../../src/queue/job-types.js';
import { connectRedis, createProducerConnection } from '../../src/queue/redis.js';
import { REDIS_URL } from '../helpers/env.js';
import { PrivateRedis } from '../helpers/private-redis.js';

const sha = (n: number) => n.toString(16).padStart(40, 'a');
const jobData = (deliveryId: string, s = sha(1)): DeployJobData => ({
  deliveryId, installationId: 1, owner: 'octo', repo: 'site', repository: 'octo/site', sha: s, ref: 'refs/heads/main', environment: 'production', enqueuedAt: Date.now(),
});

describe('deploy queue on real Redis', () => {
  const prefix = `hvtest-${randomUUID().slice(0, 8)}`;
  let redis: Redis;
  let queue: DeployQueue;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    redis = await connectRedis(createProducerConnection(REDIS_URL));
    queue = new DeployQueue(redis, { prefix });
  });
  afterEach(async () => {
    while (closers.length) await closers.pop()!();
  });
  afterAll(async () => {
    await queue.queue.obliterate({ force: true });
    await new Queue(ANNOUNCE_QUEUE, { connection: redis, prefix }).obliterate({ force: true });
    await queue.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('stores the deploy and its announce child under deterministic ids', async () => {
    const result = await queue.enqueue(jobData('delivery-1'));
    expect(result).toEqual({ jobId: deployJobId('delivery-1', sha(1)), status: 'enqueued' });
    const parent = await queue.queue.getJob(result.jobId);
    expect((parent?.data as DeployJobData).sha).toBe(sha(1));
    expect(await parent?.getState()).toBe('waiting-children');
    const announce = new Queue(ANNOUNCE_QUEUE, { connection: redis, prefix });
    closers.push(() => announce.close());
    expect(await announce.getJob(`${result.jobId}-announce`)).toBeDefined();
  });

  it('creates no second job for a duplicate delivery, but one per new delivery', async () => {
    const first = await queue.enqueue(jobData('delivery-2'));
    const again = await queue.enqueue(jobData('delivery-2'));
    expect(again).toEqual({ jobId: first.jobId, status: 'duplicate' });
    const other = await queue.enqueue(jobData('delivery-3'));
    expect(other.jobId).not.toBe(first.jobId);
    const counts = await queue.queue.getJobCounts('waiting-children');
    expect(counts['waiting-children']).toBe(3);
  });

  it('ids never contain ":" whatever the delivery header says', () => {
    expect(deployJobId('a:b/c d', sha(2))).not.toMatch(/[:/ ]/);
  });

  it('re-enqueues a redelivery of a delivery whose job failed', async () => {
    const { jobId } = await queue.enqueue(jobData('delivery-fail', sha(9)));
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const announce = new Worker(ANNOUNCE_QUEUE, async () => ({ checkRunId: 1 }), { connection, prefix });
    const deploy = new Worker(DEPLOY_QUEUE, async (job: Job) => {
      if (job.id === jobId) throw new Error('boom');
    }, { connection, prefix, settings: { backoffStrategy: () => 0 } });
    closers.push(async () => { await announce.close(); await deploy.close(); connection.disconnect(); });
    await expect.poll(async () => (await queue.queue.getJob(jobId))!.getState(), { timeout: 20_000 }).toBe('failed');
    const again = await queue.enqueue(jobData('delivery-fail', sha(9)));
    expect(again).toEqual({ jobId, status: 're-enqueued' });
    expect(await (await queue.queue.getJob(jobId))!.getState()).not.toBe('failed');
  });

  it('latest commit wins at enqueue: a newer push supersedes the older job and tells the workers; a duplicate claims nothing', async () => {
    // A Redis server of its own: one that has never seen the claim script (loaded on first use).
    const server = new PrivateRedis();
    await server.start();
    const fresh = await connectRedis(createProducerConnection(server.url));
    const listener = new Redis(server.url);
    const q = new DeployQueue(fresh, { prefix });
    closers.push(async () => { await q.close(); fresh.disconnect(); listener.disconnect(); await server.stop(); });
    const messages: unknown[] = [];
    await listener.subscribe(q.supersession.channel);
    listener.on('message', (_c, raw) => messages.push(JSON.parse(raw)));
    const env = jobData('x');
    const older = await q.enqueue({ ...env, deliveryId: 'burst-1', sha: sha(21) });
    expect(older.status).toBe('enqueued');
    expect(await q.supersession.supersededBy(env, older.jobId)).toBeUndefined();
    const newer = await q.enqueue({ ...env, deliveryId: 'burst-2', sha: sha(22) });
    expect(await q.supersession.supersededBy(env, older.jobId)).toBe(sha(22));
    expect(await q.supersession.supersededBy(env, newer.jobId)).toBeUndefined();
    expect(await fresh.ttl(`${prefix}:superseded:${older.jobId}`)).toBeGreaterThan(6 * 24 * 3600);
    // Redelivering the older push is a duplicate: it must not take the environment back.
    expect((await q.enqueue({ ...env, deliveryId: 'burst-1', sha: sha(21) })).status).toBe('duplicate');
    expect(await q.supersession.supersededBy(env, newer.jobId)).toBeUndefined();
    await expect.poll(() => messages, { timeout: 5_000 }).toEqual([{ jobId: older.jobId, by: sha(22) }]);
  });

  it('fails fast (no hang) when Redis is unreachable', async () => {
    const dead = createProducerConnection('redis://127.0.0.1:1', { retryStrategy: () => null });
    dead.on('error', () => undefined);
    await dead.connect().catch(() => undefined);
    const deadQueue = new DeployQueue(dead, { prefix });
    await expect(deadQueue.enqueue(jobData('delivery-dead'))).rejects.toThrow();
    dead.disconnect();
  });

  it('runs a job again after the worker processing it is killed (stalled recovery)', async () => {
    const { jobId } = await queue.enqueue(jobData('delivery-stall', sha(7)));
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const announce = new Worker(ANNOUNCE_QUEUE, async () => ({ checkRunId: 1 }), { connection, prefix });
    closers.push(async () => { await announce.close(); connection.disconnect(); });
    await expect.poll(async () => (await queue.queue.getJob(jobId))!.getState(), { timeout: 20_000 }).toBe('waiting');
    await announce.close();

    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/hang-worker.ts', REDIS_URL, prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes(`took ${jobId}`) && resolve());
      child.on('exit', (code) => reject(new Error(`hang worker exited early: ${code}`)));
    });
    expect(await (await queue.queue.getJob(jobId))!.getState()).toBe('active');
    child.kill('SIGKILL');

    const seen: string[] = [];
    const rescuer = new Worker(DEPLOY_QUEUE, async (job: Job) => { seen.push(job.id!); return 'done'; }, {
      connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix, stalledInterval: 1000, lockDuration: 1500,
    });
    closers.push(async () => { await rescuer.close(); });
    await expect.poll(async () => (await queue.queue.getJob(jobId))!.getState(), { timeout: 30_000 }).toBe('completed');
    expect(seen).toContain(jobId);
  });
});
