import { LABEL, ownedFilters } from '../docker/labels.js';
import type { GitHubClient } from '../github/client.js';
import type { CommandJobData } from '../queue/job-types.js';
import type { WorkerDeps } from './run-deploy.js';

/** An environment a check event acts on: production, or one pull request's preview. */
export type CheckTarget = { environment: 'production'; pullRequest?: undefined } | { environment: string; pullRequest: number };

export type Resolution = { targets: CheckTarget[]; via: string } | { refused: string };

const HINTS_CHECKED = 5;

function toTarget(environment: string): CheckTarget | undefined {
  if (environment === 'production') return { environment };
  const match = /^pr-(\d+)$/.exec(environment);
  return match ? { environment, pullRequest: Number(match[1]) } : undefined;
}

const sameRepo = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Open pull requests of this repository whose head is exactly `sha`: GitHub's commit → pulls
 * lookup, the payload's own list (checked one by one), and the newest open pull requests, since
 * a fork's commit is not always associated with its pull request.
 */
async function openPullsWithHead(octokit: GitHubClient, data: CommandJobData, sha: string): Promise<number[]> {
  const ref = { owner: data.owner, repo: data.repo };
  const found = new Set<number>();
  const take = (pr: { number: number; state: string; head: { sha: string }; base: { repo: { full_name: string } } }) => {
    if (pr.state === 'open' && pr.head.sha === sha && sameRepo(pr.base.repo.full_name, data.repository)) found.add(pr.number);
  };
  const { data: associated } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...ref, commit_sha: sha, per_page: 100 });
  associated.forEach(take);
  for (const number of (data.pullRequests ?? []).slice(0, HINTS_CHECKED)) {
    if (found.has(number)) continue;
    try {
      take((await octokit.rest.pulls.get({ ...ref, pull_number: number })).data);
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
    }
  }
  if (found.size === 0) {
    const { data: open } = await octokit.rest.pulls.list({ ...ref, state: 'open', sort: 'updated', direction: 'desc', per_page: 100 });
    open.forEach(take);
  }
  return [...found].sort((a, b) => a - b);
}

/** True when production of `repository` runs exactly `sha` (its live app container's label). */
async function productionRuns(deps: Pick<WorkerDeps, 'engine' | 'config'>, repository: string, sha: string): Promise<boolean> {
  const live = await deps.engine.listContainers(ownedFilters(deps.config.QUEUE_PREFIX, { [LABEL.repository]: repository, [LABEL.environment]: 'production', [LABEL.role]: 'app' }));
  return live.some((c) => c.labels[LABEL.sha] === sha);
}

/**
 * Which environment(s) a button or re-run on commit `data.sha` acts on. Production only when the
 * bot's own record says the check run (or, for a suite, a check run of that commit) was
 * production's, or production runs that very commit: a push to the default branch deployed it.
 * Anything else is a pull request whose head it is, found through the API, or nothing at all.
 */
export async function resolveCheckTarget(data: CommandJobData, deps: Pick<WorkerDeps, 'state' | 'engine' | 'config'>, octokit: GitHubClient): Promise<Resolution> {
  const sha = data.sha!;
  if (data.checkRunId !== undefined) {
    const record = await deps.state.checks.ofRun(data.repository, data.checkRunId);
    const target = record && record.sha === sha ? toTarget(record.environment) : undefined;
    if (target) return { targets: [target], via: `check run ${data.checkRunId}` };
  }
  const recorded = (await deps.state.checks.environmentsOf(data.repository, sha)).map(toTarget).filter((t) => t !== undefined);
  if (recorded.length > 0 && (data.suite || recorded.length === 1)) return { targets: recorded, via: `the check runs of ${sha.slice(0, 12)}` };

  const targets: CheckTarget[] = (await openPullsWithHead(octokit, data, sha)).map((n) => ({ environment: `pr-${n}`, pullRequest: n }));
  if (await productionRuns(deps, data.repository, sha)) targets.unshift({ environment: 'production' });
  if (targets.length > 0) return { targets, via: 'GitHub and the running containers' };
  return {
    refused:
      `helvetia has no record of a check run of \`${sha.slice(0, 12)}\` here, no open pull request of ${data.repository} has it as its head, ` +
      'and production does not run it, so it cannot tell which environment this is for. Nothing was deployed. ' +
      "Push the commit again, or use the check run of the pull request's current head.",
  };
}
