import { LABEL } from '../docker/labels.js';
import { runtimeOf } from './runtime.js';
import type { DeployQueue } from '../queue/deploy-queue.js';
import type { WorkerDeps } from './run-deploy.js';

export interface PreviewReport {
  checked: number;
  removed: { environment: string; repository: string; reason: string }[];
}

/**
 * Periodic: compares running previews (by label) with reality and tears down those that should
 * not exist: idle longer than PREVIEW_TTL_HOURS (the next push revives them), or whose pull
 * request is closed or gone on GitHub (missed `closed` deliveries, deleted branches, stacked PRs).
 */
export async function reconcilePreviews(deps: WorkerDeps, queue: DeployQueue, now = Date.now()): Promise<PreviewReport> {
  // What serves each app: containers on this host, or Swarm services on any node (DEPLOY_BACKEND).
  const apps = await runtimeOf(deps).listApps(deps.config.QUEUE_PREFIX);
  const previews = new Map<string, { repository: string; environment: string; installationId: number }>();
  for (const labels of apps) {
    const environment = labels[LABEL.environment] ?? '';
    const repository = labels[LABEL.repository] ?? '';
    const installationId = Number(labels[LABEL.installation]);
    if (/^pr-\d+$/.test(environment) && repository.includes('/') && installationId > 0) {
      previews.set(`${repository}@${environment}`, { repository, environment, installationId });
    }
  }
  const report: PreviewReport = { checked: previews.size, removed: [] };
  for (const preview of previews.values()) {
    const [owner, repo] = preview.repository.split('/') as [string, string];
    const pullRequest = Number(preview.environment.slice(3));
    let reason: string | undefined;
    const deployedAt = await deps.state.deployedAt(preview.repository, preview.environment);
    if (deployedAt !== undefined && now - deployedAt > deps.config.PREVIEW_TTL_HOURS * 3600_000) {
      reason = `idle for more than ${deps.config.PREVIEW_TTL_HOURS} hours`;
    } else {
      const { octokit } = await deps.github(preview.installationId);
      try {
        const { data: pr } = await octokit.rest.pulls.get({ owner, repo, pull_number: pullRequest });
        if (pr.state !== 'open') reason = `pull request #${pullRequest} is ${pr.merged ? 'merged' : 'closed'}`;
      } catch (error) {
        if ((error as { status?: number }).status !== 404) throw error;
        reason = `pull request #${pullRequest} no longer exists`;
      }
    }
    if (!reason) continue;
    await queue.enqueueTeardown({
      deliveryId: `reconcile-${now}-${preview.environment}`,
      installationId: preview.installationId, owner, repo, repository: preview.repository,
      environment: preview.environment, pullRequest, reason, enqueuedAt: now,
    });
    report.removed.push({ environment: preview.environment, repository: preview.repository, reason });
  }
  deps.logger.info({ checked: report.checked, removed: report.removed.length }, 'previews reconciled');
  return report;
}
