import type { Job } from 'bullmq';
import { canWrite, react } from '../github/permissions.js';
import type { DeployQueue } from '../queue/deploy-queue.js';
import type { CommandJobData } from '../queue/job-types.js';
import type { WorkerDeps } from './run-deploy.js';

export type CommandOutcome = { status: 'refused' | 'ignored'; reason: string } | { status: 'accepted'; enqueued: string };

/**
 * Slash commands (`/preview`, `/destroy`) and check-run buttons (Redeploy, Destroy preview,
 * Approve preview). Only users with write access are obeyed; others get a polite refusal reaction.
 */
export async function runCommand(job: Job<CommandJobData>, deps: WorkerDeps, queue: DeployQueue): Promise<CommandOutcome> {
  const data = job.data;
  const logger = deps.logger.child({ jobId: job.id, command: data.command, actor: data.actor, repository: data.repository });
  const { octokit } = await deps.github(data.installationId);
  const ref = { owner: data.owner, repo: data.repo };
  if (!(await canWrite(octokit, data.owner, data.repo, data.actor))) {
    if (data.commentId) await react(octokit, data.owner, data.repo, data.commentId, 'confused');
    logger.info('command refused: no write access');
    return { status: 'refused', reason: `@${data.actor} has no write access` };
  }
  if (data.commentId) await react(octokit, data.owner, data.repo, data.commentId, 'rocket');
  const base = { deliveryId: `${data.deliveryId}-${data.command}`, installationId: data.installationId, ...ref, repository: data.repository, environment: data.environment, pullRequest: data.pullRequest, enqueuedAt: Date.now() };

  if (data.command === 'destroy') {
    const { jobId } = await queue.enqueueTeardown({ ...base, reason: `destroyed by @${data.actor}` });
    return { status: 'accepted', enqueued: jobId };
  }
  let sha = data.sha;
  let fork = false;
  let headRef = 'refs/heads/unknown';
  if (data.pullRequest !== undefined) {
    const { data: pr } = await octokit.rest.pulls.get({ ...ref, pull_number: data.pullRequest });
    if (pr.state !== 'open') return { status: 'ignored', reason: 'the pull request is closed' };
    sha = data.command === 'preview' ? pr.head.sha : (sha ?? pr.head.sha);
    fork = pr.head.repo?.full_name !== pr.base.repo.full_name;
    headRef = `refs/pull/${data.pullRequest}/head`;
  }
  if (!sha) return { status: 'ignored', reason: 'no commit to deploy' };
  if (fork && (data.command === 'preview' || data.command === 'approve')) {
    await deps.state.approve(data.repository, data.pullRequest!, sha, data.actor);
    logger.info({ sha }, 'fork commit approved');
  }
  const { jobId } = await queue.enqueue({ ...base, sha, ref: headRef, fork, requestedBy: data.actor });
  return { status: 'accepted', enqueued: jobId };
}
