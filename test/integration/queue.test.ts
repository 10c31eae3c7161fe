import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { DeployQueue } from '../../src/queue/deploy-queue.js';
import { IntakeDispatcher, parseIntakeEntry } from '../../src/queue/intake-dispatcher.js';
import { ANNOUNCE_QUEUE, DEPLOY_QUEUE, deployJobId, type DeployJobData } from '../../src/queue/job-types.js';
import { connectRedis, createProducerConnection, createWorkerConnection } from '../../src/queue/redis.js';
import { REDIS_URL } from '../helpers/env.js';
import { PrivateRedis } from '../helpers/private-redis.js';

const sha = (n: number) => n.toString(16).padStart(40, 'a');
const jobData = (deliveryId: string, s = sha(1)): DeployJobData => ({
  deliveryId, installationId: 1, owner: 'octo', repo: 'site', repository: 'octo/site', sha: s, ref: 'refs/heads/main', environment: 'production', enqueuedAt: Date.now(),
});
const silent = createLogger({ level: 'silent' });

function startDispatcher(queue: DeployQueue, url = REDIS_URL, claimIdleMs?: number): IntakeDispatcher {
  const dispatcher = new IntakeDispatcher({ blocking: createWorkerConnection(url), queue, logger: silent, claimIdleMs, blockMs: 200 });
  dispatcher.start();
  return dispatcher;
}

/** Resolves once the dispatcher turned `jobId`'s intake entry into jobs. */
const dispatched = (redis: Redis, queue: DeployQueue, jobId: string) => expect.poll(() => redis.hexists(queue.intake.pending, jobId), { timeout: 10_000 }).toBe(0);

describe('deploy queue on real Redis', () => {
  const prefix = `hvtest-${randomUUID().slice(0, 8)}`;
  let redis: Redis;
  let queue: DeployQueue;
  let dispatcher: IntakeDispatcher;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    redis = await connectRedis(createProducerConnection(REDIS_URL));
    queue = new DeployQueue(redis, { prefix });
    dispatcher = startDispatcher(queue);
  });
  afterEach(async () => {
    while (closers.length) await closers.pop()!();
  });
  afterAll(async () => {
    await dispatcher.close();
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
    await dispatched(redis, queue, result.jobId);
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
    await dispatched(redis, queue, other.jobId);
    await dispatched(redis, queue, first.jobId);
    // After the dispatch the job exists: a late duplicate is still one.
    expect(await queue.enqueue(jobData('delivery-2'))).toEqual({ jobId: first.jobId, status: 'duplicate' });
    // Three deploy jobs (a flow each, or a plain job for one superseded within its dispatch batch).
    // Deploys wait as "prioritized" (their installation's fair share), behind their announce child.
    const counts = await queue.queue.getJobCounts('prioritized', 'waiting-children');
    expect(counts.prioritized! + counts['waiting-children']!).toBe(3);
  });

  it('a deploy superseded within its dispatch batch gets no announce child; the last of each environment does', async () => {
    const own = new DeployQueue(redis, { prefix: `${prefix}-batch` });
    const announce = new Queue(ANNOUNCE_QUEUE, { connection: redis, prefix: `${prefix}-batch` });
    closers.push(async () => {
      await own.queue.obliterate({ force: true });
      await announce.obliterate({ force: true });
      await Promise.all([own.close(), announce.close()]);
    });
    const deploy = (id: string, environment: string) => ({ kind: 'deploy' as const, jobId: id, data: { ...jobData(id), environment } });
    await own.materialize([
      deploy('prod-old', 'production'),
      deploy('pr-old', 'pr-1'),
      deploy('prod-new', 'production'),
      { kind: 'teardown', jobId: 'pr-teardown', data: { ...jobData('t'), environment: 'pr-1', reason: 'closed' } },
      deploy('other-repo', 'production-elsewhere'),
    ]);
    const state = async (id: string) => (await own.queue.getJob(id))?.getState();
    expect(await state('prod-old')).toBe('prioritized');
    expect(await state('pr-old')).toBe('prioritized');
    expect(await state('prod-new')).toBe('waiting-children');
    expect(await state('other-repo')).toBe('waiting-children');
    expect(await state('pr-teardown')).toBe('waiting');
    expect((await announce.getJobs(['waiting'])).map((j) => j.id).sort()).toEqual(['other-repo-announce', 'prod-new-announce']);
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
    await dispatched(redis, queue, jobId);
    await expect.poll(async () => (await queue.queue.getJob(jobId))?.getState()).toBeDefined();
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

  it('shares the pipeline between installations: a single push goes next, not behind another installation\'s burst', async () => {
    // Twelve repositories of installation 101 push at once, then one of installation 202.
    const burst = Array.from({ length: 12 }, (_, i) => ({ ...jobData(`fair-a-${i}`, sha(100 + i)), installationId: 101, repo: `burst-${i}`, repository: `octo/burst-${i}` }));
    const single = { ...jobData('fair-b', sha(200)), installationId: 202, repo: 'single', repository: 'octo/single' };
    const ids: string[] = [];
    for (const data of [...burst, single]) ids.push((await queue.enqueue(data)).jobId);
    for (const id of ids) await dispatched(redis, queue, id);
    expect(await redis.hgetall(queue.fairShare.key)).toMatchObject({ 101: '12', 202: '1' });

    const connection = createWorkerConnection(REDIS_URL);
    // One announce at a time: the deploys become ready in the order they were pushed.
    const announce = new Worker(ANNOUNCE_QUEUE, async () => ({}), { connection, prefix, concurrency: 1 });
    closers.push(() => announce.close());
    // Every deploy waits in the queue before the pipeline worker takes the first one.
    const queued = async () => Object.values(await queue.queue.getJobCounts('prioritized', 'waiting')).reduce((a, b) => a + b, 0);
    await expect.poll(queued, { timeout: 10_000 }).toBe(13);
    const order: string[] = [];
    const pipeline = new Worker<DeployJobData>(DEPLOY_QUEUE, async (job) => {
      await queue.fairShare.release(job.data.installationId);
      order.push(job.data.repo);
    }, { connection: createWorkerConnection(REDIS_URL), prefix, concurrency: 1 });
    closers.push(() => pipeline.close());
    await expect.poll(() => order.length, { timeout: 10_000 }).toBe(13);
    // Installation 202's push is served second (after the burst's first, queued before it), not
    // 13th; the burst in the order it was pushed (a flow's parent otherwise jumps to the head of
    // BullMQ's wait list when its child completes: newest first).
    expect(order).toEqual(['burst-0', 'single', ...burst.slice(1).map((d) => d.repo)]);
    expect(await redis.hmget(queue.fairShare.key, '101', '202')).toEqual([null, null]);
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
    await dispatched(redis, queue, jobId);
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const announce = new Worker(ANNOUNCE_QUEUE, async () => ({ checkRunId: 1 }), { connection, prefix });
    closers.push(async () => { await announce.close(); connection.disconnect(); });
    await expect.poll(async () => (await queue.queue.getJob(jobId))!.getState(), { timeout: 20_000 }).toBe('prioritized');
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

  describe('intake', () => {
    /** A queue of its own prefix with no dispatcher yet. */
    const isolated = () => {
      const q = new DeployQueue(redis, { prefix: `${prefix}-in-${randomUUID().slice(0, 6)}` });
      closers.push(async () => {
        const keys = await redis.keys(`${q.intake.stream.split(':')[0]}:*`);
        await q.close();
        if (keys.length) await redis.del(...keys);
      });
      return q;
    };

    it('acknowledges with the delivery stored in the intake, before any job exists; a dispatcher then creates the jobs and clears the entry', async () => {
      const q = isolated();
      const { jobId } = await q.enqueue(jobData('intake-1'));
      expect(await redis.xlen(q.intake.stream)).toBe(1);
      expect(await q.queue.getJob(jobId)).toBeUndefined();
      // Still in the intake: a second delivery of it is a duplicate, stored once.
      expect((await q.enqueue(jobData('intake-1'))).status).toBe('duplicate');
      expect(await redis.xlen(q.intake.stream)).toBe(1);
      const d = startDispatcher(q);
      closers.push(() => d.close());
      await dispatched(redis, q, jobId);
      expect(await (await q.queue.getJob(jobId))?.getState()).toBe('waiting-children');
      expect(await redis.xlen(q.intake.stream)).toBe(0);
      expect((await q.enqueue(jobData('intake-1'))).status).toBe('duplicate');
    });

    it('an entry a killed dispatcher read but never settled is taken over and dispatched once', async () => {
      const q = isolated();
      const { jobId } = await q.enqueue(jobData('intake-2'));
      // A dispatcher that reads the entry and dies before creating its jobs.
      await redis.xgroup('CREATE', q.intake.stream, 'dispatchers', '0', 'MKSTREAM');
      const read = (await redis.xreadgroup('GROUP', 'dispatchers', 'killed-worker', 'COUNT', 10, 'STREAMS', q.intake.stream, '>')) as [string, unknown[]][];
      expect(read[0]![1]).toHaveLength(1);
      const d = startDispatcher(q, REDIS_URL, 300);
      closers.push(() => d.close());
      await dispatched(redis, q, jobId);
      expect(await q.queue.getJob(jobId)).toBeDefined();
      const [pendingCount] = (await redis.xpending(q.intake.stream, 'dispatchers')) as [number, ...unknown[]];
      expect(pendingCount).toBe(0);
    });

    it('dispatching one entry twice (a take-over racing a slow dispatcher) creates its jobs once', async () => {
      const q = isolated();
      const entry = { kind: 'deploy' as const, jobId: deployJobId('intake-3', sha(3)), data: jobData('intake-3', sha(3)) };
      await q.materialize([entry]);
      await q.materialize([entry, entry]);
      expect(await q.queue.getJobCounts('waiting-children', 'waiting')).toMatchObject({ 'waiting-children': 1, waiting: 0 });
    });

    it('an entry that is not an intake entry goes to the dead-letter stream, and the next one is dispatched', async () => {
      const q = isolated();
      await redis.xadd(q.intake.stream, '*', 'kind', 'nonsense', 'jobId', 'x', 'data', '{');
      const { jobId } = await q.enqueue(jobData('intake-4'));
      const d = startDispatcher(q);
      closers.push(() => d.close());
      await dispatched(redis, q, jobId);
      await expect.poll(() => redis.xlen(`${q.intake.stream}:dead`)).toBe(1);
      expect(await redis.xlen(q.intake.stream)).toBe(0);
    });

    it('an entry BullMQ refuses stays pending without holding back the others read with it', async () => {
      const q = isolated();
      // Written as a broken producer would: BullMQ refuses job ids with ':'.
      const refused = { deliveryId: 'r', installationId: 1, owner: 'o', repo: 'r', repository: 'o/r', environment: 'production', command: 'redeploy', actor: 'a', enqueuedAt: 1 };
      await redis.xadd(q.intake.stream, '*', 'kind', 'command', 'jobId', 'bad:id', 'data', JSON.stringify(refused));
      const { jobId } = await q.enqueue(jobData('intake-5'));
      const d = startDispatcher(q);
      closers.push(() => d.close());
      await dispatched(redis, q, jobId);
      expect(await q.queue.getJob(jobId)).toBeDefined();
      const left = (await redis.xrange(q.intake.stream, '-', '+')) as [string, string[]][];
      expect(left.map(([, fields]) => parseIntakeEntry(fields)?.jobId)).toEqual(['bad:id']);
    });

    it('keeps dispatching after Redis lost its data (the consumer group with it)', async () => {
      const server = new PrivateRedis();
      await server.start();
      const conn = await connectRedis(createProducerConnection(server.url));
      const q = new DeployQueue(conn, { prefix });
      const d = startDispatcher(q, server.url);
      closers.push(async () => { await d.close(); await q.close(); conn.disconnect(); await server.stop(); });
      const first = await q.enqueue(jobData('lost-1'));
      await dispatched(conn, q, first.jobId);
      await conn.flushall();
      const second = await q.enqueue(jobData('lost-2'));
      await dispatched(conn, q, second.jobId);
      expect(await q.queue.getJob(second.jobId)).toBeDefined();
    });
  });
});
