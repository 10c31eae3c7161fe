import type { GitHubClient } from '../github/client.js';
import type { DeployQueue } from '../queue/deploy-queue.js';
import type { DeployState } from '../worker/deploy-state.js';
import { isForkHead } from '../webhooks/pull-request.js';
import type { SecretScope } from './sealed-format.js';

export interface RedeployTarget {
  owner: string;
  repo: string;
  repositoryId: number;
  installationId: number;
}

/**
 * Redeploys, through the normal pipeline, every live environment a scope covers: production, or
 * the open same-repository previews (fork previews get no secrets, so nothing changes for them).
 * Each runs the commit it runs now, with `reason` on its check run.
 */
export async function redeployScope(
  deps: { queue: DeployQueue; state: DeployState; octokit: GitHubClient },
  target: RedeployTarget,
  scope: SecretScope,
  reason: string,
): Promise<string[]> {
  const repository = `${target.owner}/${target.repo}`;
  const enqueued: string[] = [];
  const at = Date.now();
  for (const { environment, sha } of await deps.state.liveEnvironments(repository)) {
    const pr = /^pr-(\d+)$/.exec(environment);
    if ((scope === 'production') !== (environment === 'production') || (!pr && environment !== 'production')) continue;
    if (pr) {
      const { data } = await deps.octokit.rest.pulls.get({ owner: target.owner, repo: target.repo, pull_number: Number(pr[1]) });
      if (data.state !== 'open' || isForkHead(data.head, data.base)) continue;
    }
    const { jobId } = await deps.queue.enqueue({
      deliveryId: `secrets-${at}-${environment}`, installationId: target.installationId, owner: target.owner, repo: target.repo, repository,
      repositoryId: target.repositoryId, environment, ...(pr ? { pullRequest: Number(pr[1]) } : {}), sha,
      ref: pr ? `refs/pull/${pr[1]}/head` : 'refs/heads/(redeploy)', enqueuedAt: at, requestedBy: 'helvetia secrets', reason,
    });
    enqueued.push(`${environment}@${sha.slice(0, 12)} (${jobId})`);
  }
  return enqueued;
}
