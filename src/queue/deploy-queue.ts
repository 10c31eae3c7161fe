import { FlowProducer, Queue, type FlowJob, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { runIntake, type IntakeClaim } from './intake-script.js';
import { FairShare } from './fair-share.js';
import { PullRequestHeads } from './pr-heads.js';
import { Supersession } from './supersession.js';
import {
  ANNOUNCE_QUEUE,
  commandJobId,
  DEPLOY_QUEUE,
  deployJobId,
  environmentKey,
  intakeKeys,
  isHeldFork,
  teardownJobId,
  type CommandJobData,
  type DeployJobData,
  type PipelineJobData,
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

/** One stored delivery, waiting in the intake stream for a worker to turn it into BullMQ jobs. */
export type IntakeEntry =
  | { kind: 'deploy'; jobId: string; data: DeployJobData }
  | { kind: 'teardown'; jobId: string; data: TeardownJobData }
  | { kind: 'command'; jobId: string; data: CommandJobData };

/**
 * Producer side of the pipeline. Every call resolves once Redis stored the delivery in the intake
 * stream, in one atomic round trip that also decides "latest commit wins" (intake-script.ts); a
 * worker's IntakeDispatcher then calls materialize(). A deploy is a flow: an `announce` child
 * (creates the queued check run) and the `deploy` parent, which runs once it is done. Teardowns
 * and commands are plain jobs on the same queue.
 */
export class DeployQueue {
  readonly queue: Queue<PipelineJobData>;
  readonly supersession: Supersession;
  readonly heads: PullRequestHeads;
  /** Deploy priorities per installation (see FairShare). */
  readonly fairShare: FairShare;
  /** The intake stream and the hash of job ids in it (a second delivery of one is a duplicate). */
  readonly intake: { stream: string; pending: string };
  private readonly announce: Queue<DeployJobData>;
  private readonly flows: FlowProducer;

  constructor(private readonly redis: Redis, options: QueueOptions = {}) {
    const prefix = options.prefix;
    this.queue = new Queue<PipelineJobData>(DEPLOY_QUEUE, { connection: redis, prefix });
    this.announce = new Queue<DeployJobData>(ANNOUNCE_QUEUE, { connection: redis, prefix });
    this.flows = new FlowProducer({ connection: redis, prefix });
    this.supersession = new Supersession(redis, prefix ?? 'bull');
    this.intake = intakeKeys(prefix ?? 'bull');
    this.heads = new PullRequestHeads(redis, prefix ?? 'bull');
    this.fairShare = new FairShare(redis, prefix ?? 'bull');
  }

  /**
   * Idempotent per delivery + SHA: a duplicate delivery stores nothing; a redelivery of a
   * delivery whose job failed builds again. The new job becomes the environment's latest, which
   * cancels older queued or running deploys of that environment, except a held fork commit
   * (isHeldFork): nobody approved it, so it replaces nothing, not even an approved build.
   * `headAt`: a pull request's new head, recorded for `/preview` (PullRequestHeads) before the
   * delivery is acknowledged.
   */
  async enqueue(data: DeployJobData, options: { headAt?: number } = {}): Promise<EnqueueResult> {
    const jobId = deployJobId(data.deliveryId, data.sha);
    const claim = isHeldFork(data) ? undefined : this.supersession.claimOf(data, data.sha);
    const [status] = await Promise.all([
      this.store({ kind: 'deploy', jobId, data }, claim),
      options.headAt !== undefined && data.pullRequest !== undefined ? this.heads.record(data.repository, data.pullRequest, data.sha, options.headAt) : undefined,
    ]);
    return { jobId, status };
  }

  /** Removes an environment; supersedes any deploy of it still queued or running. */
  async enqueueTeardown(data: TeardownJobData): Promise<EnqueueResult> {
    const jobId = teardownJobId(data.deliveryId, data.environment);
    return { jobId, status: await this.store({ kind: 'teardown', jobId, data }, this.supersession.claimOf(data, 'teardown')) };
  }

  async enqueueCommand(data: CommandJobData): Promise<EnqueueResult> {
    const jobId = commandJobId(data.deliveryId);
    return { jobId, status: await this.store({ kind: 'command', jobId, data }) };
  }

  /**
   * Creates the entries' BullMQ jobs, all deploy flows in one round trip. Idempotent: job ids are
   * deterministic and BullMQ ignores one it has. A deploy followed in the same batch by another
   * deploy or a teardown of its environment was superseded when that one was stored: it gets no
   * announce child (no queued check run), only the deploy job that reports it cancelled. A held
   * fork commit claims nothing and announces nothing: its job concludes its check in one write.
   * Deploys get their installation's fair-share priority; teardowns and commands (quick) none,
   * which BullMQ serves first.
   */
  async materialize(entries: IntakeEntry[]): Promise<void> {
    const flows: FlowJob[] = [];
    const others: Promise<unknown>[] = [];
    const lastOfEnvironment = new Map<string, number>();
    const claims = (entry: IntakeEntry) => entry.kind === 'teardown' || (entry.kind === 'deploy' && !isHeldFork(entry.data));
    entries.forEach((entry, i) => claims(entry) && lastOfEnvironment.set(environmentKey(entry.data as DeployJobData | TeardownJobData), i));
    const deploys = entries.flatMap((entry) => (entry.kind === 'deploy' ? [entry.data.installationId] : []));
    const priorities = await this.fairShare.claim(deploys);
    let d = 0;
    for (const [i, entry] of entries.entries()) {
      const { jobId } = entry;
      if (entry.kind === 'deploy') {
        const announce = claims(entry) && lastOfEnvironment.get(environmentKey(entry.data)) === i;
        flows.push({
          name: 'deploy',
          queueName: DEPLOY_QUEUE,
          data: entry.data,
          opts: { ...DEPLOY_JOB_OPTIONS, jobId, priority: priorities[d++] },
          ...(!announce ? {} : { children: [{ name: 'announce', queueName: ANNOUNCE_QUEUE, data: entry.data, opts: { ...ANNOUNCE_JOB_OPTIONS, jobId: `${jobId}-announce` } }] }),
        });
      } else if (entry.kind === 'teardown') {
        others.push(this.queue.add('teardown', entry.data, { ...DEPLOY_JOB_OPTIONS, attempts: 3, jobId }));
      } else {
        others.push(this.queue.add('command', entry.data, { ...DEPLOY_JOB_OPTIONS, jobId }));
      }
    }
    await Promise.all([flows.length > 0 ? this.flows.addBulk(flows) : undefined, ...others]);
  }

  /**
   * The intake script; a job id never seen (the common case) takes that one round trip. One
   * whose job exists goes through admit() to tell a duplicate from a failed job.
   */
  private async store(entry: IntakeEntry, claim?: IntakeClaim): Promise<EnqueueResult['status']> {
    const record = { kind: entry.kind, jobId: entry.jobId, data: JSON.stringify(entry.data) };
    const first = await runIntake(this.redis, { ...this.intake, jobKey: this.queue.toKey(entry.jobId) }, record, claim);
    if (first.status !== 'job-exists') return first.status === 'stored' ? 'enqueued' : 'duplicate';
    const status = await this.admit(entry.jobId);
    if (status === 'duplicate') return status;
    const again = await runIntake(this.redis, { ...this.intake, jobKey: '' }, record, claim);
    return again.status === 'stored' ? status : 'duplicate';
  }

  /** Decides whether a job id may be stored again: a retry of a failed one, or a duplicate. */
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
