import type { CommandJobData, CommandName } from '../queue/job-types.js';

interface Repo {
  name: string;
  full_name: string;
  owner: { login: string };
}

/** issue_comment.created: `/preview` or `/destroy` alone on the comment's first line, on a pull request. */
export function mapSlashCommand(
  deliveryId: string,
  payload: { action: string; issue: { number: number; pull_request?: unknown }; comment: { id: number; body: string; user: { login: string; type?: string } }; repository: Repo; installation?: { id: number } },
  now = Date.now(),
): CommandJobData | undefined {
  if (payload.action !== 'created' || !payload.issue.pull_request || !payload.installation?.id) return undefined;
  if (payload.comment.user.type === 'Bot') return undefined;
  const first = payload.comment.body.trim().split(/\r?\n/)[0]!.trim();
  const match = /^\/(preview|destroy)$/.exec(first);
  if (!match) return undefined;
  return {
    deliveryId, installationId: payload.installation.id, owner: payload.repository.owner.login, repo: payload.repository.name,
    repository: payload.repository.full_name, environment: `pr-${payload.issue.number}`, pullRequest: payload.issue.number,
    command: match[1] as CommandName, actor: payload.comment.user.login, commentId: payload.comment.id, enqueuedAt: now,
  };
}

interface CheckPayload {
  action: string;
  sender: { login: string };
  repository: Repo;
  installation?: { id: number };
  requested_action?: { identifier: string };
  check_run?: { head_sha: string; pull_requests: { number: number }[]; app?: { id?: number } | null };
  check_suite?: { head_sha: string; pull_requests: { number: number }[]; app?: { id?: number } | null };
}

/**
 * Our own check run's buttons (requested_action: redeploy / destroy / approve) and re-runs
 * (check_run or check_suite rerequested) become commands; the worker checks the sender's access.
 */
export function mapCheckEvent(deliveryId: string, payload: CheckPayload, now = Date.now()): CommandJobData | undefined {
  const subject = payload.check_run ?? payload.check_suite;
  if (!subject || !payload.installation?.id) return undefined;
  let command: CommandName | undefined;
  if (payload.action === 'rerequested') command = 'redeploy';
  if (payload.action === 'requested_action') {
    const id = payload.requested_action?.identifier;
    if (id === 'redeploy' || id === 'destroy' || id === 'approve') command = id;
  }
  if (!command) return undefined;
  const pullRequest = subject.pull_requests[0]?.number;
  return {
    deliveryId, installationId: payload.installation.id, owner: payload.repository.owner.login, repo: payload.repository.name,
    repository: payload.repository.full_name, environment: pullRequest === undefined ? 'production' : `pr-${pullRequest}`,
    ...(pullRequest === undefined ? {} : { pullRequest }), command, actor: payload.sender.login, sha: subject.head_sha, enqueuedAt: now,
  };
}
