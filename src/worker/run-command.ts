import type { Job } from 'bullmq';
import { createCompletedCheck } from '../github/checks.js';
import type { GitHubClient } from '../github/client.js';
import { canWrite, react } from '../github/permissions.js';
import { renderSummary } from '../github/summary.js';
import type { DeployQueue } from '../queue/deploy-queue.js';
import type { CommandJobData, DeployJobData } from '../queue/job-types.js';
import { redeployScope } from '../secrets/redeploy.js';
import { isForkHead } from '../webhooks/pull-request.js';
import { resolveCheckTarget, type CheckTarget } from './resolve-check-target.js';
import type { WorkerDeps } from './run-deploy.js';

export type CommandOutcome = { status: 'refused' | 'ignored'; reason: string } | { status: 'accepted'; enqueued: string[] };

type Acted = { enqueued: string } | { ignored: string };

/**
 * Slash commands (`/preview`, `/destroy`), check-run buttons or re-runs (Redeploy, Destroy
 * preview, Approve preview, Roll back) and the dashboard's actions. Only users with write access are obeyed; others get a polite refusal
 * reaction. A check event acts on the environment(s) its commit belongs to (resolveCheckTarget);
 * when none can be told, a neutral check on that commit says why and nothing is deployed.
 */
export async function runCommand(job: Job<CommandJobData>, deps: WorkerDeps, queue: DeployQueue): Promise<CommandOutcome> {
  const data = job.data;
  const logger = deps.logger.child({ jobId: job.id, command: data.command, actor: data.actor, repository: data.repository, sha: data.sha });
  const { octokit } = await deps.github(data.installationId);
  if (!(await canWrite(octokit, data.owner, data.repo, data.actor))) {
    if (data.commentId) await react(octokit, data.owner, data.repo, data.commentId, 'confused');
    logger.info('command refused: no write access');
    return { status: 'refused', reason: `@${data.actor} has no write access` };
  }
  if (data.command === 'redeploy-scope') return redeploySecrets(data, deps, queue, octokit);
  let targets: CheckTarget[];
  if (data.environment !== undefined) {
    // A slash command (its pull request) or the dashboard (an environment it listed).
    if (data.pullRequest !== undefined) targets = [{ environment: `pr-${data.pullRequest}`, pullRequest: data.pullRequest }];
    else if (data.environment === 'production') targets = [{ environment: 'production' }];
    else return { status: 'ignored', reason: `environment ${data.environment} names no pull request` };
  } else {
    const resolution = await resolveCheckTarget(data, deps, octokit);
    if ('refused' in resolution) {
      await refuseOnCheck(octokit, data, resolution.refused);
      logger.warn({ reason: resolution.refused }, 'check event refused: no environment');
      return { status: 'refused', reason: resolution.refused };
    }
    targets = resolution.targets;
    logger.info({ environments: targets.map((t) => t.environment), via: resolution.via }, 'check event resolved');
  }
  const results: Acted[] = [];
  for (const target of targets) results.push(await actOn(target, data, deps, queue, octokit));
  const enqueued = results.flatMap((r) => ('enqueued' in r ? [r.enqueued] : []));
  if (data.commentId) await react(octokit, data.owner, data.repo, data.commentId, enqueued.length ? 'rocket' : 'confused');
  if (enqueued.length === 0) {
    const reason = results.map((r) => ('ignored' in r ? r.ignored : '')).join('; ');
    logger.info({ reason }, 'command ignored');
    return { status: 'ignored', reason };
  }
  return { status: 'accepted', enqueued };
}

/** One environment: a teardown, or a deploy of the commit the command is about. */
async function actOn(target: CheckTarget, data: CommandJobData, deps: WorkerDeps, queue: DeployQueue, octokit: GitHubClient): Promise<Acted> {
  const base = {
    deliveryId: `${data.deliveryId}-${data.command}-${target.environment}`, installationId: data.installationId, owner: data.owner, repo: data.repo,
    repository: data.repository, repositoryId: data.repositoryId, environment: target.environment, pullRequest: target.pullRequest, enqueuedAt: Date.now(),
  };
  const reason = data.command === 'redeploy' ? `redeploy asked by @${data.actor}` : data.command === 'rollback' ? `rollback by @${data.actor}` : undefined;
  if (data.command === 'rollback') return rollBack(target, data, deps, queue, octokit, { ...base, reason });
  if (target.pullRequest === undefined) {
    // Production: only its own check run's Redeploy (or re-run) gets here; never removed from GitHub.
    if (data.command !== 'redeploy') return { ignored: `${data.command} does not apply to production` };
    const { jobId } = await queue.enqueue({ ...base, sha: data.sha!, ref: 'refs/heads/(redeploy)', requestedBy: data.actor, reason });
    return { enqueued: jobId };
  }
  if (data.command === 'destroy') {
    const { jobId } = await queue.enqueueTeardown({ ...base, reason: `destroyed by @${data.actor}` });
    return { enqueued: jobId };
  }
  const { data: pr } = await octokit.rest.pulls.get({ owner: data.owner, repo: data.repo, pull_number: target.pullRequest });
  if (pr.state !== 'open') return { ignored: `pull request #${target.pullRequest} is closed` };
  const fork = isForkHead(pr.head, pr.base);
  // A button or re-run: the commit of that check run. `/preview`: on a fork, the head the pull
  // request had when the comment was written (a later push needs its own approval); else its head.
  // Without a commit (never from GitHub), a same-repository PR rebuilds its head; a fork needs one named.
  let sha = data.sha ?? (fork ? undefined : pr.head.sha);
  if (data.command === 'preview') {
    sha = fork ? await queue.heads.headBefore(data.repository, target.pullRequest, data.commentedAt ?? data.enqueuedAt) : pr.head.sha;
    if (!sha) return { ignored: `no head of #${target.pullRequest} arrived before the comment; comment again, or press Approve preview on its check` };
  }
  if (!sha) return { ignored: 'no commit to deploy' };
  if (!fork) {
    const { jobId } = await queue.enqueue({ ...base, sha, ref: `refs/pull/${target.pullRequest}/head`, requestedBy: data.actor, reason });
    return { enqueued: jobId };
  }
  // A writer asked for exactly this fork commit to be built: that is the approval of it.
  await deps.state.approve(data.repository, target.pullRequest, sha, data.actor);
  deps.logger.info({ repository: data.repository, pullRequest: target.pullRequest, sha, by: data.actor }, 'fork commit approved');
  const { jobId } = await queue.enqueue({ ...base, sha, ref: `refs/pull/${target.pullRequest}/head`, fork: true, approvedBy: data.actor, requestedBy: data.actor, reason });
  return { enqueued: jobId };
}

/** A check event nobody can place: one neutral check run on its commit says why. */
async function refuseOnCheck(octokit: GitHubClient, data: CommandJobData, reason: string, title = 'Not deployed: unknown environment'): Promise<void> {
  await createCompletedCheck(octokit, {
    owner: data.owner, repo: data.repo, sha: data.sha!, externalId: `refused-${data.deliveryId}`,
    conclusion: 'neutral', title, summary: renderSummary({ title, rows: [['Commit', `\`${data.sha}\``], ['Asked by', `@${data.actor}`]], notes: [reason] }),
  });
}

/** Rollback: a deploy of the commit's kept image (no build); a commit whose image is gone gets a neutral check saying so. */
async function rollBack(target: CheckTarget, data: CommandJobData, deps: WorkerDeps, queue: DeployQueue, octokit: GitHubClient, base: Omit<DeployJobData, 'sha' | 'ref'>): Promise<Acted> {
  if (!data.sha) return { ignored: 'no commit to roll back to' };
  // Only production offers "Roll back": a preview keeps just its current image, and a fork's code
  // (which only ever runs as a preview) must never be swapped in from a rollback either.
  if (target.pullRequest !== undefined) return { ignored: `rollback applies to production only, not ${target.environment}` };
  if (!(await deps.history?.keptImage(data.repository, target.environment, data.sha))) {
    const reason = `the image of ${data.sha.slice(0, 12)} is no longer kept for ${target.environment} (KEEP_IMAGES=${deps.config.KEEP_IMAGES}); Redeploy builds it again`;
    if (data.checkRunId !== undefined) await refuseOnCheck(octokit, data, reason, 'Not rolled back: image not kept');
    return { ignored: reason };
  }
  const { jobId } = await queue.enqueue({ ...base, sha: data.sha, ref: 'refs/heads/(rollback)', requestedBy: data.actor, rollback: true });
  return { enqueued: jobId };
}

/** The secrets page's Redeploy: every live environment the scope covers runs its commit again, with the new values. */
async function redeploySecrets(data: CommandJobData, deps: WorkerDeps, queue: DeployQueue, octokit: GitHubClient): Promise<CommandOutcome> {
  if (!data.scope || data.repositoryId === undefined) return { status: 'ignored', reason: 'redeploy-scope names no scope or repository id' };
  const target = { owner: data.owner, repo: data.repo, repositoryId: data.repositoryId, installationId: data.installationId };
  const enqueued = await redeployScope({ queue, state: deps.state, octokit }, target, data.scope, `secrets of ${data.scope} changed; redeploy asked by @${data.actor}`);
  return enqueued.length ? { status: 'accepted', enqueued } : { status: 'ignored', reason: `no live environment in scope ${data.scope}` };
}
