import { describe, expect, it } from 'vitest';
import { mapPush, type PushPayload } from '../../src/webhooks/push.js';
import { examplePayload, pushPayload } from '../helpers/webhooks.js';

const SHA = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';

describe('push → deploy mapping (real @octokit/webhooks-examples payloads)', () => {
  it('deploys exactly `after` of a default-branch push to production', () => {
    const payload = examplePayload('push', (p) => p.ref === 'refs/heads/master' && Boolean(p.installation));
    const decision = mapPush('delivery-1', payload as PushPayload, 123);
    expect(decision).toEqual({
      job: {
        deliveryId: 'delivery-1', installationId: payload.installation.id, owner: 'Codertocat', repo: 'Hello-World',
        repository: 'Codertocat/Hello-World', repositoryId: payload.repository.id, sha: SHA, ref: 'refs/heads/master', environment: 'production', enqueuedAt: 123,
      },
    });
  });

  it('ignores tag pushes', () => {
    const payload = examplePayload('push', (p) => p.ref === 'refs/tags/simple-tag' && p.deleted === false);
    expect(mapPush('d', payload as PushPayload)).toEqual({ ignored: 'tag push' });
  });

  it('ignores branch deletions', () => {
    const payload = examplePayload('push', (p) => p.deleted === true);
    expect(mapPush('d', payload as PushPayload)).toEqual({ ignored: 'branch deletion' });
  });

  it('ignores pushes to other branches', () => {
    const payload = pushPayload({ owner: 'o', repo: 'r', sha: SHA, installationId: 1, ref: 'refs/heads/feature' });
    expect(mapPush('d', payload as PushPayload)).toEqual({ ignored: 'push to refs/heads/feature, not the default branch' });
  });

  it('ignores a push without an installation (cannot authenticate) or without a commit', () => {
    const noInstallation = pushPayload({ owner: 'o', repo: 'r', sha: SHA, installationId: 1 });
    delete noInstallation.installation;
    expect(mapPush('d', noInstallation as PushPayload)).toEqual({ ignored: 'no installation in the payload' });
    const zero = pushPayload({ owner: 'o', repo: 'r', sha: '0'.repeat(40), installationId: 1 });
    expect(mapPush('d', zero as PushPayload)).toEqual({ ignored: 'no commit to deploy' });
  });
});
