import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, unknown>[] }[];

/** A deep copy of a real GitHub payload from @octokit/webhooks-examples. */
export function examplePayload(event: string, match: (p: Record<string, unknown>) => boolean = () => true): Record<string, any> {
  const entry = examples.find((e) => e.name === event);
  const found = entry?.examples.find(match);
  if (!found) throw new Error(`no ${event} example matches`);
  return structuredClone(found) as Record<string, any>;
}

/** The default-branch push example, pointed at `owner/repo@sha` for installation `installationId`. */
export function pushPayload(opts: { owner: string; repo: string; sha: string; installationId: number; ref?: string }): Record<string, any> {
  const payload = examplePayload('push', (p) => p.ref === 'refs/heads/master' && Boolean(p.installation));
  payload.ref = opts.ref ?? 'refs/heads/master';
  payload.after = opts.sha;
  payload.repository.id = repoId(`${opts.owner}/${opts.repo}`);
  payload.repository.name = opts.repo;
  payload.repository.full_name = `${opts.owner}/${opts.repo}`;
  payload.repository.owner.login = opts.owner;
  payload.repository.owner.name = opts.owner;
  payload.repository.default_branch = 'master';
  payload.installation = { id: opts.installationId, node_id: 'x' };
  return payload;
}

export const sign = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** POSTs a signed webhook to a running app; returns the status and the delivery id used. */
export async function deliver(
  baseUrl: string,
  event: string,
  payload: unknown,
  opts: { secret: string; deliveryId?: string; signature?: string | null; contentType?: string },
): Promise<{ status: number; deliveryId: string; body: string }> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const deliveryId = opts.deliveryId ?? randomUUID();
  const headers: Record<string, string> = {
    'content-type': opts.contentType ?? 'application/json',
    'x-github-event': event,
    'x-github-delivery': deliveryId,
  };
  const signature = opts.signature === undefined ? sign(opts.secret, body) : opts.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  const response = await fetch(`${baseUrl}/api/github/webhooks`, { method: 'POST', headers, body });
  return { status: response.status, deliveryId, body: await response.text() };
}

/** A stable repository id for `owner/name`, as GitHub would give (the double answers with the same). */
export const repoId = (fullName: string): number => createHash('sha1').update(fullName.toLowerCase()).digest().readUInt32BE(0);

/** A real pull_request example, pointed at `owner/repo#number` with head `sha`. */
export function pullRequestPayload(opts: {
  action: string; owner: string; repo: string; number: number; sha: string; installationId: number;
  /** The head's repository: another one for a fork, null for a deleted fork (default: the base). */
  headRepo?: string | null; merged?: boolean;
}): Record<string, any> {
  const payload = examplePayload('pull_request', (p) => p.action === 'opened' && Boolean(p.installation));
  const full = `${opts.owner}/${opts.repo}`;
  payload.action = opts.action;
  payload.number = opts.number;
  payload.pull_request.number = opts.number;
  payload.pull_request.merged = opts.merged ?? false;
  payload.pull_request.head.sha = opts.sha;
  const head = opts.headRepo === undefined ? full : opts.headRepo;
  if (head === null) payload.pull_request.head.repo = null;
  else Object.assign(payload.pull_request.head.repo, { id: repoId(head), full_name: head, name: head.split('/')[1], owner: { ...payload.pull_request.head.repo.owner, login: head.split('/')[0] } });
  Object.assign(payload.pull_request.base.repo, { id: repoId(full), full_name: full, name: opts.repo });
  payload.pull_request.updated_at = new Date().toISOString();
  payload.repository.id = repoId(full);
  payload.repository.name = opts.repo;
  payload.repository.full_name = full;
  payload.repository.owner.login = opts.owner;
  payload.installation = { id: opts.installationId, node_id: 'x' };
  return payload;
}

/** A real issue_comment.created example on pull request `number`, by `user`. */
export function prCommentPayload(opts: { owner: string; repo: string; number: number; body: string; user: string; commentId: number; installationId: number }): Record<string, any> {
  const payload = examplePayload('issue_comment', (p) => p.action === 'created');
  payload.issue.number = opts.number;
  payload.issue.pull_request = { url: `https://api.github.com/repos/${opts.owner}/${opts.repo}/pulls/${opts.number}` };
  payload.comment.id = opts.commentId;
  payload.comment.body = opts.body;
  payload.comment.user.login = opts.user;
  payload.comment.user.type = 'User';
  payload.comment.created_at = new Date().toISOString();
  payload.repository.id = repoId(`${opts.owner}/${opts.repo}`);
  payload.repository.name = opts.repo;
  payload.repository.full_name = `${opts.owner}/${opts.repo}`;
  payload.repository.owner.login = opts.owner;
  payload.installation = { id: opts.installationId, node_id: 'x' };
  return payload;
}

/**
 * A real check_run payload from @octokit/webhooks-examples (`requested_action` with a button's
 * identifier, or `rerequested`), re-targeted at one of the bot's check runs: GitHub lists no pull
 * request for a fork's head (`pull_requests: []`), and neither does this.
 */
export function checkRunEvent(
  opts: { owner: string; repo: string; installationId: number; appId: number; sender: string },
  action: 'requested_action' | 'rerequested',
  check: { id: number; sha: string },
  identifier?: string,
): Record<string, any> {
  const payload = examplePayload('check_run', (p) => p.action === action && Boolean(p.installation));
  Object.assign(payload.check_run, { id: check.id, head_sha: check.sha, pull_requests: [], name: 'helvetia/deploy', app: { ...payload.check_run.app, id: opts.appId } });
  Object.assign(payload.check_run.check_suite, { head_sha: check.sha, pull_requests: [], app: { ...payload.check_run.check_suite.app, id: opts.appId } });
  if (identifier) payload.requested_action = { identifier };
  return retargetPayload(payload, opts);
}

/** Points an example payload at `owner/repo` of `installationId`, sent by `sender`. */
export function retargetPayload(payload: Record<string, any>, opts: { owner: string; repo: string; installationId: number; sender: string }): Record<string, any> {
  const full = `${opts.owner}/${opts.repo}`;
  Object.assign(payload.repository, { id: repoId(full), name: opts.repo, full_name: full, owner: { ...payload.repository.owner, login: opts.owner } });
  payload.sender.login = opts.sender;
  payload.installation = { id: opts.installationId, node_id: 'x' };
  return payload;
}
