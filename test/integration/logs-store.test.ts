import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildLogStore } from '../../src/logs/build-log-store.js';
import { InvalidLogArgumentError, InvalidLogIdError } from '../../src/logs/errors.js';
import type { LogEntry } from '../../src/logs/log-entry.js';
import { deleteKeys, eventually, newRedis, newStore, testLogConfig, uniquePrefix } from '../helpers/logs-fixtures.js';

const META = { repository: 'octo/app', sha: 'a'.repeat(40), environment: 'production' };
const TOKEN = `ghs_${'x1Y2z3'.repeat(6)}`;
const lineTexts = (entries: LogEntry[]) => entries.flatMap((e) => (e.kind === 'line' ? [e.text] : []));

describe('BuildLogStore on Redis', () => {
  let redis: Redis;
  let store: BuildLogStore;
  const prefix = uniquePrefix();

  beforeAll(() => {
    redis = newRedis();
    store = newStore(redis, prefix, {}, testLogConfig({ LOG_RETENTION_DAYS: '2', LOG_MAX_LINES: '10', LOG_MAX_BYTES: '1024' }));
  });
  afterAll(async () => {
    await store.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('opens a queued log and stores sanitised, redacted, timestamped lines with expiry', async () => {
    await store.open('b1', { ...META, commitUrl: 'https://github.com/octo/app/commit/aaa', secrets: ['db-password-1', TOKEN] });
    const before = Date.now();
    expect(await store.appendCounted('b1', `step 1\n\x1b[31mred\x1b[0m \x1b[2Kpw=db-password-1\ntoken ${TOKEN}\n`, 'build')).toBe(3);
    expect(await store.appendCounted('b1', 'app started', 'run')).toBe(1);
    const entries = await store.readEntries('b1', '0-0', 100);
    expect(entries[0]).toMatchObject({ kind: 'status', status: 'queued' });
    expect(lineTexts(entries)).toEqual(['step 1', '\x1b[31mred\x1b[0m pw=***', 'token ***', 'app started']);
    const lines = entries.filter((e) => e.kind === 'line');
    expect(lines.map((l) => l.source)).toEqual(['build', 'build', 'build', 'run']);
    for (const l of lines) expect(l.t).toBeGreaterThanOrEqual(before);
    const ttl = await redis.ttl(`${prefix}b1:stream`);
    expect(ttl).toBeGreaterThan(86_400);
    expect(ttl).toBeLessThanOrEqual(2 * 86_400);
    expect(await redis.ttl(`${prefix}b1`)).toBeGreaterThan(86_400);
    expect(await store.getMeta('b1')).toMatchObject({ ...META, status: 'queued', lines: 4, ended: false, truncated: false });
  });

  it('never writes a raw secret to Redis', async () => {
    const dump = JSON.stringify([await redis.hgetall(`${prefix}b1`), await redis.xrange(`${prefix}b1:stream`, '-', '+')]);
    expect(dump).not.toContain('db-password-1');
    expect(dump).not.toContain(TOKEN);
    expect(store.redact('b1', `x db-password-1 ${TOKEN}`)).toBe('x *** ***');
  });

  it('stops at the line cap with one truncation notice and drops further lines', async () => {
    await store.open('cap', META);
    const text = Array.from({ length: 15 }, (_, i) => `line ${i}`).join('\n');
    expect(await store.appendCounted('cap', text)).toBe(10);
    expect(await store.appendCounted('cap', 'more')).toBe(0);
    const texts = lineTexts(await store.readEntries('cap', '0-0', 100));
    expect(texts).toHaveLength(11);
    expect(texts[9]).toBe('line 9');
    expect(texts[10]).toMatch(/log truncated/);
    expect(await store.getMeta('cap')).toMatchObject({ lines: 10, truncated: true });
  });

  it('stops at the byte cap', async () => {
    await store.open('bytes', META);
    expect(await store.appendCounted('bytes', `${'x'.repeat(600)}\n${'y'.repeat(600)}\nz`)).toBe(1);
    const texts = lineTexts(await store.readEntries('bytes', '0-0', 100));
    expect(texts).toEqual(['x'.repeat(600), expect.stringMatching(/log truncated/)]);
  });

  it('records status changes and the end, then refuses appends', async () => {
    await store.open('st', META);
    await store.setStatus('st', 'building');
    await store.setStatus('st', 'deployed', { url: 'https://st.preview.example.com' });
    await store.end('st', 'success');
    await store.end('st', 'failure');
    expect(await store.appendCounted('st', 'late line')).toBe(0);
    const entries = await store.readEntries('st', '0-0', 100);
    expect(entries.map((e) => e.kind)).toEqual(['status', 'status', 'status', 'end']);
    expect(entries[2]).toMatchObject({ status: 'deployed', url: 'https://st.preview.example.com' });
    expect(entries[3]).toMatchObject({ conclusion: 'success' });
    expect(await store.getMeta('st')).toMatchObject({ status: 'deployed', url: 'https://st.preview.example.com', ended: true, conclusion: 'success' });
  });

  it('keeps call order of un-awaited appends, status and end', async () => {
    await store.open('order', META);
    const calls = [store.append('order', 'one'), store.setStatus('order', 'building'), store.append('order', 'two'), store.end('order', 'success')];
    await Promise.all(calls);
    const kinds = (await store.readEntries('order', '0-0', 100)).map((e) => (e.kind === 'line' ? e.text : e.kind));
    expect(kinds).toEqual(['status', 'one', 'status', 'two', 'end']);
  });

  it('reopening a log starts it afresh', async () => {
    await store.open('again', META);
    await store.append('again', 'old');
    await store.end('again', 'failure');
    await store.open('again', META);
    expect(lineTexts(await store.readEntries('again', '0-0', 100))).toEqual([]);
    expect(await store.getMeta('again')).toMatchObject({ ended: false, status: 'queued' });
  });

  it('refuses bad ids and arguments with typed errors, and ignores unopened logs', async () => {
    await expect(store.open('../x', META)).rejects.toBeInstanceOf(InvalidLogIdError);
    await expect(store.append('a:b', 'x')).rejects.toBeInstanceOf(InvalidLogIdError);
    await expect(store.setStatus('b1', 'weird' as 'queued')).rejects.toBeInstanceOf(InvalidLogArgumentError);
    await expect(store.setStatus('b1', 'deployed', { url: 'javascript:alert(1)' })).rejects.toBeInstanceOf(InvalidLogArgumentError);
    expect(await store.appendCounted('never-opened', 'x')).toBe(0);
    expect(await store.getMeta('never-opened')).toBeNull();
  });

  it('works across processes: another client sees lines live through the shared tail', async () => {
    const otherRedis = newRedis();
    const reader = newStore(otherRedis, prefix);
    try {
      await store.open('xproc', META);
      const seen: LogEntry[] = [];
      const unsubscribe = await reader.subscribe('xproc', (entries) => seen.push(...entries));
      await store.append('xproc', 'a\nb');
      await store.end('xproc', 'success');
      await eventually(() => seen.some((e) => e.kind === 'end'), 'end entry');
      expect(lineTexts(seen)).toEqual(['a', 'b']);
      unsubscribe();
      expect(reader.stats()).toMatchObject({ tailedLogs: 0, listeners: 0 });
    } finally {
      await reader.close();
      await otherRedis.quit();
    }
  });
});
