import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createQueuedCheck, completeCheck } from '../github/checks.js';
import { renderSummary } from '../github/summary.js';
import { ANNOUNCE_QUEUE, DEPLOY_QUEUE, type AnnounceResult, type DeployJobData } from '../queue/job-types.js';
import { runDeploy, type WorkerDeps } from './run-deploy.js';

export interface WorkerTuning {
  prefix?: string;
  concurrency: number;
  /** Lock and stalled-check timings; tests shorten them to drill crash recovery. */
  lockDuration?: number;
  stalledInterval?: number;
  maxStalledCount?: number;
}

type RunningData = DeployJobData & { checkRunId?: number; concluded?: boolean };

/** Concludes the check run of a job that failed outside the processor (e.g. stalled too often). */
async function concludeAbandoned(job: Job<RunningData>, deps: WorkerDeps, reason: string): Promise<void> {
  const data = job.data;
  if (data.concluded || data.checkRunId === undefined) return;
  const { octokit } = await deps.github(data.installationId);
  await completeCheck(octokit, {
    owner: data.owner,
    repo: data.repo,
    checkRunId: data.checkRunId,
    conclusion: 'failure',
    title: 'Deploy interrupted',
    summary: renderSummary({ title: 'Deploy interrupted', rows: [['Commit', `\`${data.sha}\``], ['Reason', reason]] }),
  });
  await deps.state.untrackCheck(job.id!);
}

/**
 * The two BullMQ workers of the worker role: `announce` (queued check runs, quick) and `deploy`.
 * Both use a connection with maxRetriesPerRequest: null; close them with close() on SIGTERM.
 */
export function createWorkers(connection: Redis, deps: WorkerDeps, tuning: WorkerTuning): Worker[] {
  const common = {
    connection,
    prefix: tuning.prefix,
    lockDuration: tuning.lockDuration ?? 30_000,
    stalledInterval: tuning.stalledInterval ?? 30_000,
    maxStalledCount: tuning.maxStalledCount ?? 1,
  };
  const announce = new Worker<DeployJobData, AnnounceResult>(
    ANNOUNCE_QUEUE,
    async (job) => {
      const { octokit } = await deps.github(job.data.installationId);
      const parentId = job.parent?.id ?? job.id!.replace(/-announce$/, '');
      const checkRunId = await createQueuedCheck(octokit, {
        owner: job.data.owner,
        repo: job.data.repo,
        sha: job.data.sha,
        externalId: parentId,
        detailsUrl: deps.logUrl?.(parentId),
      });
      await deps.state.trackCheck({ jobId: parentId, owner: job.data.owner, repo: job.data.repo, installationId: job.data.installationId, checkRunId });
      return { checkRunId };
    },
    { ...common, concurrency: 8 },
  );
  const deploy = new Worker<RunningData>(DEPLOY_QUEUE, (job, _token, signal) => runDeploy(job, deps, signal ?? new AbortController().signal), {
    ...common,
    concurrency: tuning.concurrency,
  });
  deploy.on('failed', (job, error) => {
    if (!job || job.data.concluded) return;
    const attemptsLeft = (job.opts.attempts ?? 1) - job.attemptsMade;
    if (attemptsLeft > 0 && !/stalled/i.test(error.message)) return;
    concludeAbandoned(job, deps, error.message).catch((err: unknown) =>
      deps.logger.error({ err, jobId: job.id }, 'could not conclude the check run of an abandoned job'),
    );
  });
  announce.on('failed', (job, err) => deps.logger.warn({ err, jobId: job?.id }, 'could not announce a deploy on GitHub'));
  for (const worker of [announce, deploy]) {
    worker.on('error', (err) => deps.logger.error({ err, queue: worker.name }, 'worker error'));
  }
  return [announce, deploy];
}
