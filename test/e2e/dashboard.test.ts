import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployHistory, type DeployRecord } from '../../src/history/deploy-history.js';
import { StatsStore } from '../../src/history/environment-stats.js';
import { intakeKeys, type CommandJobData } from '../../src/queue/job-types.js';
import { encodeKey, generateKey } from '../../src/secrets/sealing.js';
import { REDIS_URL, TEST_PRIVATE_KEY_PATH } from '../helpers/env.js';
import { GitHubDouble } from '../helpers/github-double.js';
import { freePort, startCli, waitForHttp, type RunningProcess } from '../helpers/processes.js';

const REPO = 'acme/shop';
const SHA1 = '1111111111111111111111111111111111111111';
const SHA2 = '2222222222222222222222222222222222222222';
const PHONE = { width: 390, height: 844 };

/**
 * The dashboard as a user meets it: `helvetia app` (dist/), the GitHub double as GHE (OAuth and
 * user-token API), real Redis, headless Chromium. No worker runs: actions are asserted as the
 * command jobs they store in the intake stream.
 */
describe('dashboard end to end (Chromium, helvetia app, GitHub double, real Redis)', () => {
  const github = new GitHubDouble();
  const prefix = `hvdash${randomBytes(3).toString('hex')}`;
  const redis = new Redis(REDIS_URL);
  const history = new DeployHistory(redis, prefix);
  let proc: RunningProcess;
  let browser: Browser;
  let baseUrl = '';

  const record = (over: Partial<DeployRecord>): DeployRecord => ({ jobId: `job-${randomBytes(4).toString('hex')}`, repository: REPO, environment: 'production', sha: SHA1, trigger: 'push', startedAt: Date.now() - 60_000, ...over });
  const commands = async (): Promise<CommandJobData[]> =>
    (await redis.xrange(intakeKeys(prefix).stream, '-', '+')).flatMap(([, fields]) => {
      const map = Object.fromEntries(fields.flatMap((_, i) => (i % 2 ? [] : [[fields[i]!, fields[i + 1]!]])));
      return map.kind === 'command' ? [JSON.parse(map.data!) as CommandJobData] : [];
    });

  /** A browser of its own, signed in as `login` by clicking "Sign in with GitHub". */
  async function signIn(login: string, viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
    github.users.signedIn = login;
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/`);
    await page.click('#sign-in');
    await page.waitForSelector('#login');
    expect(await page.textContent('#login')).toBe(`@${login}`);
    return { context, page };
  }

  beforeAll(async () => {
    await github.start();
    github.installations.set(REPO, 51);
    github.installations.set('acme/secret-plans', 51);
    github.installations.set('acme/blog', 52);
    github.users.grant('alice', REPO, 'write');
    github.users.grant('alice', 'acme/blog', 'read');
    github.users.grant('rita', REPO, 'read');
    github.users.grant('ada', REPO, 'admin');
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    proc = startCli(['app'], {
      APP_ID: '777', PRIVATE_KEY_PATH: TEST_PRIVATE_KEY_PATH, WEBHOOK_SECRET: 'dashboard-e2e-secret', PORT: String(port), HOST: '127.0.0.1',
      APP_BASE_URL: baseUrl, GHE_HOST: github.host, GHE_PROTOCOL: 'http', REDIS_URL, PREVIEW_DOMAIN: 'preview.test', QUEUE_PREFIX: prefix,
      LOG_SIGNING_KEY: randomBytes(32).toString('hex'), LOG_LEVEL: 'info', DOCKER_HOST: 'tcp://127.0.0.1:1', EDGE_NETWORK: `${prefix}-edge`,
      GITHUB_CLIENT_ID: github.users.clientId, GITHUB_CLIENT_SECRET: github.users.clientSecret, SEAL_PRIVATE_KEY: await encodeKey((await generateKey()).privateKey),
    });
    await waitForHttp(`${baseUrl}/healthz`);
    // Production: SHA1 (kept), then SHA2 live with a companion service; pr-4 live; stats for production.
    const config = { services: { db: { volumes: { pgdata: '/var/lib/postgresql/data' } } }, volumes: { uploads: '/app/uploads' } } as never;
    await history.keep(REPO, 'production', { sha: SHA1, image: 'helvetia/acme-shop:1111111', jobId: 'p1', repoConfig: config, deployedAt: 1 }, 3);
    await history.keep(REPO, 'production', { sha: SHA2, image: 'helvetia/acme-shop:2222222', jobId: 'p2', repoConfig: config, deployedAt: 2 }, 3);
    await history.record(record({ jobId: 'p1', sha: SHA1, image: 'helvetia/acme-shop:1111111', outcome: 'success', title: 'Deployed', finishedAt: Date.now() - 50_000, buildMs: 8200, healthMs: 900, url: 'http://shop--acme.preview.test', logUrl: '/logs/p1?token=x' }));
    await history.record(record({ jobId: 'p2', sha: SHA2, image: 'helvetia/acme-shop:2222222', outcome: 'success', title: 'Deployed', startedAt: Date.now() - 20_000, finishedAt: Date.now() - 10_000, buildMs: 7400, healthMs: 1200, url: 'http://shop--acme.preview.test', logUrl: '/logs/p2?token=x' }));
    await history.record(record({ jobId: 'f1', environment: 'pr-4', sha: SHA2, trigger: 'pull_request', image: 'helvetia/acme-shop:pr-4', outcome: 'success', finishedAt: Date.now() - 5000, url: 'http://pr-4--shop--acme.preview.test' }));
    await redis.hset(`${prefix}:live-sha`, `${REPO}@production`, SHA2, `${REPO}@pr-4`, SHA2);
    await new StatsStore(redis, prefix).set(REPO, 'production', { containerId: 'c1', cpuPercent: 3.25, memoryBytes: 48 * 1024 * 1024, memoryLimitBytes: 512 * 1024 * 1024, at: Date.now() });
    browser = await launchChromium();
    mkdirSync('test-artifacts', { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await proc?.stop();
    await github.stop();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('signs in with GitHub and lists exactly the repositories the user reaches through the app', async () => {
    const anonymous = await browser.newPage();
    await anonymous.goto(`${baseUrl}/`);
    await anonymous.screenshot({ path: 'test-artifacts/dashboard-sign-in.png', fullPage: true });
    await anonymous.close();
    const { context, page } = await signIn('alice');
    const listed = await page.$$eval('#repositories a', (as) => as.map((a) => a.textContent));
    expect(listed).toEqual(['acme/blog', 'acme/shop']);
    await page.screenshot({ path: 'test-artifacts/dashboard-repositories.png', fullPage: true });
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'hv_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(proc.output()).not.toMatch(/ghu_[0-9a-f]{10}/);
    await context.close();
  });

  it('a writer sees environments and history; "Roll back" and "Redeploy" enqueue the right command jobs', async () => {
    const { context, page } = await signIn('alice');
    await page.click('a[data-repository="acme/shop"]');
    await page.waitForSelector('#environments');
    expect(await page.$$eval('#environments tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-environment')))).toEqual(['production', 'pr-4']);
    const production = page.locator('tr[data-environment="production"]');
    expect(await production.locator('[data-field="usage"]').textContent()).toBe('3.3 % CPU · 48 MB / 512 MB');
    expect(await production.locator('a.sha').getAttribute('href')).toBe(`http://${github.host}/acme/shop/commit/${SHA2}`);
    expect(await production.textContent()).toContain('db');
    expect(await production.locator('[data-field="volumes"]').textContent()).toBe('uploads (/app/uploads) db/pgdata');
    await page.screenshot({ path: 'test-artifacts/dashboard-environments.png', fullPage: true });
    await page.click('tr[data-environment="production"] a');
    await page.waitForSelector('#history');
    await page.screenshot({ path: 'test-artifacts/dashboard-history.png', fullPage: true });
    // The live image has no "Roll back"; the kept older one has.
    expect(await page.locator(`button[data-action="rollback"][data-sha="${SHA2}"]`).count()).toBe(0);
    await page.click(`button[data-action="rollback"][data-sha="${SHA1}"]`);
    await page.waitForSelector('#notice');
    expect(await page.textContent('#notice')).toContain('Rollback queued');
    await page.click('button[data-action="redeploy"]');
    await page.waitForURL(/queued=redeploy/);
    const jobs = await commands();
    expect(jobs).toEqual([
      expect.objectContaining({ command: 'rollback', actor: 'alice', sha: SHA1, environment: 'production', installationId: 51, owner: 'acme', repo: 'shop', repository: REPO, deliveryId: expect.stringMatching(/^dashboard-/) }),
      expect.objectContaining({ command: 'redeploy', actor: 'alice', sha: SHA2, environment: 'production', installationId: 51 }),
    ]);
    expect(jobs.every((j) => j.pullRequest === undefined)).toBe(true);
    await page.goto(`${baseUrl}/repos/acme/shop/environments/pr-4`);
    await page.click('button[data-action="destroy"]');
    await page.waitForURL(/queued=destroy/);
    expect((await commands()).at(-1)).toMatchObject({ command: 'destroy', environment: 'pr-4', pullRequest: 4, sha: SHA2 });
    await context.close();
  });

  it('the environment list updates live when the worker records a deploy (no reload)', async () => {
    const { context, page } = await signIn('alice');
    await page.goto(`${baseUrl}/repos/acme/shop`);
    await page.waitForSelector('#live-state.on');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const sha = '3333333333333333333333333333333333333333';
    await history.record(record({ jobId: 'p3', sha, trigger: 'redeploy by @alice', startedAt: Date.now() }));
    await page.waitForSelector('tr[data-environment="production"] .badge-in_progress');
    expect(await page.locator('tr[data-environment="production"] a.sha').textContent()).toBe('3333333');
    await history.record(record({ jobId: 'new-pr', environment: 'pr-7', sha, trigger: 'pull_request', startedAt: Date.now() }));
    await page.waitForSelector('tr[data-environment="pr-7"]');
    await history.record(record({ jobId: 'p3', sha, trigger: 'redeploy by @alice', outcome: 'success', image: 'helvetia/acme-shop:3333333', finishedAt: Date.now() }));
    await page.waitForSelector('tr[data-environment="production"] .badge-success');
    expect(await page.locator('tr[data-environment="production"] [data-field="image"]').textContent()).toBe('helvetia/acme-shop:3333333');
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
    await page.screenshot({ path: 'test-artifacts/dashboard-environments-live.png', fullPage: true });
    await context.close();
  });

  it('a read-only user sees the pages without buttons; forged POSTs (without permission, without CSRF token) are refused', async () => {
    const { context, page } = await signIn('rita');
    await page.goto(`${baseUrl}/repos/acme/shop/environments/production`);
    expect(await page.locator('button[data-action]').count()).toBe(0);
    expect(await page.locator('#read-only').count()).toBe(1);
    await page.screenshot({ path: 'test-artifacts/dashboard-history-read-only.png', fullPage: true });
    const before = (await commands()).length;
    const csrf = await page.getAttribute('input[name="_csrf"]', 'value');
    const url = `${baseUrl}/repos/acme/shop/environments/production/actions`;
    const withToken = await page.request.post(url, { form: { action: 'rollback', sha: SHA1, _csrf: csrf! }, maxRedirects: 0 });
    expect(withToken.status()).toBe(403);
    const withoutToken = await page.request.post(url, { form: { action: 'rollback', sha: SHA1 }, maxRedirects: 0 });
    expect(withoutToken.status()).toBe(403);
    expect((await commands()).length).toBe(before);
    await context.close();
  });

  it('a writer\'s POST without the CSRF token is refused too', async () => {
    const { context, page } = await signIn('alice');
    const before = (await commands()).length;
    const answer = await page.request.post(`${baseUrl}/repos/acme/shop/environments/production/actions`, { form: { action: 'redeploy', sha: SHA2 }, maxRedirects: 0 });
    expect(answer.status()).toBe(403);
    expect((await commands()).length).toBe(before);
    await context.close();
  });

  it('a user without access gets the same 404 for a guessed repository as for a nonexistent one', async () => {
    const { context, page } = await signIn('alice');
    const guessed = await page.goto(`${baseUrl}/repos/acme/secret-plans`);
    const guessedText = await page.textContent('main');
    const missing = await page.goto(`${baseUrl}/repos/acme/nope`);
    expect(guessed!.status()).toBe(404);
    expect(missing!.status()).toBe(404);
    expect(guessedText).toBe(await page.textContent('main'));
    await page.screenshot({ path: 'test-artifacts/dashboard-not-found.png', fullPage: true });
    await context.close();
  });

  it('an admin sets a secret (write-only) on the secrets page and redeploys its scope', async () => {
    const { context, page } = await signIn('ada');
    await page.goto(`${baseUrl}/repos/acme/shop/secrets`);
    await page.selectOption('select[name="scope"]', 'production');
    await page.fill('input[name="name"]', 'DATABASE_URL');
    const value = `postgres://u:${randomBytes(6).toString('hex')}@db/shop`;
    await page.fill('input[name="value"]', value);
    await page.click('#set-secret-button');
    await page.waitForSelector('tr[data-secret="production/DATABASE_URL"]');
    expect(await page.content()).not.toContain(value);
    await page.screenshot({ path: 'test-artifacts/dashboard-secrets.png', fullPage: true });
    // The new value applies at the next deploy: "Redeploy production" asks the worker for it.
    await page.click('button[data-redeploy-scope="production"]');
    await page.waitForURL(/done=redeploy/);
    expect(await page.textContent('#notice')).toContain('Redeploy queued');
    expect((await commands()).at(-1)).toMatchObject({ command: 'redeploy-scope', scope: 'production', actor: 'ada', repository: REPO, installationId: 51 });
    await context.close();
  });

  it('is usable on a phone', async () => {
    const { context, page } = await signIn('alice', PHONE);
    await page.screenshot({ path: 'test-artifacts/dashboard-phone-repositories.png', fullPage: true });
    await page.goto(`${baseUrl}/repos/acme/shop`);
    await page.waitForSelector('#environments');
    await page.screenshot({ path: 'test-artifacts/dashboard-phone-environments.png', fullPage: true });
    await page.goto(`${baseUrl}/repos/acme/shop/environments/production`);
    await page.screenshot({ path: 'test-artifacts/dashboard-phone-history.png', fullPage: true });
    // Nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await context.close();
  });
});
