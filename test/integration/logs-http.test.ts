import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildLogStore } from '../../src/logs/build-log-store.js';
import { logUrl, signLogToken } from '../../src/logs/log-token.js';
import { deleteKeys, newRedis, newStore, startLogServer, TEST_SIGNING_KEY, uniquePrefix, type TestServer } from '../helpers/logs-fixtures.js';

const ALLOWED = 'https://dash.example.com,http://localhost:5173';
const SECRET_LINE = 'only-for-token-holders';

describe('log router over HTTP', () => {
  let redis: Redis;
  let store: BuildLogStore;
  let app: TestServer;
  const prefix = uniquePrefix();
  const hour = () => Date.now() + 3_600_000;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${app.baseUrl}${path}`, { headers });
  const token = (id: string, key = TEST_SIGNING_KEY, exp = hour()) => encodeURIComponent(signLogToken(key, id, exp));

  beforeAll(async () => {
    redis = newRedis();
    store = newStore(redis, prefix);
    app = await startLogServer(store, { ALLOWED_ORIGINS: ALLOWED });
    await store.open('known', { repository: 'octo/app', sha: 'c0ffee1234', environment: 'pr-7', commitUrl: 'https://github.com/octo/app/commit/c0ffee1234' });
    await store.append('known', `\x1b[32m${SECRET_LINE}\x1b[0m\nsecond`);
    await store.end('known', 'success');
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('serves the viewer page with strict security headers and no inline script', async () => {
    const res = await get(`/logs/known?token=${token('known')}`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('octo/app');
    expect(html).toContain('src="_assets/viewer.js"');
    expect(html).not.toMatch(/<script>/);
  });

  it('serves the viewer assets without a token', async () => {
    const js = await get('/logs/_assets/viewer.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).toContain('EventSource');
    const css = await get('/logs/_assets/viewer.css');
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
    expect(await css.text()).toContain('.ansi-31');
  });

  it('serves plain text without colour codes', async () => {
    const res = await get(`/logs/known.txt?token=${token('known')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const text = await res.text();
    expect(text).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${SECRET_LINE}$`, 'm'));
    expect(text).not.toContain('\x1b');
    expect(text).toContain('# ended: success');
  });

  it('accepts the link produced by logUrl', async () => {
    const url = new URL(logUrl(app.baseUrl, TEST_SIGNING_KEY, 'known', 1));
    expect((await fetch(url)).status).toBe(200);
  });

  const bad: [string, () => string, number][] = [
    ['missing', () => '', 401],
    ['tampered', () => token('known').replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), 403],
    ['expired', () => token('known', TEST_SIGNING_KEY, Date.now() - 1000), 403],
    ['for another id', () => token('other'), 403],
    ['from another deployment', () => token('known', `${TEST_SIGNING_KEY}-other`), 403],
  ];
  for (const [name, make, status] of bad) {
    it(`refuses a ${name} token on page, text and stream without revealing the log`, async () => {
      for (const path of ['/logs/known', '/logs/known.txt', '/logs/known/stream']) {
        const res = await get(`${path}?token=${make()}`);
        expect(res.status, path).toBe(status);
        const body = await res.text();
        expect(body).not.toContain(SECRET_LINE);
        expect(body).not.toContain('octo/app');
      }
    });
  }

  it('answers an unknown id exactly like a known id when the token is invalid', async () => {
    for (const suffix of ['', '.txt', '/stream']) {
      const known = await get(`/logs/known${suffix}?token=${token('other')}`);
      const unknown = await get(`/logs/nope${suffix}?token=${token('other')}`);
      expect(unknown.status).toBe(known.status);
      expect(await unknown.text()).toBe(await known.text());
      const noToken = [await get(`/logs/known${suffix}`), await get(`/logs/nope${suffix}`)];
      expect(noToken.map((r) => r.status)).toEqual([401, 401]);
    }
  });

  it('gives 404 for an unknown id only to a valid token', async () => {
    for (const suffix of ['', '.txt', '/stream']) {
      expect((await get(`/logs/nope${suffix}?token=${token('nope')}`)).status).toBe(404);
    }
  });

  it('allows each whitelisted origin exactly, with credentials and Vary', async () => {
    for (const origin of ALLOWED.split(',')) {
      const res = await get(`/logs/known.txt?token=${token('known')}`, { Origin: origin });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('vary')).toMatch(/Origin/);
    }
  });

  it('refuses a disallowed origin with 403 and no log content, even with a valid token', async () => {
    for (const path of ['/logs/known', '/logs/known.txt', '/logs/known/stream']) {
      const res = await get(`${path}?token=${token('known')}`, { Origin: 'https://evil.example.com' });
      expect(res.status, path).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(await res.text()).not.toContain(SECRET_LINE);
    }
  });

  it('falls back to the APP_BASE_URL origin when ALLOWED_ORIGINS is unset', async () => {
    const other = await startLogServer(store);
    try {
      const url = `${other.baseUrl}/logs/known.txt?token=${token('known')}`;
      const own = await fetch(url, { headers: { Origin: other.baseUrl } });
      expect(own.headers.get('access-control-allow-origin')).toBe(other.baseUrl);
      expect((await fetch(url, { headers: { Origin: 'https://dash.example.com' } })).status).toBe(403);
    } finally {
      await other.close();
    }
  });
});
