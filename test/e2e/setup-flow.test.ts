import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { type Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, TEST_PRIVATE_KEY } from '../helpers/env.js';
import { GitHubDouble } from '../helpers/github-double.js';
import { freePort, startCli, waitForHttp, type RunningProcess } from '../helpers/processes.js';

/**
 * First run, as a newcomer does it: `helvetia start` with no GitHub App serves /setup; a click in
 * headless Chromium posts the manifest to "GitHub" (the local double, as GHE), which sends the
 * browser back with a code; the conversion's credentials land in .env; a restart uses them.
 */
describe('GitHub App registration in one step (manifest flow, Chromium, GitHub double)', () => {
  const github = new GitHubDouble();
  const dir = mkdtempSync(join(tmpdir(), 'hvsetup-'));
  const envFile = join(dir, '.env');
  let port = 0;
  let baseUrl = '';
  let proc: RunningProcess;
  let browser: Browser;
  const env = () => ({
    PORT: String(port), HOST: '127.0.0.1', APP_BASE_URL: baseUrl, GHE_HOST: github.host, GHE_PROTOCOL: 'http', ENV_FILE: envFile,
    REDIS_URL, PREVIEW_DOMAIN: 'preview.test', LOG_SIGNING_KEY: 'setup-test-log-signing-key-0123456789', QUEUE_PREFIX: `hvsetup${port}`, LOG_LEVEL: 'info',
    EDGE_NETWORK: `hvsetup${port}-edge`, DOCKER_HOST: 'tcp://127.0.0.1:1',
  });

  beforeAll(async () => {
    github.appPem = TEST_PRIVATE_KEY;
    await github.start();
    port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    writeFileSync(envFile, '# my settings\nPREVIEW_DOMAIN=preview.test\n');
    proc = startCli(['app'], env());
    await waitForHttp(`${baseUrl}/healthz`);
    browser = await launchChromium();
    mkdirSync('test-artifacts', { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await proc?.stop();
    await github.stop();
  });

  it('serves /setup only on APP_BASE_URL\'s host, and names the webhook URL it will register', async () => {
    expect(proc.output()).toContain(`open ${baseUrl}/setup to register one`);
    const wrongHost = await fetch(`http://localhost:${port}/setup`);
    expect(wrongHost.status).toBe(404);
    const page = await fetch(`${baseUrl}/setup`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`${baseUrl}/api/github/webhooks`);
  });

  it('an organization registration is sent on to GitHub with its form body (307)', async () => {
    const answer = await fetch(`${baseUrl}/setup/organization?state=abc`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'organization=acme&manifest=%7B%7D' });
    expect(answer.status).toBe(307);
    expect(answer.headers.get('location')).toBe(`http://${github.host}/organizations/acme/settings/apps/new?state=abc`);
  });

  it('one click registers the app, writes .env, links to the installation, and /setup is gone', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/setup`);
    await page.screenshot({ path: 'test-artifacts/setup-page.png', fullPage: true });
    await page.click('#register-personal');
    await page.waitForSelector('#install');
    await page.screenshot({ path: 'test-artifacts/setup-done.png', fullPage: true });
    expect(await page.textContent('#written')).toContain(envFile);
    expect(await page.getAttribute('#install', 'href')).toBe(`http://${github.host}/apps/helvetia/installations/new`);
    const [received] = github.receivedManifests;
    expect(received!.manifest).toMatchObject({
      name: 'helvetia', hook_attributes: { url: `${baseUrl}/api/github/webhooks` }, redirect_url: `${baseUrl}/setup/callback`, public: false,
      default_events: ['push', 'pull_request', 'check_run', 'check_suite', 'issue_comment'],
      default_permissions: { checks: 'write', contents: 'read', deployments: 'write', pull_requests: 'write', metadata: 'read' },
    });
    const written = parseEnv(readFileSync(envFile, 'utf8')) as Record<string, string>;
    expect(readFileSync(envFile, 'utf8')).toMatch(/^# my settings\nPREVIEW_DOMAIN=preview.test\n/);
    expect(written).toMatchObject({ APP_ID: '4711', GITHUB_CLIENT_ID: 'Iv1.double', WEBHOOK_SECRET: expect.stringMatching(/^whsec-/), GITHUB_CLIENT_SECRET: expect.any(String) });
    expect(written.PRIVATE_KEY).toBe(TEST_PRIVATE_KEY);
    // The state was one-time, and the page is gone once the app exists.
    expect((await fetch(`${baseUrl}/setup`)).status).toBe(410);
    await page.close();
  });

  it('a forged callback (unknown state) converts nothing', async () => {
    const answer = await fetch(`${baseUrl}/setup/callback?code=code1&state=forged`);
    expect(answer.status).toBe(400);
  });

  it('when .env cannot be written (a container), the credentials are shown on the page once instead', async () => {
    const otherPort = await freePort();
    const other = startCli(['app'], { ...env(), PORT: String(otherPort), APP_BASE_URL: `http://127.0.0.1:${otherPort}`, ENV_FILE: join(dir, 'missing-dir', '.env') });
    try {
      await waitForHttp(`http://127.0.0.1:${otherPort}/healthz`);
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${otherPort}/setup`);
      await page.click('#register-personal');
      await page.waitForSelector('#credentials');
      const shown = (await page.textContent('#credentials'))!;
      expect(shown).toMatch(/^APP_ID="4711"$/m);
      expect(shown).toContain('PRIVATE_KEY="-----BEGIN');
      expect(other.output()).toContain('is not writable, the credentials were shown on the setup page');
      expect(other.output()).not.toContain('BEGIN RSA PRIVATE KEY');
      await page.close();
    } finally {
      await other.stop();
    }
  });

  it('restarted, helvetia boots with the credentials from .env', async () => {
    await proc.stop();
    proc = startCli(['app'], { ...env(), LOG_LEVEL: 'info' });
    await waitForHttp(`${baseUrl}/healthz`);
    expect((await (await fetch(`${baseUrl}/healthz`)).json()) as unknown).toEqual({ status: 'ok' });
    expect(proc.output()).toContain('webhook server listening');
    expect((await fetch(`${baseUrl}/setup`)).status).toBe(404);
  });
});
