import { describe, expect, it } from 'vitest';
import { renderSummary, SUMMARY_LIMIT_BYTES, truncateUtf8 } from '../../src/github/summary.js';

const size = (s: string) => Buffer.byteLength(s, 'utf8');

describe('check run summary', () => {
  it('renders rows and the log tail in a closed fence', () => {
    const out = renderSummary({ title: 'Deployed', rows: [['SHA', 'abc'], ['URL', 'http://x | y']], logTail: ['one', 'two'] });
    expect(out).toContain('| SHA | abc |');
    expect(out).toContain('http://x \\| y');
    expect(out).toMatch(/```text\none\ntwo\n```/);
  });

  it('keeps the end of a huge log under the byte limit and says what it dropped', () => {
    const tail = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'é'.repeat(20)}`);
    const out = renderSummary({ title: 'Failed', rows: [['SHA', 'abc']], logTail: tail });
    expect(size(out)).toBeLessThanOrEqual(SUMMARY_LIMIT_BYTES);
    expect(out).toContain('line 49999');
    expect(out).not.toContain('line 0 ');
    expect(out).toMatch(/… \d+ earlier line\(s\) omitted …/);
    expect(out.trimEnd().endsWith('</details>')).toBe(true);
  });

  it('uses a fence that log lines with backticks cannot close', () => {
    const out = renderSummary({ title: 't', rows: [], logTail: ['```', 'evil ````` run'] });
    expect(out).toContain('``````text');
    expect(out.trimEnd()).toMatch(/``````\n<\/details>$/);
  });

  it('never splits a multi-byte character', () => {
    const cut = truncateUtf8('日本語テキスト', 7);
    expect(cut).toBe('日本');
    expect(size(cut)).toBeLessThanOrEqual(7);
    expect(truncateUtf8('short', 100)).toBe('short');
  });

  it('cuts an oversized table too', () => {
    const out = renderSummary({ title: 't', rows: [['x', 'y'.repeat(100_000)]] }, 1000);
    expect(size(out)).toBeLessThanOrEqual(1000);
  });
});
