import type { GitHubClient } from './client.js';

export const CHECK_NAME = 'helvetia/deploy';

export type CheckConclusion = 'success' | 'failure' | 'timed_out' | 'cancelled' | 'action_required' | 'neutral';

interface RepoRef {
  owner: string;
  repo: string;
}

export async function createQueuedCheck(
  octokit: GitHubClient,
  input: RepoRef & { sha: string; externalId: string; detailsUrl?: string },
): Promise<number> {
  const { data } = await octokit.rest.checks.create({
    owner: input.owner,
    repo: input.repo,
    name: CHECK_NAME,
    head_sha: input.sha,
    status: 'queued',
    external_id: input.externalId,
    ...(input.detailsUrl ? { details_url: input.detailsUrl } : {}),
    output: { title: 'Queued', summary: `Deploy of \`${input.sha.slice(0, 12)}\` is queued.` },
  });
  return data.id;
}

export async function startCheck(octokit: GitHubClient, input: RepoRef & { checkRunId: number; detailsUrl?: string }): Promise<void> {
  await octokit.rest.checks.update({
    owner: input.owner,
    repo: input.repo,
    check_run_id: input.checkRunId,
    status: 'in_progress',
    started_at: new Date().toISOString(),
    ...(input.detailsUrl ? { details_url: input.detailsUrl } : {}),
    output: { title: 'Building', summary: 'The build has started.' },
  });
}

/** Buttons on a concluded check run; GitHub sends them back as check_run.requested_action. */
export interface CheckAction {
  label: string;
  description: string;
  identifier: 'redeploy' | 'destroy' | 'approve' | 'rollback';
}

export const ACTIONS = {
  redeploy: { label: 'Redeploy', description: 'Build and deploy this commit again', identifier: 'redeploy' },
  destroy: { label: 'Destroy preview', description: 'Remove this preview environment', identifier: 'destroy' },
  approve: { label: 'Approve preview', description: 'Build this fork commit (writers only)', identifier: 'approve' },
  rollback: { label: 'Roll back', description: 'Serve this commit\'s kept image again, no build', identifier: 'rollback' },
} as const satisfies Record<string, CheckAction>;

/** How a check run ends: the fields a create or an update sends to conclude it. */
export interface CheckCompletion {
  conclusion: CheckConclusion;
  title: string;
  summary: string;
  detailsUrl?: string;
  actions?: CheckAction[];
}

const completionFields = (input: CheckCompletion) => ({
  status: 'completed' as const,
  conclusion: input.conclusion,
  completed_at: new Date().toISOString(),
  ...(input.detailsUrl ? { details_url: input.detailsUrl } : {}),
  output: { title: input.title, summary: input.summary },
  ...(input.actions?.length ? { actions: input.actions } : {}),
});

export async function completeCheck(octokit: GitHubClient, input: RepoRef & CheckCompletion & { checkRunId: number }): Promise<void> {
  await octokit.rest.checks.update({ owner: input.owner, repo: input.repo, check_run_id: input.checkRunId, ...completionFields(input) });
}

/** A check run created already concluded: one write, for a job nothing announced yet (a superseded one). */
export async function createCompletedCheck(octokit: GitHubClient, input: RepoRef & CheckCompletion & { sha: string; externalId: string }): Promise<number> {
  const { data } = await octokit.rest.checks.create({
    owner: input.owner,
    repo: input.repo,
    name: CHECK_NAME,
    head_sha: input.sha,
    external_id: input.externalId,
    ...completionFields(input),
  });
  return data.id;
}

/** Replaces the buttons of a concluded check run (GitHub keeps its conclusion and output). */
export async function setCheckActions(octokit: GitHubClient, input: RepoRef & { checkRunId: number; actions: CheckAction[] }): Promise<void> {
  await octokit.rest.checks.update({ owner: input.owner, repo: input.repo, check_run_id: input.checkRunId, actions: input.actions });
}
