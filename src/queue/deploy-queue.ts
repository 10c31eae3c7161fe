import { FlowProducer, Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { Supersession } from './supersession.js';
import {
  ANNOUNCE_QUEUE,
  commandJobId,
  DEPLOY_QUEUE,
  deployJobId,
  teardownJobId,
  type CommandJobData,
  type DeployJobData,
  type PipelineJobData,
  type Target,
  type TeardownJobData,
} from './job-types.js';

export interface QueueOptions {
  /** BullMQ key prefix (tests use a unique one). */
  prefix?: string;
}

export type EnqueueResult = { jobId: string; status: 'enqueued' | 'duplicate' | 're-enqueued' };

export const DEPLOY_JOB_OPTIONS: JobsOptions = {
  attempts: 2,
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
};

const ANNOUNCE_JOB_OPTIONS: JobsOptions = {
  ...DEPLOY_JOB_OPTIONS,
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  // GitHub being down must not block the build: the worker creates the check run itself then.
  ignoreDependencyOnFailure: true,
};

/**
 * Producer side of the pipeline. A deploy is a flow: an `announce` child (creates the queued check
 * run, off the webhook path) and the `deploy` parent, which runs once it is done. Teardowns and
 * commands are plain jobs on the same queue. Every call resolves only once Redis stored the job.
 */
export class DeployQueue {
  readonly queue: Queue<PipelineJobData>;
  readonly supersession: Supersession;
  private readonly announce: Queue<DeployJobData>;
  private readonly flows: FlowProducer;

  constructor(connection: Redis, options: QueueOptions = {}) {
    const prefix = options.prefix;
    this.queue = new Queue<PipelineJobData>(DEPLOY_QUEUE, { connection, prefix });
    this.announce = new Queue<DeployJobData>(ANNOUNCE_QUEUE, { connection, prefix });
    this.flows = new FlowProducer({ connection, prefix });
    this.supersession = new Supersession(connection, prefix ?? 'bull');
  }

  /**
   * Idempotent per delivery + SHA: a duplicate delivery creates nothing; a redelivery of a
   * delivery whose job failed builds again. The new job becomes the environment's latest, which
   * cancels older queued or running deploys of that environment.
   */
  async enqueue(data: DeployJobData): Promise<EnqueueResult> {
    const jobId = deployJobId(data.deliveryId, data.sha);
    // Claim first: the job must never start while an older one still counts as the latest.
    const status = await this.admitAndClaim(data, jobId, data.sha);
    if (status === 'duplicate') return { jobId, status };
    await this.flows.add({
      name: 'deploy',
      queueName: DEPLOY_QUEUE,
      data,
      opts: { ...DEPLOY_JOB_OPTIONS, jobId },
      children: [{ name: 'announce', queueName: ANNOUNCE_QUEUE, data, opts: { ...ANNOUNCE_JOB_OPTIONS, jobId: `${jobId}-announce` } }],
    });
    return { jobId, status };
  }

  /** Removes an environment; supersedes any deploy of it still queued or running. */
  async enqueueTeardown(data: TeardownJobData): Promise<EnqueueResult> {
    const jobId = teardownJobId(data.deliveryId, data.environment);
    const status = await this.admitAndClaim(data, jobId, 'teardown');
    if (status === 'duplicate') return { jobId, status };
    await this.queue.add('teardown', data, { ...DEPLOY_JOB_OPTIONS, attempts: 3, jobId });
    return { jobId, status };
  }

  async enqueueCommand(data: CommandJobData): Promise<EnqueueResult> {
    const jobId = commandJobId(data.deliveryId);
    const status = await this.admit(jobId);
    if (status === 'duplicate') return { jobId, status };
    await this.queue.add('command', data, { ...DEPLOY_JOB_OPTIONS, jobId });
    return { jobId, status };
  }

  /**
   * admit() then supersession.claim(). A job id never seen (the common case) takes one atomic
   * round trip; an existing one goes through admit() to tell a duplicate from a failed job.
   */
  private async admitAndClaim(target: Target, jobId: string, by: string): Promise<EnqueueResult['status']> {
    if ((await this.supersession.claimUnlessExists(target, jobId, by, this.queue.toKey(jobId))).claimed) return 'enqueued';
    const status = await this.admit(jobId);
    if (status !== 'duplicate') await this.supersession.claim(target, jobId, by);
    return status;
  }

  /** Decides whether a job id may be added: new, a retry of a failed one, or a duplicate. */
  private async admit(jobId: string): Promise<'enqueued' | 're-enqueued' | 'duplicate'> {
    const existing = await this.queue.getJob(jobId);
    if (!existing) return 'enqueued';
    if ((await this.settledState(existing)) !== 'failed') return 'duplicate';
    await this.queue.remove(jobId, { removeChildren: true });
    await this.announce.remove(`${jobId}-announce`);
    return 're-enqueued';
  }

  /**
   * The job's state; a job whose failure is already reported (data.failing) but that is still
   * active for a few more milliseconds is awaited briefly, so the redelivery GitHub users send on
   * seeing the failed check is not mistaken for a duplicate.
   */
  private async settledState(job: Job<PipelineJobData>): Promise<string> {
    let state = await job.getState();
    for (let i = 0; i < 50 && state === 'active' && (job.data as { failing?: boolean }).failing; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = await job.getState();
    }
    return state;
  }

  async close(): Promise<void> {
    await Promise.all([this.queue.close(), this.announce.close(), this.flows.close()]);
  }
}
