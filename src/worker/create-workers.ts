import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createQueuedCheck } from '../github/checks.js';
import { RANK_CURRENT, RANK_SUPERSEDED } from '../github/write-queue.js';
import { DEPLOY_JOB_OPTIONS, type DeployQueue } from '../queue/deploy-queue.js';
import { IntakeDispatcher } from '../queue/intake-dispatcher.js';
import { ANNOUNCE_QUEUE, DEPLOY_QUEUE, isHeldFork, type AnnounceResult, type CommandJobData, type DeployJobData, type PipelineJobData, type TeardownJobData } from '../queue/job-types.js';
import type { CancelMessage } from '../queue/supersession.js';
import { concludeLeftover } from './conclude-leftover.js';
import { concludeLeftoverChecks } from './leftover-checks.js';
import { reconcilePreviews } from './reconcile-previews.js';
import { runCommand } from './run-command.js';
import { runDeploy, type RunningData, type WorkerDeps } from './run-deploy.js';
import { runForkHold } from './run-fork-hold.js';
import { runTeardown } from './run-teardown.js';

export interface WorkerTuning {
  prefix?: string;
  concurrency: number;
  /** Lock and stalled-check timings; tests shorten them to drill crash recovery. */
  lockDuration?: number;
  stalledInterval?: number;
  maxStalledCount?: number;
  /** How often the preview reconciler runs (ms); 0 disables it. */
  reconcileEveryMs?: number;
}

export interface Workers {
  workers: Worker[];
  close(): Promise<void>;
}

/** Concludes the check run of a job that failed outside the processor (e.g. stalled too often). */
async function concludeAbandoned(job: Job<RunningData>, deps: WorkerDeps, reason: string): Promise<void> {
  const data = job.data;
  if (data.concluded) return;
  // A worker killed before it stored the check run id in the job data: the announce child made it.
  const checkRunId = data.checkRunId ?? Object.values(await job.getChildrenValues<AnnounceResult>())[0]?.checkRunId;
  if (checkRunId === undefined) return;
  await concludeLeftover(deps, { jobId: job.id!, owner: data.owner, repo: data.repo, installationId: data.installationId, checkRunId }, reason, data.sha);
}

/** Runs a deploy's processor with its GitHub writes ranked: behind the environment's latest job once superseded. */
function ranked<T>(deps: WorkerDeps, data: DeployJobData, jobId: string, fn: () => Promise<T>): Promise<T> {
  if (!deps.writeRanks) return fn();
  const rank = async () => ((await deps.supersession.supersededBy(data, jobId)) === undefined ? RANK_CURRENT : RANK_SUPERSEDED);
  return deps.writeRanks.run(rank, fn);
}

/**
 * The worker role: the intake dispatcher (stored deliveries → jobs), `announce` (queued check
 * runs, quick) and the pipeline queue (deploy, teardown, command, reconcile). Connections use
 * maxRetriesPerRequest: null; cancel messages from "latest commit wins" abort the running job they name.
 */
export async function createWorkers(connection: Redis, deps: WorkerDeps, tuning: WorkerTuning, queue: DeployQueue): Promise<Workers> {
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
      const { octokit, turn } = await deps.github(job.data.installationId);
      const parentId = job.parent?.id ?? job.id!.replace(/-announce$/, '');
      // Decided when GitHub's turn comes, which in a burst is long after the job started: a deploy
      // superseded meanwhile gets no queued check; its deploy job reports it cancelled in one write.
      return ranked(deps, job.data, parentId, () =>
        turn(async () => {
          if (await deps.supersession.supersededBy(job.data, parentId)) return {};
          const checkRunId = await deps.state.checks.create(job.data, () =>
            createQueuedCheck(octokit, { owner: job.data.owner, repo: job.data.repo, sha: job.data.sha, externalId: parentId, detailsUrl: deps.logUrl?.(parentId) }),
          );
          await deps.state.trackCheck({ jobId: parentId, owner: job.data.owner, repo: job.data.repo, installationId: job.data.installationId, checkRunId });
          return { checkRunId };
        }),
      );
    },
    // Announce jobs mostly wait for their turn among GitHub writes (superseded ones last): many
    // may wait at once without holding up the latest push's announce.
    { ...common, concurrency: 64 },
  );
  const pipeline = new Worker<PipelineJobData>(
    DEPLOY_QUEUE,
    async (job, _token, signal) => {
      const abort = signal ?? new AbortController().signal;
      switch (job.name) {
        case 'deploy':
          // Out of the queue: the installation's next deploys move up one place.
          await queue.fairShare.release((job.data as DeployJobData).installationId).catch((err: unknown) => deps.logger.warn({ err, jobId: job.id }, 'could not update the fair-share count'));
          if (isHeldFork(job.data as DeployJobData)) return runForkHold(job as Job<RunningData>, deps, queue);
          return ranked(deps, job.data as DeployJobData, job.id!, () => runDeploy(job as Job<RunningData>, deps, abort));
        case 'teardown': return runTeardown(job as Job<TeardownJobData>, deps);
        case 'command': return runCommand(job as Job<CommandJobData>, deps, queue);
        case 'reconcile': {
          const concludedChecks = await concludeLeftoverChecks(deps, queue.queue);
          if (concludedChecks.length) deps.logger.warn({ concludedChecks }, 'concluded check runs whose report was lost');
          return { ...(await reconcilePreviews(deps, queue)), concludedChecks };
        }
        default: throw new Error(`unknown job ${job.name}`);
      }
    },
    { ...common, concurrency: tuning.concurrency },
  );
  pipeline.on('failed', (job, error) => {
    if (!job || job.name !== 'deploy' || (job.data as RunningData).concluded) return;
    const attemptsLeft = (job.opts.attempts ?? 1) - job.attemptsMade;
    if (attemptsLeft > 0 && !/stalled/i.test(error.message)) return;
    concludeAbandoned(job as Job<RunningData>, deps, error.message).catch((err: unknown) => deps.logger.error({ err, jobId: job.id }, 'could not conclude the check run of an abandoned job'));
  });
  announce.on('failed', (job, err) => deps.logger.warn({ err, jobId: job?.id }, 'could not announce a deploy on GitHub'));
  for (const worker of [announce, pipeline]) worker.on('error', (err) => deps.logger.error({ err, queue: worker.name }, 'worker error'));

  const subscriber = connection.duplicate();
  await subscriber.subscribe(deps.supersession.channel);
  subscriber.on('message', (_channel, raw) => {
    const message = JSON.parse(raw) as CancelMessage;
    if (pipeline.cancelJob(message.jobId, message.by)) deps.logger.info(message, 'cancelled a superseded deploy');
  });
  if (tuning.reconcileEveryMs) {
    // BullMQ trims a queue's whole completed (failed) set by the options of the job that just
    // finished: a count here would delete the deploy jobs' history (duplicate detection) too.
    const opts = { removeOnComplete: true, removeOnFail: DEPLOY_JOB_OPTIONS.removeOnFail };
    await queue.queue.upsertJobScheduler('reconcile-previews', { every: tuning.reconcileEveryMs }, { name: 'reconcile', data: {} as PipelineJobData, opts });
  }
  const dispatcher = new IntakeDispatcher({ blocking: connection.duplicate(), queue, logger: deps.logger });
  dispatcher.start();
  return {
    workers: [announce, pipeline],
    close: async () => {
      await dispatcher.close();
      await Promise.all([announce.close(), pipeline.close()]);
      subscriber.disconnect();
    },
  };
}
