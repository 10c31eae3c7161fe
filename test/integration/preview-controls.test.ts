import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/labels.js';
import { reconcilePreviews } from '../../src/worker/reconcile-previews.js';
import { httpSite, PipelineHarness, randomSha } from '../helpers/pipeline.js';

describe('preview controls on real dockerd and Redis (in-process worker, GitHub double)', () => {
  const h = new PipelineHarness({ PREVIEW_MAX_PER_REPO: '1', PREVIEW_TTL_HOURS: '2' });
  const pr = (n: number) => ({ environment: `pr-${n}`, pullRequest: n, ref: `refs/pull/${n}/head` });
  const envContainers = async (n: number) => (await h.appContainers()).filter((c) => c.Labels[LABEL.environment] === `pr-${n}`);
  const waitFor = async (fn: () => Promise<boolean> | boolean, what: string) => {
    const deadline = Date.now() + 90_000;
    while (!(await fn())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    await h.start();
    h.github.writers.add('maintainer');
  });
  afterAll(() => h.stop());

  it('caps previews per repository with a failed check that says why', async () => {
    const first = randomSha();
    h.github.pulls.set(`${h.repository}#1`, { state: 'open', headSha: first, headRepo: h.repository, baseRepo: h.repository });
    expect((await h.deploy(first, httpSite('one'), pr(1))).conclusion).toBe('success');
    const second = await h.deploy(randomSha(), httpSite('two'), pr(2));
    expect(second.conclusion).toBe('failure');
    expect(second.output.title).toBe('Preview limit reached');
    expect(second.output.summary).toContain('PREVIEW_MAX_PER_REPO=1');
    expect(await envContainers(2)).toHaveLength(0);
  });

  it('skips previews when .helvetia.yml turns them off', async () => {
    const check = await h.deploy(randomSha(), { ...httpSite('off'), '.helvetia.yml': 'previews: false\n' }, pr(1));
    expect(check.conclusion).toBe('neutral');
    expect(check.output.title).toBe('Previews disabled');
  });

  it('the Destroy button is obeyed only from a writer', async () => {
    expect(await envContainers(1)).toHaveLength(1);
    const command = { deliveryId: `cmd-${randomSha().slice(0, 8)}`, installationId: 1, owner: h.owner, repo: h.repo, repository: h.repository, ...pr(1), enqueuedAt: Date.now() };
    const refused = await h.queue.enqueueCommand({ ...command, command: 'destroy', actor: 'drive-by' });
    await waitFor(async () => (await h.queue.queue.getJob(refused.jobId))?.returnvalue?.status === 'refused', 'the refusal');
    expect(await envContainers(1)).toHaveLength(1);
    await h.queue.enqueueCommand({ ...command, deliveryId: `${command.deliveryId}-2`, command: 'destroy', actor: 'maintainer' });
    await waitFor(async () => (await envContainers(1)).length === 0, 'the teardown');
    await waitFor(() => h.github.commentsOn(h.repository, 1).some((c) => c.includes('destroyed by @maintainer')), 'the comment update');
  });

  it('Redeploy rebuilds the PR head; the reconciler removes previews idle past PREVIEW_TTL_HOURS', async () => {
    const head = randomSha();
    h.github.addCommit(h.owner, h.repo, head, httpSite('redeployed'));
    h.github.pulls.set(`${h.repository}#1`, { state: 'open', headSha: head, headRepo: h.repository, baseRepo: h.repository });
    await h.queue.enqueueCommand({ deliveryId: `cmd-${randomSha().slice(0, 8)}`, installationId: 1, owner: h.owner, repo: h.repo, repository: h.repository, ...pr(1), command: 'redeploy', actor: 'maintainer', enqueuedAt: Date.now() });
    // live once the swap recorded it
    await waitFor(async () => {
      const live = await h.deps.state.getLive(h.repository, 'pr-1');
      return (await envContainers(1)).some((c) => c.Id === live && c.Labels[LABEL.sha] === head);
    }, 'the redeploy');

    const fresh = await reconcilePreviews(h.deps, h.queue, Date.now());
    expect(fresh.removed).toEqual([]);
    const later = await reconcilePreviews(h.deps, h.queue, Date.now() + 3 * 3600_000);
    expect(later.removed).toEqual([{ environment: 'pr-1', repository: h.repository, reason: 'idle for more than 2 hours' }]);
    await waitFor(async () => (await envContainers(1)).length === 0, 'the idle teardown');
  });

  it('the secrets page\'s "Redeploy production" (redeploy-scope) redeploys the live commit with the reason, only for a writer', async () => {
    const live = randomSha();
    expect((await h.deploy(live, httpSite('production'))).conclusion).toBe('success');
    const command = { installationId: 1, owner: h.owner, repo: h.repo, repository: h.repository, repositoryId: 4242, command: 'redeploy-scope' as const, scope: 'production' as const, enqueuedAt: Date.now() };
    const refused = await h.queue.enqueueCommand({ ...command, deliveryId: `cmd-${randomSha().slice(0, 8)}`, actor: 'drive-by' });
    await waitFor(async () => (await h.queue.queue.getJob(refused.jobId))?.returnvalue?.status === 'refused', 'the refusal');
    const accepted = await h.queue.enqueueCommand({ ...command, deliveryId: `cmd-${randomSha().slice(0, 8)}`, actor: 'maintainer' });
    await waitFor(async () => (await h.queue.queue.getJob(accepted.jobId))?.returnvalue?.status === 'accepted', 'the redeploy to be queued');
    const succeeded = () => h.github.checkRuns({ sha: live }).filter((c) => c.state.conclusion === 'success');
    await waitFor(() => succeeded().length === 2, 'the redeploy');
    expect(succeeded()[1]!.state.output.summary).toContain('secrets of production changed; redeploy asked by @maintainer');
  });
});
