import type { Queue } from 'bullmq';
import type { PipelineJobData } from '../queue/job-types.js';
import { concludeLeftover } from './conclude-leftover.js';
import type { WorkerDeps } from './run-deploy.js';

export const IN_FLIGHT = new Set(['active', 'waiting', 'waiting-children', 'delayed', 'prioritized']);

/** A job's BullMQ state, `missing` when it is gone (or has no id). */
export async function jobState(queue: Queue<PipelineJobData>, jobId: string | undefined): Promise<string> {
  const job = jobId ? await queue.getJob(jobId) : undefined;
  return job ? await job.getState() : 'missing';
}

/**
 * Concludes the check runs nobody will finish: tracked as open, their job no longer in flight, and
 * no worker holding their report (a lease, see DeployState.leaseReport). Run when a worker starts
 * and on every periodic reconcile: a report that failed (GitHub down, rate limits exhausted)
 * releases its lease, so its check is concluded within RECONCILE_INTERVAL_SECONDS, not at the next
 * restart. Returns the check runs it concluded.
 */
export async function concludeLeftoverChecks(deps: WorkerDeps, queue: Queue<PipelineJobData>): Promise<number[]> {
  const concluded: number[] = [];
  for (const check of await deps.state.openChecks()) {
    if (IN_FLIGHT.has(await jobState(queue, check.jobId))) continue;
    if (await deps.state.reportLeased(check.jobId)) continue;
    await concludeLeftover(deps, check, 'the worker stopped before this deploy concluded; push again to redeploy');
    concluded.push(check.checkRunId);
  }
  return concluded;
}
