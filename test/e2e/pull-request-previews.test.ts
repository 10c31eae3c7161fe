import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotUnderTest } from '../helpers/bot-processes.js';
import { runInNetwork } from '../helpers/docker.js';
import { httpSite, randomSha } from '../helpers/pipeline.js';
import { deliver, prCommentPayload, pullRequestPayload } from '../helpers/webhooks.js';

const OWNER = 'hvtest';
const REPO = `pr-${randomBytes(3).toString('hex')}`;
const FULL = `${OWNER}/${REPO}`;
const INSTALLATION = 99;

describe('pull request previews, end to end (app and worker processes, real Redis and dockerd)', () => {
  const bot = new BotUnderTest('e2e-previews', { WORKER_CONCURRENCY: '2', RECONCILE_INTERVAL_SECONDS: '5' });
  const { github, prefix, network } = bot;
  const d = bot.docker;
  const serve = async (environment: number) =>
    (await runInNetwork(d, network, ['sh', '-c', `timeout 5 wget -q -O- http://pr-${environment}--${REPO}--${OWNER}:8080/ 2>&1 || echo NOANSWER`], { 'hvtest.tmp': prefix })).output.trim();
  const previewContainers = (n: number) => d.listContainers({ all: true, filters: { label: [`cloud.helvetia.repository=${FULL}`, `cloud.helvetia.environment=pr-${n}`] } });
  const send = (event: string, payload: unknown) => deliver(bot.baseUrl, event, payload, { secret: bot.secret });
  const waitForCheck = async (sha: string, status = 'completed') => {
    await expect.poll(() => github.checkOf(sha)?.status, { timeout: 120_000, interval: 250 }).toBe(status);
    return github.checkOf(sha);
  };

  beforeAll(async () => {
    github.writers.add('maintainer');
    await bot.start();
  });

  afterAll(() => bot.stop());

  it('opens a preview on its own hostname with a transient Deployment, one PR comment and action buttons', async () => {
    const sha = randomSha();
    github.addCommit(OWNER, REPO, sha, httpSite('preview one'));
    github.pulls.set(`${FULL}#1`, { state: 'open', headSha: sha, headRepo: FULL, baseRepo: FULL });
    expect((await send('pull_request', pullRequestPayload({ action: 'opened', owner: OWNER, repo: REPO, number: 1, sha, installationId: INSTALLATION }))).status).toBe(200);
    const check = await waitForCheck(sha);
    expect(check.conclusion, check.output?.summary).toBe('success');
    expect(check.actions.map((a: any) => a.identifier)).toEqual(['redeploy', 'destroy']);
    expect(await serve(1)).toBe('preview one');
    // A fast deploy's Deployment may follow its check run (made at the conclusion): wait for it.
    await expect.poll(() => github.find('POST', /\/deployments$/).map((c) => c.body).find((b) => b.ref === sha), { timeout: 10_000 })
      .toMatchObject({ ref: sha, environment: 'pr-1', transient_environment: true, production_environment: false });
    await expect.poll(() => github.commentsOn(FULL, 1).at(-1), { timeout: 15_000 }).toContain(`http://pr-1--${REPO}--${OWNER}.preview.test`);
    const comments = github.commentsOn(FULL, 1);
    expect(comments).toHaveLength(1);
    expect(comments[0]).toContain(sha.slice(0, 12));
    expect(comments[0]).toContain('deployed');

    // The worker reached dockerd through helvetia proxy only: it allowed the build, then the create
    // and start of exactly this preview container (its ID is in the start path).
    const [container] = await previewContainers(1);
    await expect.poll(() => bot.proxy.decisions(), { timeout: 5_000 }).toContainEqual(
      expect.objectContaining({ decision: 'allow', rule: 'containers.start', method: 'POST', path: expect.stringMatching(new RegExp(`/containers/${container!.Id}/start$`)) }),
    );
    expect(bot.proxy.decisions()).toContainEqual(expect.objectContaining({ decision: 'allow', rule: 'build', status: 200 }));
    expect(bot.proxy.decisions()).toContainEqual(expect.objectContaining({ decision: 'allow', rule: 'containers.create', status: 201 }));
  });

  it('latest commit wins: a burst of 20 synchronize events deploys only the last SHA and cancels the rest', async () => {
    const shas = Array.from({ length: 20 }, () => randomSha());
    shas.forEach((sha, i) => github.addCommit(OWNER, REPO, sha, { ...httpSite(`burst ${i}`), Dockerfile: `FROM helvetia-base:latest\nCOPY www /www\nRUN sleep 1\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n` }));
    // The burst starts on an idle write queue: the first commit's job starts building (and reporting) at once.
    await github.waitQuiet(1_500, 60_000);
    const deliveries: { id: string; payload: unknown }[] = [];
    for (const [i, sha] of shas.entries()) {
      github.pulls.set(`${FULL}#1`, { state: 'open', headSha: sha, headRepo: FULL, baseRepo: FULL });
      const payload = pullRequestPayload({ action: 'synchronize', owner: OWNER, repo: REPO, number: 1, sha, installationId: INSTALLATION });
      const answer = await send('pull_request', payload);
      expect(answer.status).toBe(200);
      deliveries.push({ id: answer.deliveryId, payload });
      if (i < shas.length - 1) await new Promise((r) => setTimeout(r, 100));
    }
    const last = shas.at(-1)!;
    expect((await waitForCheck(last)).conclusion).toBe('success');
    for (const sha of shas.slice(0, -1)) {
      const final = await waitForCheck(sha);
      expect(final.conclusion, sha).toBe('cancelled');
      expect(final.output.title).toMatch(/^Superseded by [0-9a-f]{7}$/);
    }
    // GitHub writes go out a second apart; the live commit's go first. Its check run was created
    // before the last superseded one was, and concluded success before the last "cancelled".
    const burst = github.calls.slice(github.calls.findIndex((c) => c.method === 'POST' && c.path.endsWith('/check-runs') && shas.includes(c.body.head_sha)));
    const creates = burst.filter((c) => c.method === 'POST' && c.path.endsWith('/check-runs')).map((c) => c.body.head_sha);
    expect(creates.indexOf(last)).toBeLessThan(creates.findLastIndex((sha) => sha !== last));
    const completions = new Set(github.checkCompletions());
    const conclusions = burst.filter((c) => completions.has(c)).map((c) => c.body.conclusion);
    expect(conclusions.indexOf('success')).toBeGreaterThanOrEqual(0);
    expect(conclusions.indexOf('success')).toBeLessThan(conclusions.lastIndexOf('cancelled'));
    expect(await serve(1)).toBe('burst 19');
    const live = await previewContainers(1);
    expect(live.map((c) => c.Labels['cloud.helvetia.sha'])).toEqual([last]);
    // The one comment shows the live commit: no superseded job's "building" came after its news.
    expect(github.commentsOn(FULL, 1)).toHaveLength(1);
    expect(github.commentsOn(FULL, 1)[0]).toContain('✅ deployed');
    expect(github.commentsOn(FULL, 1)[0]).toContain(last.slice(0, 12));
    // Nor did one create a Deployment: only the live commit's exists among the burst's.
    await expect.poll(() => github.deployments.filter((d) => shas.includes(d.sha)).map((d) => d.sha), { timeout: 10_000 }).toEqual([last]);
    // The reconciler ran meanwhile (every 5 s here) without deleting the burst's job history: a
    // redelivery of the first push is still a duplicate, not a new deploy of an old commit.
    const first = deliveries[0]!;
    expect((await deliver(bot.baseUrl, 'pull_request', first.payload, { secret: bot.secret, deliveryId: first.id })).status).toBe(200);
    const verdict = () => bot.app.output().split('\n').filter((line) => line.includes(first.id) && line.includes('pull request job enqueued'))[1];
    await expect.poll(verdict, { timeout: 10_000 }).toContain('"status":"duplicate"');
  });

  it('closing the PR removes containers and images, marks the Deployment inactive and updates the comment', async () => {
    const [container] = await previewContainers(1);
    const image = container!.Image;
    github.pulls.set(`${FULL}#1`, { state: 'closed', merged: true, headSha: container!.Labels['cloud.helvetia.sha']!, headRepo: FULL, baseRepo: FULL });
    expect((await send('pull_request', pullRequestPayload({ action: 'closed', owner: OWNER, repo: REPO, number: 1, sha: container!.Labels['cloud.helvetia.sha']!, installationId: INSTALLATION, merged: true }))).status).toBe(200);
    await expect.poll(async () => (await previewContainers(1)).length, { timeout: 60_000 }).toBe(0);
    await expect.poll(async () => (await d.listImages({ filters: { reference: [image] } })).length, { timeout: 30_000 }).toBe(0);
    await expect.poll(() => github.commentsOn(FULL, 1)[0], { timeout: 30_000 }).toContain('removed');
    expect(github.commentsOn(FULL, 1)).toHaveLength(1);
    const inactive = github.find('POST', /\/deployments\/\d+\/statuses$/).filter((c) => c.body.state === 'inactive');
    expect(inactive.length).toBeGreaterThan(0);
    expect(await serve(1)).toMatch(/NOANSWER$/);
  });

  it('a preview whose close was never delivered is removed by the reconciler', async () => {
    const sha = randomSha();
    github.addCommit(OWNER, REPO, sha, httpSite('orphan preview'));
    github.pulls.set(`${FULL}#2`, { state: 'open', headSha: sha, headRepo: FULL, baseRepo: FULL });
    await send('pull_request', pullRequestPayload({ action: 'opened', owner: OWNER, repo: REPO, number: 2, sha, installationId: INSTALLATION }));
    expect((await waitForCheck(sha)).conclusion).toBe('success');
    expect(await previewContainers(2)).toHaveLength(1);
    github.pulls.set(`${FULL}#2`, { state: 'closed', headSha: sha, headRepo: FULL, baseRepo: FULL });
    await expect.poll(async () => (await previewContainers(2)).length, { timeout: 60_000, interval: 500 }).toBe(0);
    await expect.poll(() => github.commentsOn(FULL, 2)[0], { timeout: 30_000 }).toContain('is closed');
  });

  it('does not build a fork PR until a writer approves that SHA', async () => {
    const sha = randomSha();
    github.addCommit(OWNER, REPO, sha, httpSite('from a fork'));
    github.pulls.set(`${FULL}#3`, { state: 'open', headSha: sha, headRepo: `forker/${REPO}`, baseRepo: FULL });
    await send('pull_request', pullRequestPayload({ action: 'opened', owner: OWNER, repo: REPO, number: 3, sha, installationId: INSTALLATION, headRepo: `forker/${REPO}` }));
    const held = await waitForCheck(sha);
    expect(held.conclusion).toBe('action_required');
    expect(held.actions.map((a: any) => a.identifier)).toEqual(['approve']);
    expect(held.output.summary).toContain('/preview');
    expect(github.find('GET', new RegExp(`/tarball/${sha}$`))).toHaveLength(0);
    expect(await previewContainers(3)).toHaveLength(0);

    await send('issue_comment', prCommentPayload({ owner: OWNER, repo: REPO, number: 3, body: '/preview', user: 'drive-by', commentId: 501, installationId: INSTALLATION }));
    await expect.poll(() => github.find('POST', /\/issues\/comments\/501\/reactions$/).map((c) => c.body.content), { timeout: 30_000 }).toEqual(['confused']);
    expect(github.find('GET', new RegExp(`/tarball/${sha}$`))).toHaveLength(0);

    await send('issue_comment', prCommentPayload({ owner: OWNER, repo: REPO, number: 3, body: '/preview', user: 'maintainer', commentId: 502, installationId: INSTALLATION }));
    await expect.poll(() => github.checkRuns({ sha }).filter((c) => c.state.conclusion === 'success').length, { timeout: 120_000, interval: 250 }).toBe(1);
    expect(github.find('POST', /\/issues\/comments\/502\/reactions$/).map((c) => c.body.content)).toEqual(['rocket']);
    expect(await serve(3)).toBe('from a fork');
  });

  it('fails the check with the exact problem and line when .helvetia.yml is invalid', async () => {
    const sha = randomSha();
    github.addCommit(OWNER, REPO, sha, { ...httpSite('never'), '.helvetia.yml': 'healthcheck: /\nport: 70000\n' });
    github.pulls.set(`${FULL}#4`, { state: 'open', headSha: sha, headRepo: FULL, baseRepo: FULL });
    await send('pull_request', pullRequestPayload({ action: 'opened', owner: OWNER, repo: REPO, number: 4, sha, installationId: INSTALLATION }));
    const check = await waitForCheck(sha);
    expect(check.conclusion).toBe('failure');
    expect(check.output.title).toBe('Invalid .helvetia.yml');
    expect(check.output.summary).toContain('.helvetia.yml line 2: port:');
    expect(await previewContainers(4)).toHaveLength(0);
  });

  it('never needed anything the proxy refuses: previews, teardown and reconciliation were all allowed', async () => {
    const decisions = bot.proxy.decisions();
    expect(decisions.filter((d) => d.rule === 'containers.remove' && d.decision === 'allow').length).toBeGreaterThan(0);
    // A 404 for an object already gone (a probe removed twice on cancel) is dockerd's answer, not a refusal.
    expect(decisions.filter((d) => d.decision === 'deny' && d.rule !== 'not-found')).toEqual([]);
  });
});

