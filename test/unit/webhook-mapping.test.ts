import { describe, expect, it } from 'vitest';
import { mapCheckEvent, mapSlashCommand } from '../../src/webhooks/commands.js';
import { mapPullRequest, type PullRequestPayload } from '../../src/webhooks/pull-request.js';
import { examplePayload, prCommentPayload, pullRequestPayload } from '../helpers/webhooks.js';

const SHA = 'a'.repeat(40);

describe('pull_request mapping (real example payloads)', () => {
  it.each(['opened', 'reopened', 'synchronize', 'ready_for_review'])('%s builds head.sha into pr-<n>', (action) => {
    const payload = pullRequestPayload({ action, owner: 'o', repo: 'r', number: 7, sha: SHA, installationId: 3 });
    const decision = mapPullRequest('d1', payload as PullRequestPayload, 5);
    expect(decision).toEqual({
      deploy: { deliveryId: 'd1', installationId: 3, owner: 'o', repo: 'r', repository: 'o/r', repositoryId: payload.repository.id, environment: 'pr-7', pullRequest: 7, enqueuedAt: 5, sha: SHA, ref: 'refs/pull/7/head', fork: false },
      headAt: Date.parse(payload.pull_request.updated_at),
    });
  });

  it('records when the head arrived: GitHub\'s updated_at, or the receipt when that is later', () => {
    const payload = pullRequestPayload({ action: 'synchronize', owner: 'o', repo: 'r', number: 7, sha: SHA, installationId: 3 });
    payload.pull_request.updated_at = '2026-12-01T10:00:00Z';
    expect(mapPullRequest('d', payload as PullRequestPayload, Date.parse('2026-12-01T09:00:00Z'))).toMatchObject({ headAt: Date.parse('2026-12-01T10:00:00Z') });
    expect(mapPullRequest('d', payload as PullRequestPayload, Date.parse('2026-12-01T11:00:00Z'))).toMatchObject({ headAt: Date.parse('2026-12-01T11:00:00Z') });
  });

  it('marks a PR from another repository as a fork, by repository id', () => {
    const decision = mapPullRequest('d', pullRequestPayload({ action: 'opened', owner: 'o', repo: 'r', number: 1, sha: SHA, installationId: 3, headRepo: 'evil/r' }) as PullRequestPayload);
    expect('deploy' in decision && decision.deploy.fork).toBe(true);
    // Same name, other id (a fork named like its parent after a rename): still a fork.
    const renamed = pullRequestPayload({ action: 'opened', owner: 'o', repo: 'r', number: 1, sha: SHA, installationId: 3 });
    renamed.pull_request.head.repo.id = renamed.pull_request.base.repo.id + 1;
    expect(mapPullRequest('d', renamed as PullRequestPayload)).toMatchObject({ deploy: { fork: true } });
  });

  it('treats a deleted fork (head.repo: null) as a fork, and never trusts the author association', () => {
    const deleted = pullRequestPayload({ action: 'reopened', owner: 'o', repo: 'r', number: 1, sha: SHA, installationId: 3 });
    deleted.pull_request.head.repo = null;
    expect(mapPullRequest('d', deleted as PullRequestPayload)).toMatchObject({ deploy: { fork: true } });
    const owner = pullRequestPayload({ action: 'opened', owner: 'o', repo: 'r', number: 1, sha: SHA, installationId: 3, headRepo: 'evil/r' });
    owner.pull_request.author_association = 'OWNER';
    expect(mapPullRequest('d', owner as PullRequestPayload)).toMatchObject({ deploy: { fork: true } });
  });

  it('tears down on close, merged or not', () => {
    const merged = examplePayload('pull_request', (p) => p.action === 'closed' && Boolean(p.installation));
    merged.pull_request.merged = true;
    const decision = mapPullRequest('d', merged as PullRequestPayload);
    expect(decision).toMatchObject({ teardown: { environment: `pr-${merged.number}`, reason: 'pull request merged' } });
    const closed = pullRequestPayload({ action: 'closed', owner: 'o', repo: 'r', number: 2, sha: SHA, installationId: 3, merged: false });
    expect(mapPullRequest('d', closed as PullRequestPayload)).toMatchObject({ teardown: { reason: 'pull request closed' } });
  });

  it('ignores other actions', () => {
    const labeled = examplePayload('pull_request', (p) => p.action === 'labeled' && Boolean(p.installation));
    expect(mapPullRequest('d', labeled as PullRequestPayload)).toEqual({ ignored: 'action labeled' });
  });
});

describe('slash commands', () => {
  const base = { owner: 'o', repo: 'r', number: 4, user: 'alice', commentId: 9, installationId: 3 };
  it('maps /preview and /destroy on a PR, with the moment the comment was written', () => {
    const preview = prCommentPayload({ ...base, body: '/preview' });
    expect(mapSlashCommand('d', preview as never)).toMatchObject({ command: 'preview', actor: 'alice', commentId: 9, environment: 'pr-4', pullRequest: 4, commentedAt: Date.parse(preview.comment.created_at) });
    expect(mapSlashCommand('d', prCommentPayload({ ...base, body: '  /destroy  \nplease' }) as never)).toMatchObject({ command: 'destroy' });
  });
  it('ignores other text, issues that are not PRs, and bots', () => {
    expect(mapSlashCommand('d', prCommentPayload({ ...base, body: 'please /preview' }) as never)).toBeUndefined();
    expect(mapSlashCommand('d', prCommentPayload({ ...base, body: '/previewx' }) as never)).toBeUndefined();
    const notPr = prCommentPayload({ ...base, body: '/preview' });
    delete notPr.issue.pull_request;
    expect(mapSlashCommand('d', notPr as never)).toBeUndefined();
    const bot = prCommentPayload({ ...base, body: '/preview' });
    bot.comment.user.type = 'Bot';
    expect(mapSlashCommand('d', bot as never)).toBeUndefined();
  });
});

describe('check events', () => {
  it('maps our buttons and re-runs to commands on the commit, never to an environment', () => {
    const action = examplePayload('check_run', (p) => p.action === 'requested_action');
    action.requested_action = { identifier: 'destroy' };
    action.check_run.pull_requests = [{ number: 12 }];
    const destroy = mapCheckEvent('d', action as never)!;
    expect(destroy).toMatchObject({ command: 'destroy', sha: action.check_run.head_sha, checkRunId: action.check_run.id, pullRequests: [12], actor: action.sender.login });
    expect(destroy.environment).toBeUndefined();
    // A fork's head: GitHub lists no pull request. That must not read as production.
    const rerun = examplePayload('check_run', (p) => p.action === 'rerequested');
    rerun.check_run.pull_requests = [];
    const redeploy = mapCheckEvent('d', rerun as never)!;
    expect(redeploy).toMatchObject({ command: 'redeploy', sha: rerun.check_run.head_sha, checkRunId: rerun.check_run.id });
    expect(redeploy.environment).toBeUndefined();
    expect(redeploy.pullRequest).toBeUndefined();
    expect(redeploy.pullRequests).toBeUndefined();
    const rollback = examplePayload('check_run', (p) => p.action === 'requested_action');
    rollback.requested_action = { identifier: 'rollback' };
    expect(mapCheckEvent('d', rollback as never)).toMatchObject({ command: 'rollback', sha: rollback.check_run.head_sha, checkRunId: rollback.check_run.id });
    expect(mapCheckEvent('d', rollback as never)!.environment).toBeUndefined();
    const suite = examplePayload('check_suite', (p) => p.action === 'rerequested');
    expect(mapCheckEvent('d', suite as never)).toMatchObject({ command: 'redeploy', sha: suite.check_suite.head_sha, suite: true });
    expect(mapCheckEvent('d', suite as never)!.environment).toBeUndefined();
  });
  it('ignores unknown buttons and malformed commits', () => {
    const action = examplePayload('check_run', (p) => p.action === 'requested_action');
    action.requested_action = { identifier: 'rm-rf' };
    expect(mapCheckEvent('d', action as never)).toBeUndefined();
    action.requested_action = { identifier: 'approve' };
    action.check_run.head_sha = 'main';
    expect(mapCheckEvent('d', action as never)).toBeUndefined();
  });
});
