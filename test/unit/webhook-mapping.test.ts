import { describe, expect, it } from 'vitest';
import { mapCheckEvent, mapSlashCommand } from '../../src/webhooks/commands.js';
import { mapPullRequest, type PullRequestPayload } from '../../src/webhooks/pull-request.js';
import { examplePayload, prCommentPayload, pullRequestPayload } from '../helpers/webhooks.js';

const SHA = 'a'.repeat(40);

describe('pull_request mapping (real example payloads)', () => {
  it.each(['opened', 'reopened', 'synchronize', 'ready_for_review'])('%s builds head.sha into pr-<n>', (action) => {
    const decision = mapPullRequest('d1', pullRequestPayload({ action, owner: 'o', repo: 'r', number: 7, sha: SHA, installationId: 3 }) as PullRequestPayload, 5);
    expect(decision).toEqual({ deploy: { deliveryId: 'd1', installationId: 3, owner: 'o', repo: 'r', repository: 'o/r', environment: 'pr-7', pullRequest: 7, enqueuedAt: 5, sha: SHA, ref: 'refs/pull/7/head', fork: false } });
  });

  it('marks a PR from another repository as a fork', () => {
    const decision = mapPullRequest('d', pullRequestPayload({ action: 'opened', owner: 'o', repo: 'r', number: 1, sha: SHA, installationId: 3, headRepo: 'evil/r' }) as PullRequestPayload);
    expect('deploy' in decision && decision.deploy.fork).toBe(true);
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
  it('maps /preview and /destroy on a PR', () => {
    expect(mapSlashCommand('d', prCommentPayload({ ...base, body: '/preview' }) as never)).toMatchObject({ command: 'preview', actor: 'alice', commentId: 9, environment: 'pr-4', pullRequest: 4 });
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
  it('maps our buttons and re-runs to commands', () => {
    const action = examplePayload('check_run', (p) => p.action === 'requested_action');
    action.requested_action = { identifier: 'destroy' };
    action.check_run.pull_requests = [{ number: 12 }];
    expect(mapCheckEvent('d', action as never)).toMatchObject({ command: 'destroy', environment: 'pr-12', pullRequest: 12, sha: action.check_run.head_sha, actor: action.sender.login });
    const rerun = examplePayload('check_run', (p) => p.action === 'rerequested');
    rerun.check_run.pull_requests = [];
    expect(mapCheckEvent('d', rerun as never)).toMatchObject({ command: 'redeploy', environment: 'production' });
    const suite = examplePayload('check_suite', (p) => p.action === 'rerequested');
    expect(mapCheckEvent('d', suite as never)).toMatchObject({ command: 'redeploy', sha: suite.check_suite.head_sha });
  });
  it('ignores unknown buttons', () => {
    const action = examplePayload('check_run', (p) => p.action === 'requested_action');
    action.requested_action = { identifier: 'rm-rf' };
    expect(mapCheckEvent('d', action as never)).toBeUndefined();
  });
});
