import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BackgroundReports } from '../../src/worker/background-reports.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('BackgroundReports', () => {
  it('returns at once, runs the report, and drain waits for it', async () => {
    const { logger } = capture();
    const reports = new BackgroundReports(logger);
    let release!: () => void;
    const sent: string[] = [];
    reports.run({ jobId: 'j1' }, async () => { await new Promise<void>((r) => (release = r)); sent.push('j1'); });
    expect(reports.size).toBe(1);
    expect(sent).toEqual([]);
    const drained = reports.drain(5_000);
    release();
    expect(await drained).toBe(0);
    expect(sent).toEqual(['j1']);
    expect(reports.size).toBe(0);
  });

  it('logs a failed report with its context instead of losing it', async () => {
    const { lines, logger } = capture();
    const reports = new BackgroundReports(logger);
    reports.run({ jobId: 'j2', sha: 'abc' }, async () => { throw new Error('GitHub answered 502'); });
    await reports.drain(5_000);
    await new Promise((r) => setImmediate(r));
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, jobId: 'j2', sha: 'abc', err: expect.objectContaining({ message: 'GitHub answered 502' }) }));
  });

  it('drain gives up after its timeout and says how many were left', async () => {
    const reports = new BackgroundReports(capture().logger);
    reports.run({}, () => new Promise<void>(() => undefined));
    expect(await reports.drain(20)).toBe(1);
  });

  it('renews a report\'s lease while it waits and releases it when it settles, sent or failed', async () => {
    const reports = new BackgroundReports(capture().logger);
    const calls: string[] = [];
    const lease = (name: string) => ({ renew: async () => void calls.push(`renew ${name}`), release: async () => void calls.push(`release ${name}`) });
    let send!: () => void;
    reports.run({ jobId: 'sent' }, () => new Promise<void>((r) => (send = r)), lease('sent'), 5);
    await expect.poll(() => calls.filter((c) => c === 'renew sent').length).toBeGreaterThanOrEqual(2);
    expect(calls).not.toContain('release sent');
    send();
    await reports.drain(5_000);
    expect(calls.at(-1)).toBe('release sent');
    const renewals = calls.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toHaveLength(renewals); // no renewal after the release

    reports.run({ jobId: 'failed' }, async () => { throw new Error('GitHub answered 502'); }, lease('failed'), 5);
    await reports.drain(5_000);
    expect(calls.at(-1)).toBe('release failed');
  });
});
