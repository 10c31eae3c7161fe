import type { CommandJobData, CommandName } from '../queue/job-types.js';

interface Repo {
  id?: number;
  name: string;
  full_name: string;
  owner: { login: string };
}

/** A GitHub timestamp in ms, or undefined when absent or unreadable. */
const timeOf = (iso: unknown): number | undefined => {
  const at = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  return Number.isFinite(at) ? at : undefined;
};

const repositoryIdOf = (repository: Repo) => (repository.id ? { repositoryId: repository.id } : {});

/** issue_comment.created: `/preview` or `/destroy` alone on the comment's first line, on a pull request. */
export function mapSlashCommand(
  deliveryId: string,
  payload: {
    action: string;
    issue: { number: number; pull_request?: unknown };
    comment: { id: number; body: string; created_at?: string; user: { login: string; type?: string } };
    repository: Repo;
    installation?: { id: number };
  },
  now = Date.now(),
): CommandJobData | undefined {
  if (payload.action !== 'created' || !payload.issue.pull_request || !payload.installation?.id) return undefined;
  if (payload.comment.user.type === 'Bot') return undefined;
  const first = payload.comment.body.trim().split(/\r?\n/)[0]!.trim();
  const match = /^\/(preview|destroy)$/.exec(first);
  if (!match) return undefined;
  return {
    deliveryId, installationId: payload.installation.id, owner: payload.repository.owner.login, repo: payload.repository.name,
    repository: payload.repository.full_name, ...repositoryIdOf(payload.repository), environment: `pr-${payload.issue.number}`, pullRequest: payload.issue.number,
    command: match[1] as CommandName, actor: payload.comment.user.login, commentId: payload.comment.id,
    // GitHub's clock, like the pull request heads' (PullRequestHeads); ours only when it sent none.
    commentedAt: timeOf(payload.comment.created_at) ?? now, enqueuedAt: now,
  };
}

interface CheckSubject {
  id?: number;
  head_sha: string;
  pull_requests?: { number: number }[];
}

interface CheckPayload {
  action: string;
  sender: { login: string };
  repository: Repo;
  installation?: { id: number };
  requested_action?: { identifier: string };
  check_run?: CheckSubject;
  check_suite?: CheckSubject;
}

/**
 * Our own check run's buttons (requested_action: redeploy / destroy / approve / rollback) and re-runs
 * (check_run or check_suite rerequested) become commands on a commit. The payload does not say
 * which environment: for a fork's head, GitHub sends `pull_requests: []`, which must never read as
 * "production". The worker resolves it (its record of the check run first) and checks the sender.
 */
export function mapCheckEvent(deliveryId: string, payload: CheckPayload, now = Date.now()): CommandJobData | undefined {
  const subject = payload.check_run ?? payload.check_suite;
  if (!subject || !payload.installation?.id) return undefined;
  let command: CommandName | undefined;
  if (payload.action === 'rerequested') command = 'redeploy';
  if (payload.action === 'requested_action') {
    const id = payload.requested_action?.identifier;
    if (id === 'redeploy' || id === 'destroy' || id === 'approve' || id === 'rollback') command = id;
  }
  if (!command || !/^[0-9a-f]{40}$/.test(subject.head_sha)) return undefined;
  const pullRequests = (subject.pull_requests ?? []).map((p) => p.number).filter((n) => Number.isInteger(n) && n > 0);
  return {
    deliveryId, installationId: payload.installation.id, owner: payload.repository.owner.login, repo: payload.repository.name,
    repository: payload.repository.full_name, ...repositoryIdOf(payload.repository), command, actor: payload.sender.login, sha: subject.head_sha,
    ...(payload.check_run ? { checkRunId: payload.check_run.id } : { suite: true }),
    ...(pullRequests.length ? { pullRequests } : {}),
    enqueuedAt: now,
  };
}
