import { randomBytes } from 'node:crypto';
import type { CommandJobData, CommandName } from '../queue/job-types.js';
import type { DeployQueue } from '../queue/deploy-queue.js';
import { environmentHistory, type DeployData } from './environment-data.js';
import type { UserRepository } from './github-user.js';

export type EnvironmentAction = 'redeploy' | 'rollback' | 'destroy';
export const ENVIRONMENT_ACTIONS: readonly EnvironmentAction[] = ['redeploy', 'rollback', 'destroy'];

export type ActionResult = { ok: true; jobId: string; status: string } | { ok: false; status: number; message: string };

/**
 * Checks that an action fits the environment (rollback: production, an image still kept, not the live one;
 * redeploy: a commit of this environment; destroy: previews only) and enqueues the command job.
 * The caller has checked the user's permission just before; the worker checks it again.
 */
export async function enqueueEnvironmentAction(
  deps: { queue: Pick<DeployQueue, 'enqueueCommand'>; data: DeployData },
  input: { repository: UserRepository; environment: string; action: EnvironmentAction; sha: string; actor: string },
): Promise<ActionResult> {
  const { repository, environment, action, sha } = input;
  if (!/^[0-9a-f]{40}$/.test(sha)) return { ok: false, status: 400, message: 'not a commit SHA' };
  const pr = /^pr-(\d+)$/.exec(environment);
  if (action === 'destroy' && !pr) return { ok: false, status: 400, message: 'only previews can be destroyed here' };
  if (action === 'rollback' && pr) return { ok: false, status: 400, message: 'only production can be rolled back (a preview keeps just its current image)' };
  const { records, kept, liveSha } = await environmentHistory(deps.data, repository.fullName, environment);
  if (action === 'rollback') {
    const target = records.find((r) => r.sha === sha && r.outcome === 'success' && r.image !== undefined && kept.has(r.image));
    if (!target) return { ok: false, status: 409, message: 'that image is no longer kept; redeploy the commit instead' };
    if (sha === liveSha) return { ok: false, status: 409, message: 'that commit is already live' };
  } else if (sha !== liveSha && !records.some((r) => r.sha === sha)) {
    return { ok: false, status: 409, message: 'that commit was never deployed to this environment' };
  }
  const data: CommandJobData = {
    command: action satisfies CommandName,
    actor: input.actor,
    sha,
    environment,
    ...(pr ? { pullRequest: Number(pr[1]) } : {}),
    installationId: repository.installationId,
    owner: repository.owner,
    repo: repository.repo,
    repository: repository.fullName,
    repositoryId: repository.id,
    deliveryId: `dashboard-${randomBytes(12).toString('hex')}`,
    enqueuedAt: Date.now(),
  };
  const { jobId, status } = await deps.queue.enqueueCommand(data);
  return { ok: true, jobId, status };
}
