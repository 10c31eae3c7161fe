import type { Job } from 'bullmq';
import { renderSummary } from '../github/summary.js';
import type { DeployQueue } from '../queue/deploy-queue.js';
import { Reporter } from './reporter.js';
import type { DeployOutcome, RunningData, WorkerDeps } from './run-deploy.js';

export const FORK_HOLD_TITLE = 'Approval needed to build a fork';

/** What a held fork commit's check and the pull request comment say. */
export const forkHoldReason = (sha: string): string =>
  `This pull request comes from a fork, so its code is not built until someone with write access approves commit \`${sha.slice(0, 12)}\`: ` +
  'press **Approve preview** on this check, or comment `/preview` on the pull request (it approves the head the pull request had when you commented). ' +
  'Every new push needs a new approval. Fork builds never receive secrets.';

/**
 * A fork pull request's new head (isHeldFork): nothing is fetched or built. If a writer approved
 * this exact commit before (a reopen, a redelivery), a deploy of it is enqueued as approved;
 * otherwise its check run asks for approval, in one write, and the PR comment says so.
 */
export async function runForkHold(job: Job<RunningData>, deps: WorkerDeps, queue: DeployQueue): Promise<DeployOutcome> {
  const data = job.data;
  if (data.concluded) return { status: 'skipped', reason: 'already concluded' };
  const logger = deps.logger.child({ jobId: job.id, deliveryId: data.deliveryId, sha: data.sha, repository: data.repository, environment: data.environment });
  const approvedBy = await deps.state.approvedBy(data.repository, data.pullRequest!, data.sha);
  if (approvedBy) {
    const { jobId } = await queue.enqueue({ ...data, deliveryId: `${data.deliveryId}-approved`, approvedBy, requestedBy: approvedBy, enqueuedAt: Date.now() });
    logger.info({ approvedBy, jobId }, 'fork commit approved earlier: deploy enqueued');
    return { status: 'skipped', reason: `approved earlier by @${approvedBy}` };
  }
  const { octokit } = await deps.github(data.installationId);
  const reporter = new Reporter(octokit, data, job.id!, deps.state, { checkRunId: data.checkRunId });
  const reason = forkHoldReason(data.sha);
  await reporter.conclude('action_required', FORK_HOLD_TITLE, renderSummary({ title: FORK_HOLD_TITLE, rows: [['Commit', `\`${data.sha}\``]], notes: [reason] }));
  await job.updateData({ ...data, checkRunId: reporter.checkRunId, concluded: true });
  await reporter.comment({ state: 'awaiting approval', sha: data.sha, note: reason });
  logger.info('fork commit held for approval');
  return { status: 'skipped', reason: FORK_HOLD_TITLE };
}
