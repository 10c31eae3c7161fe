import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { LogMeta } from '../../src/logs/log-entry.js';
import { frameEntries } from '../../src/logs/sse-format.js';
import { ANSI_SCRIPT } from '../../src/logs/viewer/ansi-script.js';
import { renderViewerPage } from '../../src/logs/viewer/viewer-page.js';
import { VIEWER_SCRIPT } from '../../src/logs/viewer/viewer-script.js';

type Segment = { text: string; cls: string; fg: string | null; bg: string | null };
const parseAnsi = runInNewContext(`${ANSI_SCRIPT}; parseAnsi`) as (text: string) => Segment[];
const plain = (segments: Segment[]) => segments.map((s) => [s.text, s.cls]);

describe('parseAnsi (browser source)', () => {
  it('maps SGR 30-37, 90-97, bold and reset to classes', () => {
    expect(plain(parseAnsi('a\x1b[31mred\x1b[1;92mbright\x1b[0mplain'))).toEqual([
      ['a', ''],
      ['red', 'ansi-31'],
      ['bright', 'ansi-92 ansi-bold'],
      ['plain', ''],
    ]);
  });

  it('handles backgrounds, 22/39/49 and an empty reset', () => {
    expect(plain(parseAnsi('\x1b[1;33;44mx\x1b[22;39my\x1b[49mz\x1b[4mu\x1b[mv'))).toEqual([
      ['x', 'ansi-33 ansi-44 ansi-bold'],
      ['y', 'ansi-44'],
      ['z', ''],
      ['u', 'ansi-underline'],
      ['v', ''],
    ]);
  });

  it('turns 256-colour and truecolour into CSS colours', () => {
    const [a, b, c] = parseAnsi('\x1b[38;5;196ma\x1b[38;5;9;48;2;1;2;3mb\x1b[38;5;244mc');
    expect(a).toMatchObject({ fg: 'rgb(255,0,0)', cls: '' });
    expect(b).toMatchObject({ cls: 'ansi-91', bg: 'rgb(1,2,3)' });
    expect(c).toMatchObject({ fg: 'rgb(128,128,128)' });
  });

  it('keeps HTML as text (the viewer renders it with textContent)', () => {
    expect(plain(parseAnsi('<img src=x onerror=alert(1)>'))).toEqual([['<img src=x onerror=alert(1)>', '']]);
  });

  it('is embedded in the served viewer script, which parses as JavaScript', () => {
    expect(VIEWER_SCRIPT).toContain('function parseAnsi');
    expect(() => new Function(VIEWER_SCRIPT)).not.toThrow();
    expect(VIEWER_SCRIPT).not.toMatch(/innerHTML|eval\(|document\.write/);
  });
});

describe('viewer page', () => {
  const meta: LogMeta = {
    repository: 'o/<script>alert(1)</script>',
    sha: 'abcdef0123456789',
    environment: 'pr-1" onmouseover="x',
    commitUrl: 'https://github.com/o/r/commit/abcdef0',
    status: 'building',
    createdAt: 0,
    ended: false,
    lines: 0,
    bytes: 0,
    truncated: false,
  };

  it('escapes metadata and has no inline script or style', () => {
    const html = renderViewerPage('b-1', meta);
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('o/&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('pr-1&quot; onmouseover=&quot;x');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/<style|style=/);
    expect(html).toContain('href="https://github.com/o/r/commit/abcdef0"');
    expect(html).toMatch(/<a id="preview" rel="noopener noreferrer" target="_blank" hidden>/);
  });

  it('never links a non-http URL', () => {
    const html = renderViewerPage('b-1', { ...meta, url: 'javascript:alert(1)' });
    expect(html).not.toContain('javascript:');
  });
});

describe('SSE framing', () => {
  it('groups lines, uses the last entry id as event id and stops at the end marker', () => {
    const { chunk, end } = frameEntries([
      { id: '1-0', kind: 'line', t: 1, source: 'build', text: 'a' },
      { id: '1-1', kind: 'line', t: 1, source: 'run', text: 'b\nc' },
      { id: '2-0', kind: 'status', t: 2, status: 'deployed', url: 'https://p.example.com' },
      { id: '3-0', kind: 'end', t: 3, conclusion: 'success' },
      { id: '4-0', kind: 'line', t: 4, source: 'build', text: 'after end' },
    ]);
    expect(chunk).toBe(
      'id: 1-1\nevent: lines\ndata: [["1-0",1,"build","a"],["1-1",1,"run","b\\nc"]]\n\n' +
        'id: 2-0\nevent: status\ndata: {"status":"deployed","url":"https://p.example.com"}\n\n',
    );
    expect(end).toMatchObject({ id: '3-0', conclusion: 'success' });
  });
});
