import type { DeployJobData, TeardownJobData } from '../queue/job-types.js';

/** The fields of a pull_request payload we read. */
export interface PullRequestPayload {
  action: string;
  number: number;
  pull_request: {
    merged?: boolean | null;
    head: { sha: string; ref: string; repo: { full_name: string } | null };
    base: { repo: { full_name: string } };
  };
  repository: { name: string; full_name: string; owner: { login: string } };
  installation?: { id: number };
}

const BUILD_ACTIONS = new Set(['opened', 'reopened', 'synchronize', 'ready_for_review']);

export type PullRequestDecision = { deploy: DeployJobData } | { teardown: TeardownJobData } | { ignored: string };

/**
 * opened / reopened / synchronize / ready_for_review → build `head.sha` into environment
 * `pr-<number>`; closed (merged or not) → tear the environment down. A head repository other than
 * the base (a fork, or a deleted one) marks the deploy as needing approval.
 */
export function mapPullRequest(deliveryId: string, payload: PullRequestPayload, now = Date.now()): PullRequestDecision {
  if (!payload.installation?.id) return { ignored: 'no installation in the payload' };
  const target = {
    deliveryId,
    installationId: payload.installation.id,
    owner: payload.repository.owner.login,
    repo: payload.repository.name,
    repository: payload.repository.full_name,
    environment: `pr-${payload.number}`,
    pullRequest: payload.number,
    enqueuedAt: now,
  };
  if (payload.action === 'closed') {
    return { teardown: { ...target, reason: payload.pull_request.merged ? 'pull request merged' : 'pull request closed' } };
  }
  if (!BUILD_ACTIONS.has(payload.action)) return { ignored: `action ${payload.action}` };
  const head = payload.pull_request.head;
  const fork = head.repo?.full_name !== payload.pull_request.base.repo.full_name;
  return { deploy: { ...target, sha: head.sha, ref: `refs/pull/${payload.number}/head`, fork } };
}
