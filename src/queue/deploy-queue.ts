import { FlowProducer, Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { ANNOUNCE_QUEUE, DEPLOY_QUEUE, deployJobId, type DeployJobData } from './job-types.js';

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
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
  // GitHub being down must not block the build: the worker creates the check run itself then.
  ignoreDependencyOnFailure: true,
};

/**
 * Producer side of the deploy pipeline. Each deploy is a flow: an `announce` child (creates the
 * queued check run, off the webhook path) and the `deploy` parent, which runs once it is done.
 */
export class DeployQueue {
  readonly queue: Queue<DeployJobData>;
  private readonly announce: Queue<DeployJobData>;
  private readonly flows: FlowProducer;

  constructor(connection: Redis, options: QueueOptions = {}) {
    const prefix = options.prefix;
    this.queue = new Queue<DeployJobData>(DEPLOY_QUEUE, { connection, prefix });
    this.announce = new Queue<DeployJobData>(ANNOUNCE_QUEUE, { connection, prefix });
    this.flows = new FlowProducer({ connection, prefix });
  }

  /**
   * Stores the job in Redis and resolves only then. Idempotent per delivery + SHA: a duplicate
   * delivery creates nothing; a redelivery of a delivery whose job failed builds again.
   */
  async enqueue(data: DeployJobData): Promise<EnqueueResult> {
    const jobId = deployJobId(data.deliveryId, data.sha);
    let status: EnqueueResult['status'] = 'enqueued';
    const existing = await this.queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (state !== 'failed') return { jobId, status: 'duplicate' };
      await this.removeFlow(jobId);
      status = 're-enqueued';
    }
    await this.flows.add({
      name: 'deploy',
      queueName: DEPLOY_QUEUE,
      data,
      opts: { ...DEPLOY_JOB_OPTIONS, jobId },
      children: [{ name: 'announce', queueName: ANNOUNCE_QUEUE, data, opts: { ...ANNOUNCE_JOB_OPTIONS, jobId: `${jobId}-announce` } }],
    });
    return { jobId, status };
  }

  private async removeFlow(jobId: string): Promise<void> {
    await this.queue.remove(jobId, { removeChildren: true });
    await this.announce.remove(`${jobId}-announce`);
  }

  async close(): Promise<void> {
    await Promise.all([this.queue.close(), this.announce.close(), this.flows.close()]);
  }
}
