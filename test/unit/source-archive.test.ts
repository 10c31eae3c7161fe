import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { packContext, SourceError, type SourceEntry } from '../../src/github/build-context.js';
import { readSourceArchive, SourceLimitError, type SourceLimits } from '../../src/github/source-archive.js';

const TOP = 'o-r-abc1234/';
const LIMITS: SourceLimits = { maxBytes: 10e6, maxInflatedBytes: 50e6, maxEntries: 1000 };

type Entry = { name: string; type?: tar.Header['type']; linkname?: string; content?: string };

/** A gzipped tar with exactly these headers (names are written as given: no top folder added). */
async function archive(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    if (type === 'file') pack.entry({ name: e.name, mode: 0o644 }, e.content ?? '');
    else pack.entry({ name: e.name, type, linkname: e.linkname, mode: 0o755 });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

const repo = (entries: Entry[]) => archive([{ name: TOP, type: 'directory' }, ...entries.map((e) => ({ ...e, name: e.name.startsWith('/') ? e.name : `${TOP}${e.name}` }))]);

async function names(context: Buffer): Promise<{ name: string; type: string; linkname?: string | null }[]> {
  const out: { name: string; type: string; linkname?: string | null }[] = [];
  for await (const entry of Readable.from([context]).pipe(tar.extract())) {
    out.push({ name: entry.header.name, type: entry.header.type!, linkname: entry.header.linkname });
    entry.resume();
  }
  return out;
}

describe('source archive unpacking: nothing escapes the repository', () => {
  it('strips the top folder and keeps files, folders and links that stay inside', async () => {
    const entries = await readSourceArchive(
      await repo([
        { name: 'app/', type: 'directory' },
        { name: 'app/index.html', content: 'hi' },
        { name: 'app/current', type: 'symlink', linkname: 'index.html' },
        { name: 'app/up', type: 'symlink', linkname: '../README' },
        { name: 'README', content: 'r' },
        { name: 'app/copy.html', type: 'link', linkname: `${TOP}app/index.html` },
      ]),
      LIMITS,
    );
    expect(entries.map((e) => e.path)).toEqual(['app', 'app/index.html', 'app/current', 'app/up', 'README', 'app/copy.html']);
    expect(entries.find((e) => e.path === 'app/copy.html')!.header.linkname).toBe('app/index.html');
  });

  it.each([
    ['a `..` path', { name: '../../etc/cron.d/x', content: 'evil' }, /escapes the repository/],
    ['a `..` inside the path', { name: 'a/../../x', content: 'evil' }, /escapes the repository/],
    ['an absolute path', { name: '/etc/passwd', content: 'evil' }, /escapes the repository|not a readable|outside/],
    ['a symlink to an absolute path', { name: 'link', type: 'symlink' as const, linkname: '/etc/shadow' }, /symlink pointing outside the repository \(\/etc\/shadow\)/],
    ['a symlink climbing out', { name: 'a/b/link', type: 'symlink' as const, linkname: '../../../secret' }, /symlink pointing outside the repository/],
    ['a hard link to outside', { name: 'hard', type: 'link' as const, linkname: `${TOP}../../etc/passwd` }, /hard link to outside the repository/],
    ['a hard link to another top folder', { name: 'hard', type: 'link' as const, linkname: '/etc/passwd' }, /hard link to outside the repository/],
    ['a device', { name: 'dev', type: 'character-device' as const }, /is a character-device/],
  ])('refuses %s', async (_what, entry, message) => {
    const error = await readSourceArchive(await repo([{ name: 'ok.txt', content: 'x' }, entry]), LIMITS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses garbage that is not a gzip', async () => {
    await expect(readSourceArchive(Buffer.from('not a tarball at all'), LIMITS)).rejects.toThrow(/not a readable tar.gz/);
  });
});

describe('source archive limits, counted while it streams', () => {
  it('stops a gzip bomb at the inflated limit, naming the setting and the value', async () => {
    // 60 MB of zeros compress to about 60 KB; the limit is 5 MB.
    const bomb = await repo([{ name: 'zeros', content: '\0'.repeat(60 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(1_000_000);
    const error = await readSourceArchive(bomb, { ...LIMITS, maxInflatedBytes: 5 * 1024 * 1024 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceLimitError);
    expect((error as Error).message).toMatch(/^source archive inflates to over the 5242880-byte limit \(SOURCE_MAX_INFLATED_BYTES\): \d+ bytes so far$/);
    const reached = Number(/: (\d+) bytes so far/.exec((error as Error).message)![1]);
    expect(reached).toBeLessThan(5 * 1024 * 1024 + 1024 * 1024);
  });

  it('stops at the compressed limit', async () => {
    const big = await repo([{ name: 'noise', content: Array.from({ length: 20000 }, (_, i) => `${i * 7919}`).join(',') }]);
    await expect(readSourceArchive(big, { ...LIMITS, maxBytes: 1000 })).rejects.toThrow(/^source archive is over the 1000-byte limit \(SOURCE_MAX_BYTES\): \d+ bytes read so far$/);
  });

  it('stops at the entry limit', async () => {
    const many = await repo(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, content: 'x' })));
    await expect(readSourceArchive(many, { ...LIMITS, maxEntries: 20 })).rejects.toThrow('source archive has more than 20 entries (SOURCE_MAX_ENTRIES=20)');
    await expect(readSourceArchive(many, { ...LIMITS, maxEntries: 51 })).resolves.toHaveLength(50);
  });
});

describe('build context: links stay inside the context folder', () => {
  const entry = (path: string, type: tar.Header['type'], linkname?: string) => ({ path, header: { name: path, type, ...(linkname === undefined ? {} : { linkname }), mode: 0o644, size: 0 } as tar.Header, content: Buffer.alloc(0) }) as SourceEntry;

  it('packs links inside the context, hard links made context-relative', async () => {
    const context = await packContext(
      [entry('web', 'directory'), entry('web/a.html', 'file'), entry('web/b.html', 'link', 'web/a.html'), entry('web/c', 'symlink', 'a.html'), entry('other.txt', 'file')],
      'web',
    );
    expect(await names(context)).toEqual([
      { name: 'a.html', type: 'file', linkname: null },
      { name: 'b.html', type: 'link', linkname: 'a.html' },
      { name: 'c', type: 'symlink', linkname: 'a.html' },
    ]);
  });

  it.each([
    ['a symlink to the repository outside the context', entry('web/x', 'symlink', '../other.txt'), /web\/x is a symlink pointing outside the build context "web" \(\.\.\/other\.txt\)/],
    ['a hard link to a file outside the context', entry('web/y', 'link', 'other.txt'), /web\/y is a hard link pointing outside the build context "web"/],
  ])('refuses %s', async (_what, link, message) => {
    await expect(packContext([entry('web/a.html', 'file'), entry('other.txt', 'file'), link], 'web')).rejects.toThrow(message);
  });
});
