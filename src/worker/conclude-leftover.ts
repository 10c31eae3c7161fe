import { completeCheck } from '../github/checks.js';
import { renderSummary } from '../github/summary.js';
import { supersededTitle } from './deploy-errors.js';
import type { OpenCheck } from './deploy-state.js';
import type { WorkerDeps } from './run-deploy.js';

/**
 * Concludes a check run its job left open (the worker died, or the job stalled too often) and
 * stops tracking it: `cancelled` when a newer deploy had replaced that job (its "cancelled" was
 * still waiting to be sent), else `failure` "Deploy interrupted" with `reason`.
 */
export async function concludeLeftover(deps: Pick<WorkerDeps, 'github' | 'supersession' | 'state'>, check: OpenCheck, reason: string, sha?: string): Promise<void> {
  const { octokit } = await deps.github(check.installationId);
  const by = await deps.supersession.replacedBy(check.jobId);
  const title = by === undefined ? 'Deploy interrupted' : supersededTitle(by);
  const rows: [string, string][] = sha ? [['Commit', `\`${sha}\``]] : [];
  rows.push(['Reason', by === undefined ? reason : `replaced by ${by}`]);
  await completeCheck(octokit, {
    owner: check.owner,
    repo: check.repo,
    checkRunId: check.checkRunId,
    conclusion: by === undefined ? 'failure' : 'cancelled',
    title,
    summary: renderSummary({ title, rows }),
  });
  await deps.state.untrackCheck(check.jobId);
}
