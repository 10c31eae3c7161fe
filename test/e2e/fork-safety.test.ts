import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotUnderTest } from '../helpers/bot-processes.js';
import { runInNetwork } from '../helpers/docker.js';
import { httpSite, randomSha } from '../helpers/pipeline.js';
import { githubTarball } from '../helpers/tarball.js';
import { checkRunEvent as sharedCheckRunEvent, deliver, examplePayload, prCommentPayload, pullRequestPayload, pushPayload, retargetPayload } from '../helpers/webhooks.js';

const OWNER = 'hvtest';
const REPO = `fork-${randomBytes(3).toString('hex')}`;
const OTHER = `other-${randomBytes(3).toString('hex')}`;
const FULL = `${OWNER}/${REPO}`;
const FORK = `forker/${REPO}`;
const INSTALLATION = 77;
const APP_ID = 777;

const target = (sender: string) => ({ owner: OWNER, repo: REPO, installationId: INSTALLATION, appId: APP_ID, sender });

/** Real check_run / check_suite payloads, re-targeted at one of the bot's check runs of a fork's head. */
function checkRunEvent(action: 'requested_action' | 'rerequested', check: { id: number; sha: string }, sender: string, identifier?: string): Record<string, any> {
  return sharedCheckRunEvent(target(sender), action, check, identifier);
}

function checkSuiteEvent(sha: string, sender: string): Record<string, any> {
  const payload = examplePayload('check_suite', (p) => p.action === 'rerequested' && Boolean(p.installation));
  Object.assign(payload.check_suite, { head_sha: sha, after: sha, pull_requests: [], app: { ...payload.check_suite.app, id: APP_ID } });
  return retargetPayload(payload, target(sender));
}

describe('fork code never reaches production, end to end (app, worker and proxy processes, real Redis and dockerd)', () => {
  const bot = new BotUnderTest('e2e-fork-safety', { APP_ID: String(APP_ID), WORKER_CONCURRENCY: '2', SOURCE_MAX_INFLATED_BYTES: String(40 * 1024 * 1024) });
  const { github, prefix, network } = bot;
  const d = bot.docker;
  const send = (event: string, payload: unknown) => deliver(bot.baseUrl, event, payload, { secret: bot.secret });
  const serve = async (host: string) =>
    (await runInNetwork(d, network, ['sh', '-c', `timeout 5 wget -q -O- http://${host}:8080/ 2>&1 || echo NOANSWER`], { 'hvtest.tmp': prefix })).output.trim();
  const containers = (environment: string, repo = REPO) =>
    d.listContainers({ all: true, filters: { label: [`cloud.helvetia.repository=${OWNER}/${repo}`, `cloud.helvetia.environment=${environment}`, 'cloud.helvetia.role=app'] } });
  const tarballsOf = (sha: string) => github.find('GET', new RegExp(`/tarball/${sha}$`));
  const conclusions = (sha: string) => github.checkRuns({ sha }).map((c) => c.state.conclusion);
  const concluded = async (sha: string, conclusion: string) => {
    for (const deadline = Date.now() + 90_000; !conclusions(sha).includes(conclusion); await new Promise((r) => setTimeout(r, 250))) {
      if (Date.now() > deadline) throw new Error(`no ${conclusion} check run of ${sha}: ${JSON.stringify(conclusions(sha))}`);
    }
    return github.checkRuns({ sha }).find((c) => c.state.conclusion === conclusion)!;
  };
  /** Nothing of `sha` ever ran or was announced as production. */
  const neverProduction = async (sha: string) => {
    expect(github.deployments.filter((x) => x.sha === sha && x.environment === 'production')).toEqual([]);
    expect((await containers('production')).filter((c) => c.Labels['cloud.helvetia.sha'] === sha)).toEqual([]);
  };
  const openFork = async (number: number, sha: string, body: string, headRepo: string | null = FORK) => {
    github.addCommit(OWNER, REPO, sha, httpSite(body));
    github.pulls.set(`${FULL}#${number}`, { state: 'open', headSha: sha, headRepo, baseRepo: FULL });
    const payload = pullRequestPayload({ action: 'opened', owner: OWNER, repo: REPO, number, sha, installationId: INSTALLATION, headRepo });
    payload.pull_request.author_association = 'OWNER'; // never a trust signal
    expect((await send('pull_request', payload)).status).toBe(200);
    return concluded(sha, 'action_required');
  };
  let productionSha = '';

  beforeAll(async () => {
    github.writers.add('maintainer');
    await bot.start();
    productionSha = randomSha();
    github.addCommit(OWNER, REPO, productionSha, httpSite('production v1'));
    expect((await send('push', pushPayload({ owner: OWNER, repo: REPO, sha: productionSha, installationId: INSTALLATION }))).status).toBe(200);
    await concluded(productionSha, 'success');
  });

  afterAll(() => bot.stop());

  it('Approve on a fork PR check (pull_requests: []) builds that exact SHA as the preview; production is untouched', async () => {
    const sha = randomSha();
    const held = await openFork(10, sha, 'fork ten');
    expect(held.state.actions.map((a: any) => a.identifier)).toEqual(['approve']);
    expect(tarballsOf(sha)).toHaveLength(0);
    const productionBefore = (await containers('production')).map((c) => c.Id);

    expect((await send('check_run', checkRunEvent('requested_action', { id: held.id, sha }, 'maintainer', 'approve'))).status).toBe(200);
    await concluded(sha, 'success');
    expect(await serve(`pr-10--${REPO}--${OWNER}`)).toBe('fork ten');
    await expect.poll(() => github.deployments.filter((x) => x.sha === sha).map((x) => x.environment), { timeout: 10_000 }).toEqual(['pr-10']);
    await neverProduction(sha);
    expect((await containers('production')).map((c) => c.Id)).toEqual(productionBefore);
    expect(await serve(`${REPO}--${OWNER}`)).toBe('production v1');
  });

  it('Re-run on a fork PR check builds the preview of that SHA, never production; a reader\'s re-run does nothing', async () => {
    const sha = randomSha();
    const held = await openFork(11, sha, 'fork eleven');
    expect((await send('check_run', checkRunEvent('rerequested', { id: held.id, sha }, 'drive-by'))).status).toBe(200);
    await expect.poll(() => bot.worker.output(), { timeout: 30_000 }).toMatch(/command refused: no write access/);
    expect(tarballsOf(sha)).toHaveLength(0);

    expect((await send('check_run', checkRunEvent('rerequested', { id: held.id, sha }, 'maintainer'))).status).toBe(200);
    await concluded(sha, 'success');
    expect(await serve(`pr-11--${REPO}--${OWNER}`)).toBe('fork eleven');
    await neverProduction(sha);
  });

  it('a re-run of production\'s own check still redeploys production, and a suite re-run of a fork head stays a preview', async () => {
    const check = github.checkRuns({ sha: productionSha }).find((c) => c.state.conclusion === 'success')!;
    const deploymentsBefore = github.deployments.filter((x) => x.environment === 'production').length;
    const [before] = await containers('production');
    expect((await send('check_run', checkRunEvent('rerequested', { id: check.id, sha: productionSha }, 'maintainer'))).status).toBe(200);
    await expect.poll(() => conclusions(productionSha).filter((c) => c === 'success').length, { timeout: 90_000, interval: 250 }).toBe(2);
    await expect.poll(() => github.deployments.filter((x) => x.environment === 'production').length, { timeout: 10_000 }).toBe(deploymentsBefore + 1);
    // The replaced container is retired after GitHub hears of the success.
    await expect.poll(async () => (await containers('production')).map((c) => c.Id), { timeout: 30_000 }).not.toContain(before!.Id);
    expect((await containers('production')).map((c) => c.Labels['cloud.helvetia.sha'])).toEqual([productionSha]);

    const sha = randomSha();
    await openFork(12, sha, 'fork twelve');
    expect((await send('check_suite', checkSuiteEvent(sha, 'maintainer'))).status).toBe(200);
    await concluded(sha, 'success');
    expect(await serve(`pr-12--${REPO}--${OWNER}`)).toBe('fork twelve');
    await neverProduction(sha);
  });

  it('"Roll back" pressed on a fork preview\'s check (by a writer) swaps nothing: only production rolls back, and never to a fork commit', async () => {
    const sha = randomSha();
    const held = await openFork(15, sha, 'fork fourteen');
    expect((await send('check_run', checkRunEvent('requested_action', { id: held.id, sha }, 'maintainer', 'approve'))).status).toBe(200);
    const deployed = await concluded(sha, 'success');
    // Its Deployment may follow the check run (made at the conclusion): count from when it exists.
    await expect.poll(() => github.deployments.filter((x) => x.sha === sha).length, { timeout: 10_000 }).toBe(1);
    const previewBefore = (await containers('pr-15')).map((c) => c.Id);
    const deploymentsBefore = github.deployments.length;
    expect((await send('check_run', checkRunEvent('requested_action', { id: deployed.id, sha }, 'maintainer', 'rollback'))).status).toBe(200);
    await expect.poll(() => bot.worker.output(), { timeout: 30_000 }).toMatch(/rollback applies to production only, not pr-15/);
    expect(github.deployments).toHaveLength(deploymentsBefore);
    expect((await containers('pr-15')).map((c) => c.Id)).toEqual(previewBefore);
    await neverProduction(sha);
    expect(await serve(`${REPO}--${OWNER}`)).toBe('production v1');
  });

  it('a check event the bot cannot place gets a neutral check saying why, and builds nothing', async () => {
    const sha = randomSha();
    github.addCommit(OWNER, REPO, sha, httpSite('nobody knows'));
    expect((await send('check_run', checkRunEvent('rerequested', { id: 424242, sha }, 'maintainer'))).status).toBe(200);
    const neutral = await concluded(sha, 'neutral');
    expect(neutral.state.output.title).toBe('Not deployed: unknown environment');
    expect(neutral.state.output.summary).toContain('cannot tell which environment');
    expect(tarballsOf(sha)).toHaveLength(0);
    await neverProduction(sha);
  });

  it('/preview approves the head at the comment\'s time: a push right after it waits for its own approval', async () => {
    const approved = randomSha();
    const later = randomSha();
    await openFork(13, approved, 'seen by the maintainer');
    github.addCommit(OWNER, REPO, later, httpSite('pushed after the comment'));
    const comment = prCommentPayload({ owner: OWNER, repo: REPO, number: 13, body: '/preview', user: 'maintainer', commentId: 1301, installationId: INSTALLATION });
    // The fork author pushes at once; both deliveries are in before the worker acts on either.
    github.pulls.set(`${FULL}#13`, { state: 'open', headSha: later, headRepo: FORK, baseRepo: FULL });
    const push = pullRequestPayload({ action: 'synchronize', owner: OWNER, repo: REPO, number: 13, sha: later, installationId: INSTALLATION, headRepo: FORK });
    push.pull_request.updated_at = new Date(Date.parse(comment.comment.created_at) + 1000).toISOString();
    const [a, b] = await Promise.all([send('issue_comment', comment), send('pull_request', push)]);
    expect([a.status, b.status]).toEqual([200, 200]);

    await concluded(approved, 'success');
    const waiting = await concluded(later, 'action_required');
    expect(waiting.state.output.summary).toContain(later.slice(0, 12));
    expect(tarballsOf(later)).toHaveLength(0);
    expect(await serve(`pr-13--${REPO}--${OWNER}`)).toBe('seen by the maintainer');
    expect(github.find('POST', /\/issues\/comments\/1301\/reactions$/).map((c) => c.body.content)).toEqual(['rocket']);
  });

  it('a pull request whose fork was deleted (head.repo: null) is held like any fork', async () => {
    const sha = randomSha();
    const held = await openFork(14, sha, 'deleted fork', null);
    expect(held.state.output.title).toBe('Approval needed to build a fork');
    expect(tarballsOf(sha)).toHaveLength(0);
    expect(await containers('pr-14')).toHaveLength(0);
  });

  it('oversized .helvetia.yml and a gzip bomb fail their checks naming the limit while another repository deploys on the same worker', async () => {
    const yml = randomSha();
    const bomb = randomSha();
    const fine = randomSha();
    github.addCommit(OWNER, REPO, yml, { ...httpSite('never'), '.helvetia.yml': `env:\n${Array.from({ length: 7000 }, (_, i) => `  K${i}: v`).join('\n')}\n` });
    // 300 MB of zeros in a tar, about 300 KB gzipped; the bot allows 40 MB inflated.
    github.addRawArchive(OWNER, REPO, bomb, await githubTarball(OWNER, REPO, bomb, { Dockerfile: 'FROM helvetia-base:latest\n', zeros: '\0'.repeat(300 * 1024 * 1024) }));
    github.addCommit(OWNER, OTHER, fine, httpSite('other repository'));
    const results = await Promise.all([
      send('push', pushPayload({ owner: OWNER, repo: REPO, sha: bomb, installationId: INSTALLATION })),
      send('push', pushPayload({ owner: OWNER, repo: OTHER, sha: fine, installationId: INSTALLATION })),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const bombed = await concluded(bomb, 'failure');
    expect(bombed.state.output.summary).toMatch(/over the 41943040-byte limit \(SOURCE_MAX_INFLATED_BYTES\)/);
    await concluded(fine, 'success');
    expect(await serve(`${OTHER}--${OWNER}`)).toBe('other repository');

    expect((await send('push', pushPayload({ owner: OWNER, repo: REPO, sha: yml, installationId: INSTALLATION }))).status).toBe(200);
    const invalid = await concluded(yml, 'failure');
    expect(invalid.state.output.title).toBe('Invalid .helvetia.yml');
    expect(invalid.state.output.summary).toMatch(/\.helvetia\.yml is over the 65536-byte limit/);
    // Production still runs its last good commit.
    expect(await serve(`${REPO}--${OWNER}`)).toBe('production v1');
  });
});
