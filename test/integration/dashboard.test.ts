import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDashboard, type DashboardConfig } from '../../src/dashboard/create-dashboard.js';
import { SessionStore } from '../../src/dashboard/session-store.js';
import { buildManifest, readAppYml } from '../../src/setup/manifest.js';
import { DeployHistory, type DeployRecord } from '../../src/history/deploy-history.js';
import { createLogger } from '../../src/logger.js';
import type { CommandJobData } from '../../src/queue/job-types.js';
import { Keyring } from '../../src/secrets/keyring.js';
import { encodeKey, generateKey } from '../../src/secrets/sealing.js';
import { SecretStore } from '../../src/secrets/secret-store.js';
import { DashboardClient } from '../helpers/dashboard-client.js';
import { REDIS_URL } from '../helpers/env.js';
import { GitHubDouble } from '../helpers/github-double.js';
import { repoId } from '../helpers/webhooks.js';

const SHA1 = 'a'.repeat(40);
const SHA2 = 'b'.repeat(40);
const REPO = 'acme/shop';

/**
 * The dashboard's routes in an express server against the GitHub double (OAuth and user-token
 * API over HTTP) and real Redis; commands land in a recording queue.
 */
/** Reads an SSE answer as text; `until` resolves once the text so far matches, and throws when the stream ends. */
function streamReader(answer: Response) {
  const reader = answer.body!.getReader();
  let text = '';
  const until = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended: ${text}`);
      text += Buffer.from(value).toString();
    }
  };
  return { until, text: () => text };
}

describe('dashboard: sign-in, sessions, CSRF, permissions at action time (GitHub double, real Redis)', () => {
  const github = new GitHubDouble();
  const redis = new Redis(REDIS_URL);
  const prefix = `hvdash${randomBytes(3).toString('hex')}`;
  const enqueued: CommandJobData[] = [];
  const queue = { enqueueCommand: async (data: CommandJobData) => (enqueued.push(data), { jobId: `command-${data.deliveryId}`, status: 'enqueued' as const }) };
  const history = new DeployHistory(redis, prefix);
  let secrets: SecretStore;
  let server: Server;
  let baseUrl = '';
  let close: () => Promise<void>;

  const config = (base: string): DashboardConfig => ({
    GITHUB_CLIENT_ID: github.users.clientId, GITHUB_CLIENT_SECRET: github.users.clientSecret, APP_BASE_URL: base, GHE_HOST: github.host, GHE_PROTOCOL: 'http',
    githubApiUrl: `http://${github.host}/api/v3`, QUEUE_PREFIX: prefix, DASHBOARD_SESSION_HOURS: 8, logs: { ALLOWED_ORIGINS: ['https://allowed.example'] },
  });
  const record = (over: Partial<DeployRecord>): DeployRecord => ({ jobId: `job-${randomBytes(4).toString('hex')}`, repository: REPO, environment: 'production', sha: SHA1, trigger: 'push', startedAt: Date.now() - 5000, ...over });
  const signedIn = async (login: string) => {
    github.users.signedIn = login;
    const client = new DashboardClient(baseUrl);
    const answer = await client.signIn();
    expect(answer.status).toBe(200);
    return client;
  };

  beforeAll(async () => {
    await github.start();
    github.installations.set(REPO, 41);
    github.installations.set('acme/secret-plans', 41);
    github.installations.set('other/tool', 42);
    secrets = new SecretStore(redis, prefix, (await Keyring.load({ current: await encodeKey((await generateKey()).privateKey), previous: [] }))!);
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dashboard = createDashboard({ config: config(baseUrl), redis, queue, secrets, logger: createLogger({ level: 'silent' }), heartbeatMs: 200, accessRecheckMs: 400 })!;
    close = dashboard.close;
    const app = express();
    app.use(dashboard.router);
    server.on('request', app);
    // production: SHA1 deployed and kept, then SHA2 live; pr-3 live.
    await history.keep(REPO, 'production', { sha: SHA1, image: 'img:one', jobId: 'j1', repoConfig: { services: { db: {} } } as never, deployedAt: 1 }, 3);
    await history.keep(REPO, 'production', { sha: SHA2, image: 'img:two', jobId: 'j2', repoConfig: { services: { db: {} } } as never, deployedAt: 2 }, 3);
    await history.record(record({ jobId: 'j1', sha: SHA1, image: 'img:one', outcome: 'success', finishedAt: Date.now() - 4000 }));
    await history.record(record({ jobId: 'j2', sha: SHA2, image: 'img:two', outcome: 'success', finishedAt: Date.now() - 1000 }));
    await history.record(record({ jobId: 'p1', environment: 'pr-3', sha: SHA2, image: 'img:pr', outcome: 'success', trigger: 'pull_request' }));
    await redis.hset(`${prefix}:live-sha`, `${REPO}@production`, SHA2, `${REPO}@pr-3`, SHA2);
  });

  beforeEach(() => {
    enqueued.length = 0;
    github.users.access.clear();
  });

  afterAll(async () => {
    await close?.();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await github.stop();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('signs in with the OAuth web flow: state sent, session cookie HttpOnly, SameSite=Lax, not Secure on http, 8 h; the token never reaches the browser', async () => {
    github.users.grant('alice', REPO, 'read');
    const client = await signedIn('alice');
    const authorize = github.users.authorizeRequests.at(-1)!;
    expect(authorize.get('client_id')).toBe(github.users.clientId);
    expect(authorize.get('redirect_uri')).toBe(`${baseUrl}/auth/callback`);
    expect(authorize.get('state')).toMatch(/^[\w-]{40,}$/);
    const session = client.setCookies.find((c) => c.startsWith('hv_session=') && !/Max-Age=0/.test(c))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).toMatch(/; Max-Age=28800/);
    expect(session).not.toMatch(/Secure/);
    const page = await (await client.get('/')).text();
    expect(page).toContain('@alice');
    expect(page).toContain('acme/shop');
    const token = [...github.users.tokens].find(([, login]) => login === 'alice')![0];
    expect(client.setCookies.join('\n')).not.toContain(token);
    expect(page).not.toContain(token);
  });

  it("GitHub's redirect after an installation (the manifest's setup_url) lands on the dashboard, not on a 404", async () => {
    const setupUrl = new URL(buildManifest(readAppYml(), baseUrl).setup_url);
    expect(setupUrl.origin).toBe(new URL(baseUrl).origin);
    const response = await new DashboardClient(baseUrl).get(`${setupUrl.pathname}?installation_id=42&setup_action=install`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Sign in with GitHub');
  });

  it('rotates the session id at sign-in: the session the browser had before is gone', async () => {
    github.users.grant('alice', REPO, 'read');
    const client = await signedIn('alice');
    const before = client.cookies.get('hv_session')!;
    const stale = new DashboardClient(baseUrl);
    stale.cookies.set('hv_session', before);
    expect(await (await stale.get('/')).text()).toContain('@alice');
    await client.signIn();
    const after = client.cookies.get('hv_session')!;
    expect(after).not.toBe(before);
    expect(await (await stale.get('/')).text()).toContain('Sign in with GitHub');
    expect(await (await client.get('/')).text()).toContain('@alice');
  });

  it('without both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET there is no dashboard (/ keeps its old behaviour)', () => {
    const logger = createLogger({ level: 'silent' });
    expect(createDashboard({ config: { ...config(baseUrl), GITHUB_CLIENT_SECRET: undefined }, redis, queue, logger })).toBeUndefined();
    expect(createDashboard({ config: { ...config(baseUrl), GITHUB_CLIENT_ID: undefined }, redis, queue, logger })).toBeUndefined();
  });

  it('https: cookies are Secure and __Host- prefixed', async () => {
    const https = createDashboard({ config: config('https://deploy.example'), redis, queue, logger: createLogger({ level: 'silent' }) })!;
    const app = express().use(https.router);
    const s = createServer(app);
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/auth/login`, { redirect: 'manual' });
      const [cookie] = answer.headers.getSetCookie();
      expect(cookie).toMatch(/^__Host-hv_oauth=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/);
    } finally {
      s.close();
      await https.close();
    }
  });

  it('sessions expire (Redis TTL and the recorded expiry)', async () => {
    const store = new SessionStore(redis, prefix, 60_000);
    const { id, session } = await store.create({ login: 'x', userId: 1, token: 'ghu_x' });
    expect(session.csrf).toMatch(/^[\w-]{43}$/);
    expect(await store.get(id)).toMatchObject({ login: 'x' });
    expect(await store.get(id, Date.now() + 60_001)).toBeUndefined();
    const keys = await redis.keys(`${prefix}:dashboard:session:*`);
    const ttls = await Promise.all(keys.map((k) => redis.pttl(k)));
    expect(ttls.every((t) => t > 0 && t <= 8 * 3600_000)).toBe(true);
    // Redis keys never hold the id itself.
    expect(keys.some((k) => k.includes(id))).toBe(false);
    const short = new SessionStore(redis, prefix, 150);
    const brief = await short.create({ login: 'y', userId: 2, token: 'ghu_y' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await short.get(brief.id)).toBeUndefined();
  });

  it('refuses a callback whose state is unknown, reused or issued to another browser', async () => {
    github.users.grant('mallory', REPO, 'admin');
    github.users.signedIn = 'mallory';
    const forged = new DashboardClient(baseUrl);
    const unknown = await forged.get('/auth/callback?code=ucode1&state=forged');
    expect(unknown.status).toBe(400);
    expect(forged.cookies.has('hv_session')).toBe(false);
    // A state issued to the attacker's browser, delivered to a victim's (a sign-in of its own pending): refused.
    const attacker = new DashboardClient(baseUrl);
    const login = await attacker.get('/auth/login');
    const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' });
    const callback = authorize.headers.get('location')!;
    const victim = new DashboardClient(baseUrl);
    await victim.get('/auth/login');
    expect(victim.cookies.get('hv_oauth')).toBeDefined();
    expect((await victim.get(callback)).status).toBe(400);
    expect(victim.cookies.has('hv_session')).toBe(false);
    // …and it is used up: the attacker cannot use it afterwards either.
    expect((await attacker.get(callback)).status).toBe(400);
  });

  it('a repository outside the user\'s installations answers exactly like a nonexistent one (404)', async () => {
    github.users.grant('alice', REPO, 'write');
    const client = await signedIn('alice');
    const guessed = await client.get('/repos/acme/secret-plans');
    const missing = await client.get('/repos/acme/does-not-exist');
    const otherInstallation = await client.get('/repos/other/tool');
    expect([guessed.status, missing.status, otherInstallation.status]).toEqual([404, 404, 404]);
    const [a, b, c] = await Promise.all([guessed.text(), missing.text(), otherInstallation.text()]);
    expect(a).toBe(b);
    expect(c).toBe(b);
    expect((await client.get('/repos/acme/secret-plans/environments/production')).status).toBe(404);
    expect((await client.get('/repos/acme/secret-plans/secrets')).status).toBe(404);
    expect((await client.get('/repos/acme/secret-plans/events')).status).toBe(404);
    const list = await (await client.get('/')).text();
    expect(list).toContain('acme/shop');
    expect(list).not.toContain('secret-plans');
  });

  it('refuses state-changing requests without the session\'s CSRF token (403), enqueuing nothing', async () => {
    github.users.grant('alice', REPO, 'write');
    const client = await signedIn('alice');
    const url = '/repos/acme/shop/environments/production/actions';
    expect((await client.post(url, { action: 'redeploy', sha: SHA2 })).status).toBe(403);
    expect((await client.post(url, { action: 'redeploy', sha: SHA2, _csrf: 'x'.repeat(43) })).status).toBe(403);
    const other = await signedIn('alice');
    const otherToken = DashboardClient.csrfOf(await (await other.get('/')).text());
    expect((await client.post(url, { action: 'redeploy', sha: SHA2, _csrf: otherToken })).status).toBe(403);
    expect((await client.post('/repos/acme/shop/secrets', { op: 'set', scope: 'production', name: 'A', value: 'v' })).status).toBe(403);
    expect((await client.post('/auth/logout', {})).status).toBe(403);
    expect(enqueued).toEqual([]);
    const anonymous = new DashboardClient(baseUrl);
    expect((await anonymous.post(url, { action: 'redeploy', sha: SHA2, _csrf: otherToken })).status).toBe(403);
  });

  it('checks permission at the time of the action: a writer downgraded after the page loaded is refused', async () => {
    github.users.grant('alice', REPO, 'write');
    const client = await signedIn('alice');
    const page = await (await client.get('/repos/acme/shop/environments/production')).text();
    expect(page).toContain('data-action="redeploy"');
    expect(page).toContain(`data-action="rollback" data-sha="${SHA1}"`);
    expect(page).not.toContain(`data-action="rollback" data-sha="${SHA2}"`);
    const csrf = DashboardClient.csrfOf(page);
    github.users.grant('alice', REPO, 'read');
    const refused = await client.post('/repos/acme/shop/environments/production/actions', { action: 'rollback', sha: SHA1, _csrf: csrf });
    expect(refused.status).toBe(403);
    expect(enqueued).toEqual([]);
    github.users.grant('alice', REPO, 'write');
    const done = await client.post('/repos/acme/shop/environments/production/actions', { action: 'rollback', sha: SHA1, _csrf: csrf });
    expect(done.status).toBe(303);
    expect(enqueued).toEqual([{
      command: 'rollback', actor: 'alice', sha: SHA1, environment: 'production', installationId: 41, owner: 'acme', repo: 'shop', repository: REPO,
      repositoryId: repoId(REPO), deliveryId: expect.stringMatching(/^dashboard-[0-9a-f]{24}$/), enqueuedAt: expect.any(Number),
    }]);
    // Rolling back to the live image, or to a commit never deployed here: refused.
    expect((await client.post('/repos/acme/shop/environments/production/actions', { action: 'rollback', sha: SHA2, _csrf: csrf })).status).toBe(409);
    expect((await client.post('/repos/acme/shop/environments/production/actions', { action: 'redeploy', sha: 'c'.repeat(40), _csrf: csrf })).status).toBe(409);
    expect((await client.post('/repos/acme/shop/environments/production/actions', { action: 'destroy', sha: SHA2, _csrf: csrf })).status).toBe(400);
  });

  it('previews: destroy and redeploy carry the pull request; read-only users see no buttons and their forged POST is refused', async () => {
    github.users.grant('alice', REPO, 'write');
    github.users.grant('rita', REPO, 'read');
    const writer = await signedIn('alice');
    const csrf = DashboardClient.csrfOf(await (await writer.get('/repos/acme/shop/environments/pr-3')).text());
    expect((await writer.post('/repos/acme/shop/environments/pr-3/actions', { action: 'destroy', sha: SHA2, _csrf: csrf })).status).toBe(303);
    expect(enqueued[0]).toMatchObject({ command: 'destroy', environment: 'pr-3', pullRequest: 3, sha: SHA2 });
    // Only production rolls back: a preview (maybe a fork's code) keeps just its current image.
    const rollback = await writer.post('/repos/acme/shop/environments/pr-3/actions', { action: 'rollback', sha: SHA2, _csrf: csrf });
    expect(rollback.status).toBe(400);
    expect(await rollback.text()).toContain('only production can be rolled back');
    const reader = await signedIn('rita');
    const page = await (await reader.get('/repos/acme/shop/environments/pr-3')).text();
    expect(page).not.toContain('data-action=');
    expect(page).toContain('id="read-only"');
    const forged = await reader.post('/repos/acme/shop/environments/pr-3/actions', { action: 'redeploy', sha: SHA2, _csrf: DashboardClient.csrfOf(page) });
    expect(forged.status).toBe(403);
    expect(enqueued).toHaveLength(1);
  });

  it('secrets: names only, set and unset need admin at the time of the change; values never shown', async () => {
    github.users.grant('ada', REPO, 'admin');
    github.users.grant('alice', REPO, 'write');
    const admin = await signedIn('ada');
    const value = `pw-${randomBytes(8).toString('hex')}`;
    const csrf = DashboardClient.csrfOf(await (await admin.get('/repos/acme/shop/secrets')).text());
    expect((await admin.post('/repos/acme/shop/secrets', { op: 'set', scope: 'production', name: 'DATABASE_URL', value, _csrf: csrf })).status).toBe(303);
    expect(await secrets.values(repoId(REPO), 'production')).toEqual({ DATABASE_URL: value });
    const page = await (await admin.get('/repos/acme/shop/secrets?done=set')).text();
    expect(page).toContain('DATABASE_URL');
    expect(page).not.toContain(value);
    const writer = await signedIn('alice');
    const writerPage = await (await writer.get('/repos/acme/shop/secrets')).text();
    expect(writerPage).not.toContain('id="set-secret"');
    expect((await writer.post('/repos/acme/shop/secrets', { op: 'unset', scope: 'production', name: 'DATABASE_URL', _csrf: DashboardClient.csrfOf(writerPage) })).status).toBe(403);
    github.users.grant('ada', REPO, 'write');
    expect((await admin.post('/repos/acme/shop/secrets', { op: 'unset', scope: 'production', name: 'DATABASE_URL', _csrf: csrf })).status).toBe(403);
    github.users.grant('ada', REPO, 'admin');
    expect((await admin.post('/repos/acme/shop/secrets', { op: 'unset', scope: 'production', name: 'DATABASE_URL', _csrf: csrf })).status).toBe(303);
    expect(await secrets.values(repoId(REPO), 'production')).toEqual({});
  });

  it('secrets: "Redeploy <scope>" needs write at the time of the press and enqueues one redeploy-scope command', async () => {
    github.users.grant('alice', REPO, 'write');
    github.users.grant('rita', REPO, 'read');
    const writer = await signedIn('alice');
    const page = await (await writer.get('/repos/acme/shop/secrets')).text();
    expect(page).toContain('data-redeploy-scope="production"');
    expect(page).toContain('data-redeploy-scope="previews"');
    const csrf = DashboardClient.csrfOf(page);
    expect((await writer.post('/repos/acme/shop/secrets/redeploy', { scope: 'staging', _csrf: csrf })).status).toBe(400);
    expect((await writer.post('/repos/acme/shop/secrets/redeploy', { scope: 'production' })).status).toBe(403);
    expect(enqueued).toEqual([]);
    const done = await writer.post('/repos/acme/shop/secrets/redeploy', { scope: 'production', _csrf: csrf });
    expect(done.status).toBe(303);
    expect(enqueued).toEqual([expect.objectContaining({ command: 'redeploy-scope', scope: 'production', actor: 'alice', repository: REPO, repositoryId: repoId(REPO), installationId: 41 })]);
    const reader = await signedIn('rita');
    const readerPage = await (await reader.get('/repos/acme/shop/secrets')).text();
    expect(readerPage).not.toContain('data-redeploy-scope');
    expect((await reader.post('/repos/acme/shop/secrets/redeploy', { scope: 'production', _csrf: DashboardClient.csrfOf(readerPage) })).status).toBe(403);
    // Taken away after the page loaded: refused at the press.
    github.users.grant('alice', REPO, 'read');
    expect((await writer.post('/repos/acme/shop/secrets/redeploy', { scope: 'previews', _csrf: csrf })).status).toBe(403);
    expect(enqueued).toHaveLength(1);
  });

  it('CORS: allowlisted origins get exactly themselves with credentials, others 403; never a reflection', async () => {
    github.users.grant('alice', REPO, 'read');
    const client = await signedIn('alice');
    const evil = await client.get('/repos/acme/shop', { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const good = await client.get('/repos/acme/shop', { origin: 'https://allowed.example' });
    expect(good.status).toBe(200);
    expect(good.headers.get('access-control-allow-origin')).toBe('https://allowed.example');
    expect(good.headers.get('access-control-allow-credentials')).toBe('true');
    expect(good.headers.get('content-security-policy')).toContain("script-src 'self'");
    const post = await client.post('/repos/acme/shop/environments/production/actions', { action: 'redeploy', sha: SHA2 }, { origin: 'https://evil.example' });
    expect(post.status).toBe(403);
  });

  it('live updates: a reader whose access is taken away mid-stream stops receiving at the next access check', async () => {
    github.users.grant('rita', REPO, 'read');
    const client = await signedIn('rita');
    const controller = new AbortController();
    const answer = await client.request('/repos/acme/shop/events', { signal: controller.signal });
    const { until } = streamReader(answer);
    try {
      await until(/: heartbeat/);
      github.users.grant('rita', REPO, 'none');
      const deadline = new Promise((_, reject) => setTimeout(() => reject(new Error('still streaming after access was taken away')), 5000));
      await expect(Promise.race([until(/never/), deadline])).rejects.toThrow('stream ended');
    } finally {
      controller.abort();
    }
  });

  it('live updates: the repository\'s records reach readers over SSE, other repositories\' do not', async () => {
    github.users.grant('alice', REPO, 'read');
    const client = await signedIn('alice');
    const controller = new AbortController();
    const answer = await client.request('/repos/acme/shop/events', { signal: controller.signal });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/event-stream');
    const stream = streamReader(answer);
    const until = stream.until;
    try {
      await until(/: subscribed/);
      await history.record(record({ jobId: 'other', repository: 'acme/secret-plans', sha: 'd'.repeat(40) }));
      await history.record(record({ jobId: 'fresh', environment: 'pr-9', sha: 'e'.repeat(40), trigger: 'pull_request' }));
      await until(/event: record\ndata: .*"fresh"/);
      expect(stream.text()).not.toContain('secret-plans');
      // Signed out: the stream ends at the next heartbeat.
      await client.post('/auth/logout', { _csrf: DashboardClient.csrfOf(await (await client.get('/')).text()) });
      const deadline = new Promise((_, reject) => setTimeout(() => reject(new Error('still streaming after sign-out')), 5000));
      await expect(Promise.race([until(/never/), deadline])).rejects.toThrow('stream ended');
    } finally {
      controller.abort();
    }
  });
});
