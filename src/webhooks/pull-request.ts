import type { DeployJobData, TeardownJobData } from '../queue/job-types.js';

/** The fields of a pull_request payload we read. */
export interface PullRequestPayload {
  action: string;
  number: number;
  pull_request: {
    merged?: boolean | null;
    updated_at?: string;
    head: { sha: string; ref: string; repo: { id: number; full_name: string } | null };
    base: { repo: { id: number; full_name: string } };
  };
  repository: { id?: number; name: string; full_name: string; owner: { login: string } };
  installation?: { id: number };
}

const BUILD_ACTIONS = new Set(['opened', 'reopened', 'synchronize', 'ready_for_review']);

/**
 * `headAt`: when this head arrived, for `/preview` (it approves the head of the comment's moment):
 * GitHub's `updated_at`, or our receipt when that is later. Taking the later of the two can only
 * make a head look newer, so a head pushed after a comment never looks older than it.
 */
export type PullRequestDecision = { deploy: DeployJobData; headAt: number } | { teardown: TeardownJobData } | { ignored: string };

/**
 * A fork, or a head repository deleted since (`head.repo: null`): compared by repository id, which
 * a rename or transfer keeps and a fork can never share. Who the author is never matters.
 */
export const isForkHead = (head: { repo: { id: number } | null }, base: { repo: { id: number } }): boolean => !head.repo || head.repo.id !== base.repo.id;

/**
 * opened / reopened / synchronize / ready_for_review → build `head.sha` into environment
 * `pr-<number>`; closed (merged or not) → tear the environment down. A head repository other than
 * the base (a fork, or a deleted one) marks the deploy as a held fork: it waits for approval.
 */
export function mapPullRequest(deliveryId: string, payload: PullRequestPayload, now = Date.now()): PullRequestDecision {
  if (!payload.installation?.id) return { ignored: 'no installation in the payload' };
  const target = {
    deliveryId,
    installationId: payload.installation.id,
    owner: payload.repository.owner.login,
    repo: payload.repository.name,
    repository: payload.repository.full_name,
    ...(payload.repository.id ? { repositoryId: payload.repository.id } : {}),
    environment: `pr-${payload.number}`,
    pullRequest: payload.number,
    enqueuedAt: now,
  };
  if (payload.action === 'closed') {
    return { teardown: { ...target, reason: payload.pull_request.merged ? 'pull request merged' : 'pull request closed' } };
  }
  if (!BUILD_ACTIONS.has(payload.action)) return { ignored: `action ${payload.action}` };
  const { head, base } = payload.pull_request;
  const updated = Date.parse(payload.pull_request.updated_at ?? '');
  const headAt = Math.max(Number.isFinite(updated) ? updated : 0, now);
  return { deploy: { ...target, sha: head.sha, ref: `refs/pull/${payload.number}/head`, fork: isForkHead(head, base) }, headAt };
}
