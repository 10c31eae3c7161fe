import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployHistory } from '../../src/history/deploy-history.js';
import { BotUnderTest } from '../helpers/bot-processes.js';
import { runInNetwork } from '../helpers/docker.js';
import { REDIS_URL } from '../helpers/env.js';
import { httpSite, randomSha } from '../helpers/pipeline.js';
import { checkRunEvent, deliver, pushPayload } from '../helpers/webhooks.js';

const OWNER = 'hvtest';
const REPO = `rollback-${randomBytes(3).toString('hex')}`;
const FULL = `${OWNER}/${REPO}`;
const INSTALLATION = 88;
const APP_ID = 888;

describe('instant rollback: kept images, swapped in without a build (app, worker and proxy processes, real Redis and dockerd)', () => {
  const bot = new BotUnderTest('e2e-rollback', { APP_ID: String(APP_ID), KEEP_IMAGES: '2' });
  const { github, prefix, network } = bot;
  const d = bot.docker;
  const redis = new Redis(REDIS_URL);
  const history = new DeployHistory(redis, prefix);
  const send = (event: string, payload: unknown) => deliver(bot.baseUrl, event, payload, { secret: bot.secret });
  const press = (check: { id: number; sha: string }, sender: string, identifier = 'rollback') =>
    send('check_run', checkRunEvent({ owner: OWNER, repo: REPO, installationId: INSTALLATION, appId: APP_ID, sender }, 'requested_action', check, identifier));
  const serve = async () => (await runInNetwork(d, network, ['sh', '-c', `timeout 5 wget -q -O- http://${REPO}--${OWNER}:8080/ 2>&1 || echo NOANSWER`], { 'hvtest.tmp': prefix })).output.trim();
  const tarballsOf = (sha: string) => github.find('GET', new RegExp(`/tarball/${sha}$`));
  const image = (sha: string) => `helvetia/${REPO}--${OWNER}:${sha}`;
  const imageExists = (ref: string) => d.getImage(ref).inspect().then(() => true, () => false);
  /** The check runs of `sha` concluded `conclusion`, waiting until there are `count`. */
  const concluded = async (sha: string, conclusion: string, count = 1) => {
    const matching = () => github.checkRuns({ sha }).filter((c) => c.state.conclusion === conclusion);
    for (const deadline = Date.now() + 90_000; matching().length < count; await new Promise((r) => setTimeout(r, 250))) {
      if (Date.now() > deadline) throw new Error(`no ${conclusion} check run ${count} of ${sha}: ${JSON.stringify(github.checkRuns({ sha }).map((c) => c.state.output?.title))}`);
    }
    return matching()[count - 1]!;
  };
  const buttons = (check: { id: number }) => (github.checkRuns().find((c) => c.id === check.id)?.state.actions ?? []).map((a: { identifier: string }) => a.identifier);
  const shas = [randomSha(), randomSha(), randomSha()];
  const checks: { id: number; sha: string }[] = [];

  beforeAll(async () => {
    github.writers.add('maintainer');
    github.installations.set(FULL, INSTALLATION);
    github.users.grant('maintainer', FULL, 'write');
    await bot.start({ GITHUB_CLIENT_ID: github.users.clientId, GITHUB_CLIENT_SECRET: github.users.clientSecret });
    for (const [i, sha] of shas.entries()) {
      github.addCommit(OWNER, REPO, sha, httpSite(`version ${i + 1}`));
      expect((await send('push', pushPayload({ owner: OWNER, repo: REPO, sha, installationId: INSTALLATION }))).status).toBe(200);
      checks.push({ id: (await concluded(sha, 'success')).id, sha });
    }
    expect(await serve()).toBe('version 3');
  });

  afterAll(async () => {
    redis.disconnect();
    await bot.stop();
  });

  it('keeps the last KEEP_IMAGES images; only the replaced deploys whose image is kept offer "Roll back"', async () => {
    expect((await history.kept(FULL, 'production')).map((k) => k.sha)).toEqual([shas[2], shas[1]]);
    expect(await imageExists(image(shas[1]!))).toBe(true);
    // Dropped from the kept images; removed once no container uses it (its deploy's drain may still run).
    await expect.poll(() => imageExists(image(shas[0]!)), { timeout: 30_000 }).toBe(false);
    await expect.poll(() => buttons(checks[1]!), { timeout: 30_000 }).toEqual(['redeploy', 'rollback']);
    await expect.poll(() => buttons(checks[0]!), { timeout: 30_000 }).toEqual(['redeploy']);
    expect(buttons(checks[2]!)).toEqual(['redeploy']);
  });

  it('a reader pressing "Roll back" changes nothing', async () => {
    expect((await press(checks[1]!, 'drive-by')).status).toBe(200);
    await expect.poll(() => bot.worker.output(), { timeout: 30_000 }).toMatch(/command refused: no write access/);
    expect(await serve()).toBe('version 3');
  });

  it('"Roll back" swaps production to the kept image with no source download and no build, and reports it on GitHub', async () => {
    const target = checks[1]!;
    expect(tarballsOf(target.sha)).toHaveLength(1);
    expect((await press(target, 'maintainer')).status).toBe(200);
    const check = await concluded(target.sha, 'success', 2);
    expect(check.state.output.title).toMatch(/^Rolled back to http/);
    expect(check.state.output.summary).toContain('(kept, no build)');
    expect(await serve()).toBe('version 2');
    expect(tarballsOf(target.sha)).toHaveLength(1);
    // A rollback is live before its progress reports' turns: its Deployment is made right after the check completes.
    const deployment = () => github.find('POST', new RegExp(`/repos/${FULL}/deployments$`)).filter((c) => c.body.ref === target.sha).at(-1)!;
    await expect.poll(() => deployment().body.description, { timeout: 10_000 }).toBe(`Rollback to ${target.sha.slice(0, 12)}`);
    await expect.poll(async () => (await history.list(FULL, 'production'))[0]?.outcome, { timeout: 10_000 }).toBe('success');
    const [latest] = await history.list(FULL, 'production');
    expect(latest).toMatchObject({ sha: target.sha, rollback: true, trigger: 'rollback by @maintainer', outcome: 'success', image: image(target.sha) });
    // The version it replaced is kept in turn, so it can be rolled forward to.
    expect((await history.kept(FULL, 'production')).map((k) => k.sha)).toEqual([shas[1], shas[2]]);
    await expect.poll(() => buttons(checks[2]!), { timeout: 30_000 }).toEqual(['redeploy', 'rollback']);
  });

  it('"Roll back" to a commit whose image is no longer kept says so on a neutral check and leaves production serving', async () => {
    const gone = checks[0]!;
    expect((await press(gone, 'maintainer')).status).toBe(200);
    const check = await concluded(gone.sha, 'neutral');
    expect(check.state.output.title).toBe('Not rolled back: image not kept');
    expect(check.state.output.summary).toContain('no longer kept for production (KEEP_IMAGES=2)');
    expect(await serve()).toBe('version 2');
  });

  it('"Roll back" on the dashboard: the worker swaps to the kept image and the open environment page shows it live', async () => {
    const browser = await launchChromium();
    try {
      github.users.signedIn = 'maintainer';
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      await page.goto(`${bot.baseUrl}/`);
      await page.click('#sign-in');
      await page.waitForSelector('#login');
      const environments = await (await page.context().newPage());
      await environments.goto(`${bot.baseUrl}/repos/${FULL}`);
      await environments.waitForSelector('#live-state.on');
      await page.goto(`${bot.baseUrl}/repos/${FULL}/environments/production`);
      const target = shas[2]!;
      const tarballs = tarballsOf(target).length;
      await page.click(`button[data-action="rollback"][data-sha="${target}"]`);
      await page.waitForSelector('#notice');
      await environments.waitForSelector(`tr[data-environment="production"] a.sha:text("${target.slice(0, 7)}")`, { timeout: 60_000 });
      await environments.waitForSelector('tr[data-environment="production"] .badge-success', { timeout: 60_000 });
      await environments.screenshot({ path: 'test-artifacts/rollback-dashboard-environments.png', fullPage: true });
      expect(await serve()).toBe('version 3');
      expect(tarballsOf(target)).toHaveLength(tarballs);
      const check = await concluded(target, 'success', 2);
      expect(check.state.output.title).toMatch(/^Rolled back to http/);
    } finally {
      await browser.close();
    }
  });
});
