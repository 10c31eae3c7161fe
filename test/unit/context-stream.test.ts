import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../../src/github/build-context.js';
import { BUILD_DOCKERFILE, contextStream, type ContextPlan } from '../../src/github/context-stream.js';
import { SourceLimitError, type SourceLimits } from '../../src/github/source-archive.js';

const TOP = 'o-r-abc1234/';
const LIMITS: SourceLimits = { maxBytes: 10e6, maxInflatedBytes: 50e6, maxEntries: 1000 };
const LABEL = 'LABEL "cloud.helvetia.sha"="abc"';

type Entry = { name: string; type?: tar.Header['type']; linkname?: string; content?: string; mtime?: Date; mode?: number };

/** A gzipped tar with exactly these headers (names are written as given: no top folder added). */
async function archive(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const common = { name: e.name, mode: e.mode ?? (type === 'file' ? 0o644 : 0o755), mtime: e.mtime ?? new Date(1_700_000_000_000) };
    if (type === 'file') pack.entry(common, e.content ?? '');
    else pack.entry({ ...common, type, linkname: e.linkname });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/** GitHub's shape: the pax comment, the top folder, then the files under it (a Dockerfile unless told). */
const repo = (entries: Entry[], { dockerfile = true } = {}) =>
  archive([
    { name: 'pax_global_header', content: '52 comment=abc\n' },
    { name: TOP, type: 'directory' as const },
    ...(dockerfile ? [{ name: 'Dockerfile', content: 'FROM scratch\n' }] : []),
    ...entries,
  ].map((e) => ({ ...e, name: e.name.startsWith('/') || e.name === 'pax_global_header' || e.name === TOP ? e.name : `${TOP}${e.name}` })));

type Out = { name: string; type: string; linkname?: string | null; content: string; mtime?: Date; mode?: number };

/** Runs contextStream and reads the context tar it produces (or its error). */
async function context(source: Buffer | Readable, plan: Partial<ContextPlan> = {}): Promise<Out[]> {
  const input = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  const out: Out[] = [];
  const stream = contextStream(input, { directory: '.', dockerfile: 'Dockerfile', appendToDockerfile: LABEL, limits: LIMITS, ...plan });
  const extract = tar.extract();
  const failed = new Promise<never>((_, reject) => stream.on('error', reject));
  const reading = (async () => {
    for await (const entry of stream.pipe(extract)) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const h = entry.header;
      out.push({ name: h.name, type: h.type!, linkname: h.linkname, content: Buffer.concat(chunks).toString(), mtime: h.mtime, mode: h.mode });
    }
    return out;
  })();
  return Promise.race([reading, failed]);
}

const names = (out: Out[]) => out.map((e) => e.name);
/** What the stream adds at the end when the repository has no .dockerignore. */
const ADDED = ['.dockerignore', BUILD_DOCKERFILE];
const built = (out: Out[]) => out.find((e) => e.name === BUILD_DOCKERFILE)!.content;

describe('context stream: nothing escapes the repository', () => {
  it('strips the top folder and keeps files, folders and links that stay inside', async () => {
    const out = await context(
      await repo([
        { name: 'app/', type: 'directory' },
        { name: 'app/index.html', content: 'hi' },
        { name: 'app/current', type: 'symlink', linkname: 'index.html' },
        { name: 'app/up', type: 'symlink', linkname: '../README' },
        { name: 'README', content: 'r' },
        { name: 'app/copy.html', type: 'link', linkname: `${TOP}app/index.html` },
      ]),
    );
    expect(names(out)).toEqual(['Dockerfile', 'app', 'app/index.html', 'app/current', 'app/up', 'README', 'app/copy.html', ...ADDED]);
    expect(out.find((e) => e.name === 'app/copy.html')!.linkname).toBe('app/index.html');
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
    const error = await context(await repo([{ name: 'ok.txt', content: 'x' }, entry])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses garbage that is not a gzip', async () => {
    await expect(context(Buffer.from('not a tarball at all'))).rejects.toThrow(/not a readable tar.gz/);
  });
});

describe('context stream limits, counted while it streams', () => {
  it('stops a gzip bomb at the inflated limit, naming the setting and the value', async () => {
    // 60 MB of zeros compress to about 60 KB; the limit is 5 MB.
    const bomb = await repo([{ name: 'zeros', content: '\0'.repeat(60 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(1_000_000);
    const error = await context(bomb, { limits: { ...LIMITS, maxInflatedBytes: 5 * 1024 * 1024 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceLimitError);
    expect((error as Error).message).toMatch(/^source archive inflates to over the 5242880-byte limit \(SOURCE_MAX_INFLATED_BYTES\): \d+ bytes so far$/);
    const reached = Number(/: (\d+) bytes so far/.exec((error as Error).message)![1]);
    expect(reached).toBeLessThan(5 * 1024 * 1024 + 1024 * 1024);
  });

  it('stops at the compressed limit', async () => {
    const big = await repo([{ name: 'noise', content: Array.from({ length: 20000 }, (_, i) => `${i * 7919}`).join(',') }]);
    await expect(context(big, { limits: { ...LIMITS, maxBytes: 1000 } })).rejects.toThrow(/^source archive is over the 1000-byte limit \(SOURCE_MAX_BYTES\): \d+ bytes read so far$/);
  });

  it('stops at the entry limit', async () => {
    const many = await repo(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, content: 'x' })));
    await expect(context(many, { limits: { ...LIMITS, maxEntries: 20 } })).rejects.toThrow('source archive has more than 20 entries (SOURCE_MAX_ENTRIES=20)');
    // The pax comment, the top folder, the Dockerfile and the 50 files; out: those and the two added.
    await expect(context(many, { limits: { ...LIMITS, maxEntries: 53 } })).resolves.toHaveLength(53);
    await expect(context(many, { limits: { ...LIMITS, maxEntries: 52 } })).rejects.toThrow(SourceLimitError);
  });
});

describe('build context: links stay inside the context folder', () => {
  const web = (extra: Entry[]) =>
    repo([{ name: 'web/', type: 'directory' }, { name: 'web/Dockerfile', content: 'FROM scratch\n' }, { name: 'web/a.html', content: 'a' }, { name: 'other.txt', content: 'o' }, ...extra], { dockerfile: false });

  it('packs links inside the context, hard links made context-relative', async () => {
    const out = await context(await web([{ name: 'web/b.html', type: 'link', linkname: `${TOP}web/a.html` }, { name: 'web/c', type: 'symlink', linkname: 'a.html' }]), { directory: 'web' });
    expect(out.map(({ name, type, linkname }) => ({ name, type, linkname }))).toEqual([
      { name: 'Dockerfile', type: 'file', linkname: null },
      { name: 'a.html', type: 'file', linkname: null },
      { name: 'b.html', type: 'link', linkname: 'a.html' },
      { name: 'c', type: 'symlink', linkname: 'a.html' },
      { name: '.dockerignore', type: 'file', linkname: null },
      { name: BUILD_DOCKERFILE, type: 'file', linkname: null },
    ]);
  });

  it.each([
    ['a symlink to the repository outside the context', { name: 'web/x', type: 'symlink' as const, linkname: '../other.txt' }, /web\/x is a symlink pointing outside the build context "web" \(\.\.\/other\.txt\)/],
    ['a hard link to a file outside the context', { name: 'web/y', type: 'link' as const, linkname: `${TOP}other.txt` }, /web\/y is a hard link pointing outside the build context "web"/],
  ])('refuses %s', async (_what, link, message) => {
    await expect(context(await web([link]), { directory: 'web' })).rejects.toThrow(message);
  });

  it('names a missing context folder and a missing Dockerfile', async () => {
    await expect(context(await web([]), { directory: 'api' })).rejects.toThrow('build context directory "api" does not exist in the repository');
    await expect(context(await web([]), { directory: 'web', dockerfile: 'Dockerfile.prod' })).rejects.toThrow('web/Dockerfile.prod does not exist in the repository (the build context is "web")');
  });
});

describe('the Dockerfile the builder reads gets the labels as one appended instruction', () => {
  it('adds it at the end and lists it in .dockerignore; the repository\'s Dockerfile, headers and order stay as sent; same bytes twice', async () => {
    const when = new Date(1_600_000_000_000);
    const source = await repo([{ name: 'run.sh', content: 'echo', mode: 0o755, mtime: when }]);
    const out = await context(source);
    expect(out[0]).toMatchObject({ name: 'Dockerfile', content: 'FROM scratch\n' });
    expect(out[1]).toMatchObject({ name: 'run.sh', mode: 0o755, mtime: when, content: 'echo' });
    expect(out.slice(2)).toMatchObject([
      { name: '.dockerignore', content: `${BUILD_DOCKERFILE}\n` },
      { name: BUILD_DOCKERFILE, content: `FROM scratch\n${LABEL}\n`, mtime: new Date(0) },
    ]);
    const bytes = async () => {
      const chunks: Buffer[] = [];
      for await (const c of contextStream(Readable.from([source]), { directory: '.', dockerfile: 'Dockerfile', appendToDockerfile: LABEL, limits: LIMITS })) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    };
    expect((await bytes()).equals(await bytes())).toBe(true);
  });

  it('appends to an existing .dockerignore, and refuses a repository file with the reserved name', async () => {
    const out = await context(await repo([{ name: '.dockerignore', content: 'tmp' }]), { dockerignore: 'tmp' });
    expect(out.find((e) => e.name === '.dockerignore')!.content).toBe(`tmp\n${BUILD_DOCKERFILE}\n`);
    expect(names(out).filter((n) => n === '.dockerignore')).toHaveLength(1);
    await expect(context(await repo([{ name: BUILD_DOCKERFILE, content: 'FROM evil' }]))).rejects.toThrow(/is a name helvetia reserves/);
  });

  it.each([
    ['a backslash continuation', 'FROM scratch\nRUN echo \\\n'],
    ['a continuation followed by a comment and blank lines', 'FROM scratch\nRUN echo \\  \n# note\n\n'],
    ['a backtick continuation under `# escape=`', '# escape=`\nFROM scratch\nRUN echo `\r\n'],
  ])('refuses a Dockerfile ending in %s (the label line would join that instruction)', async (_what, text) => {
    await expect(context(await repo([{ name: 'Dockerfile', content: text }], { dockerfile: false }))).rejects.toThrow(/Dockerfile: its last instruction ends with a line continuation/);
  });

  it('appends after a last line without newline, and a backslash under `# escape=` is no continuation', async () => {
    const plain = await context(await repo([{ name: 'Dockerfile', content: 'FROM scratch' }], { dockerfile: false }));
    expect(built(plain)).toBe(`FROM scratch\n${LABEL}\n`);
    const windows = await context(await repo([{ name: 'Dockerfile', content: '# escape=`\nFROM scratch\nCOPY a C:\\\n' }], { dockerfile: false }));
    expect(built(windows)).toMatch(/LABEL/);
  });

  it('refuses a Dockerfile that is a symlink (it could not carry the labels)', async () => {
    await expect(context(await repo([{ name: 'real', content: 'FROM scratch\n' }, { name: 'Dockerfile', type: 'symlink', linkname: 'real' }], { dockerfile: false }))).rejects.toThrow(
      'Dockerfile must be a regular file (it is a symlink)',
    );
  });
});

describe('.dockerignore applies like the docker CLI', () => {
  it('drops what it excludes, keeps its exceptions, and always sends the Dockerfile and .dockerignore', async () => {
    const ignore = 'node_modules\n*.md\n!README.md\n**/*.log\nDockerfile\n.dockerignore\n';
    const out = await context(
      await repo([
        { name: '.dockerignore', content: ignore },
        { name: 'node_modules/', type: 'directory' },
        { name: 'node_modules/x.js', content: 'x' },
        { name: 'NOTES.md', content: 'n' },
        { name: 'README.md', content: 'r' },
        { name: 'src/', type: 'directory' },
        { name: 'src/a.js', content: 'a' },
        { name: 'src/debug.log', content: 'l' },
      ]),
      { dockerignore: ignore },
    );
    expect(names(out)).toEqual(['Dockerfile', '.dockerignore', 'README.md', 'src', 'src/a.js', BUILD_DOCKERFILE]);
  });

  it('refuses a hard link to a file .dockerignore left out', async () => {
    await expect(
      context(await repo([{ name: 'secret.key', content: 'k' }, { name: 'copy', type: 'link', linkname: `${TOP}secret.key` }]), { dockerignore: 'secret.key' }),
    ).rejects.toThrow(/copy is a hard link to secret.key, which the build context does not hold/);
  });
});

describe('the context streams', () => {
  it('produces context bytes before the archive has finished arriving', async () => {
    const big = await repo(Array.from({ length: 40 }, (_, i) => ({ name: `f${i}.bin`, content: `${i}`.repeat(64 * 1024) })));
    const input = new PassThrough();
    const stream = contextStream(input, { directory: '.', dockerfile: 'Dockerfile', appendToDockerfile: LABEL, limits: LIMITS });
    const firstOutput = new Promise<void>((resolve) => stream.once('data', () => resolve()));
    // Only the first half of the download: output must already flow.
    input.write(big.subarray(0, Math.floor(big.length / 2)));
    await firstOutput;
    stream.pause();
    input.end(big.subarray(Math.floor(big.length / 2)));
    stream.resume();
    await new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject));
  });
});
