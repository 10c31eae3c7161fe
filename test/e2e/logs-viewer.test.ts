import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildLogStore } from '../../src/logs/build-log-store.js';
import { logUrl } from '../../src/logs/log-token.js';
import { stripSgr } from '../../src/logs/sanitize-line.js';
import { deleteKeys, eventually, newRedis, newStore, startLogServer, TEST_SIGNING_KEY, uniquePrefix, type TestServer } from '../helpers/logs-fixtures.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const META = { repository: 'octo/web', sha: '9f8e7d6c5b4a', environment: 'pr-42', commitUrl: 'https://github.com/octo/web/commit/9f8e7d6c5b4a' };

/** A page on another origin that tries to read the log with fetch() and EventSource. */
const EVIL_PAGE = `<!doctype html><html><body><script>
const q = new URLSearchParams(location.search);
const out = (window.results = { done: false, fetches: [], eventSource: [] });
const attempt = (url, init) => fetch(url, init).then((r) => r.text().then((t) => 'read:' + r.status + ':' + t), (e) => 'error:' + e.name);
Promise.all([
  attempt(q.get('txt')), attempt(q.get('stream')), attempt(q.get('page')),
  attempt(q.get('txt'), { credentials: 'include' }), attempt(q.get('txt'), { mode: 'no-cors' }),
  new Promise((resolve) => {
    const es = new EventSource(q.get('stream'));
    es.addEventListener('lines', (e) => out.eventSource.push(e.data));
    es.onerror = () => { es.close(); resolve(); };
  }),
]).then((results) => { out.fetches = results.slice(0, 5); out.done = true; });
</script></body></html>`;

const viewerState = (page: Page) =>
  page.evaluate(() => ({ lines: Number(document.body.dataset.lines ?? 0), ended: document.body.dataset.ended === 'true' }));

describe('build log viewer in headless Chromium', () => {
  let redis: Redis;
  let store: BuildLogStore;
  let app: TestServer;
  let evil: Server;
  let evilOrigin: string;
  let browser: Browser;
  const prefix = uniquePrefix();
  const streamSockets = new Set<Socket>();
  const evilOriginStatuses: number[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    redis = newRedis();
    store = newStore(redis, prefix);
    app = await startLogServer(store);
    app.server.on('request', (req: IncomingMessage, res) => {
      if (req.url?.includes('/stream')) streamSockets.add(req.socket);
      res.on('finish', () => {
        if (req.headers.origin === evilOrigin) evilOriginStatuses.push(res.statusCode);
      });
    });
    evil = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(EVIL_PAGE)).listen(0, '127.0.0.1');
    await new Promise((resolve) => evil.once('listening', resolve));
    evilOrigin = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    evil?.closeAllConnections();
    await new Promise((resolve) => evil?.close(resolve));
    await app?.close();
    await store?.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('shows lines live with ANSI colours, follows the tail, updates the badge and survives a dropped connection', async () => {
    const id = 'e2e-live';
    await store.open(id, META);
    await store.setStatus(id, 'building');
    const expected: string[] = [];
    const appendNext = (): Promise<void> => {
      const text = `line ${expected.length} \x1b[31mred\x1b[0m and \x1b[1;32mbold green\x1b[0m`;
      expected.push(stripSgr(text));
      return store.append(id, text);
    };
    expected.push('<img src=x onerror="window.__xss=1">');
    await store.append(id, expected[0]!);
    for (let i = 0; i < 5; i++) await appendNext();
    const timer = setInterval(() => void appendNext(), 30);
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      await page.goto(logUrl(app.baseUrl, TEST_SIGNING_KEY, id, 1));
      await page.waitForFunction(() => Number(document.body.dataset.lines) >= 10);
      const seen = (await viewerState(page)).lines;
      await page.waitForFunction((n) => Number(document.body.dataset.lines) >= n + 10, seen);

      const red = await page.$eval('.tx .ansi-31', (el) => ({ color: getComputedStyle(el).color, text: el.textContent }));
      expect(red).toEqual({ color: 'rgb(255, 123, 114)', text: 'red' });
      const green = await page.$eval('.tx .ansi-32.ansi-bold', (el) => [getComputedStyle(el).color, getComputedStyle(el).fontWeight]);
      expect(green).toEqual(['rgb(63, 185, 80)', '700']);
      expect(await page.$$eval('#log img', (els) => els.length)).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(await page.getAttribute('#commit', 'href')).toBe(META.commitUrl);
      expect(await page.textContent('#status')).toBe('building');

      await store.setStatus(id, 'deployed', { url: 'https://pr-42.preview.example.com' });
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'deployed');
      expect(await page.getAttribute('#preview', 'href')).toBe('https://pr-42.preview.example.com');
      expect(await page.$eval('#status', (el) => el.className)).toBe('badge badge-deployed');

      // Scrolled up: new lines must not pull the reader down; "follow" brings the tail back.
      // (Enough lines first that the top is well away from the bottom of a 720 px viewport.)
      await page.waitForFunction(() => Number(document.body.dataset.lines) >= 100);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.waitForSelector('#follow', { state: 'visible' });
      const atTop = (await viewerState(page)).lines;
      await page.waitForFunction((n) => Number(document.body.dataset.lines) >= n + 10, atTop);
      expect(await page.evaluate(() => window.scrollY)).toBe(0);
      expect(await page.isVisible('#follow')).toBe(true);
      await page.click('#follow');
      await page.waitForFunction((n) => Number(document.body.dataset.lines) >= n + 20, atTop);
      const bottomGap = await page.evaluate(() => document.documentElement.scrollHeight - window.scrollY - window.innerHeight);
      expect(bottomGap).toBeLessThan(48);

      // Drop the SSE connection; EventSource reconnects with Last-Event-ID and must not repeat lines.
      const before = (await viewerState(page)).lines;
      for (const socket of streamSockets) socket.destroy();
      streamSockets.clear();
      await eventually(() => streamSockets.size > 0, 'the viewer to reconnect', 30_000);
      await page.waitForFunction((n) => Number(document.body.dataset.lines) >= n + 10, before);
    } finally {
      clearInterval(timer);
    }
    await store.end(id, 'success');
    await page.waitForFunction(() => document.body.dataset.ended === 'true');
    await page.waitForFunction((n) => Number(document.body.dataset.lines) === n, expected.length);
    const texts = await page.$$eval('#log .ln .tx', (els) => els.map((e) => e.textContent));
    expect(texts).toEqual(expected);
    const numbers = await page.$$eval('#log .ln .no', (els) => els.map((e) => Number(e.textContent)));
    expect(numbers).toEqual(expected.map((_, i) => i + 1));
    expect(await page.textContent('#conn')).toBe('finished: success');
    // Taken last, when badge, preview link and conclusion are all on screen.
    await page.screenshot({ path: `${ARTIFACTS}logs-viewer.png` });
    await page.close();
  });

  it('gives a page on another origin nothing of the log', async () => {
    const id = 'e2e-private';
    await store.open(id, META);
    await store.append(id, 'private build output');
    const link = new URL(logUrl(app.baseUrl, TEST_SIGNING_KEY, id, 1));
    const token = link.searchParams.get('token')!;
    const q = new URLSearchParams({
      page: link.href,
      txt: `${app.baseUrl}/logs/${id}.txt?token=${token}`,
      stream: `${app.baseUrl}/logs/${id}/stream?token=${token}`,
    });
    const page = await browser.newPage();
    await page.goto(`${evilOrigin}/?${q}`);
    await page.waitForFunction(() => (window as unknown as { results: { done: boolean } }).results.done, undefined, { timeout: 30_000 });
    const results = await page.evaluate(() => (window as unknown as { results: { fetches: string[]; eventSource: string[] } }).results);
    expect(results.eventSource).toEqual([]);
    for (const result of results.fetches) {
      expect(result).not.toContain('private build output');
      expect(result).toMatch(/^error:TypeError$|^read:0:$/);
    }
    expect(evilOriginStatuses.length).toBeGreaterThanOrEqual(5);
    expect(new Set(evilOriginStatuses)).toEqual(new Set([403]));
    await page.close();
  });

  it('renders a 100,000-line log completely and ends at the bottom', async () => {
    const id = 'e2e-big';
    const total = 100_000;
    await store.open(id, META);
    for (let start = 0; start < total; start += 5000) {
      const chunk = Array.from({ length: 5000 }, (_, i) => `row ${start + i} \x1b[32mok\x1b[0m`);
      await store.append(id, chunk.join('\n'));
    }
    await store.end(id, 'success');
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(logUrl(app.baseUrl, TEST_SIGNING_KEY, id, 1));
    await page.waitForFunction((n) => Number(document.body.dataset.lines) === n, total, { timeout: 150_000 });
    expect(await page.$$eval('#log .ln', (els) => els.length)).toBe(total);
    expect(await page.textContent('#log .ln:first-child .tx')).toBe('row 0 ok');
    const last = await page.$$eval('#log .ln', (els) => {
      const row = els[els.length - 1]!;
      return { text: row.querySelector('.tx')!.textContent, no: row.querySelector('.no')!.textContent, bottom: row.getBoundingClientRect().bottom };
    });
    expect(last.text).toBe(`row ${total - 1} ok`);
    expect(last.no).toBe(String(total));
    expect(last.bottom).toBeLessThanOrEqual(720);
    expect(last.bottom).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}logs-viewer-100k.png` });
    await page.close();
  });
});
