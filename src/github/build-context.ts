import { gunzipSync } from 'node:zlib';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import tar, { type Header as TarHeaders } from 'tar-stream';

export class SourceError extends Error {
  override readonly name = 'SourceError';
}

/** One entry of a source archive, its path relative to the repository root. */
export interface SourceEntry {
  header: TarHeaders;
  path: string;
  content: Buffer;
}

/**
 * Reads a GitHub tarball (gzip, one top-level `owner-repo-<sha>/` folder) into entries with the
 * folder stripped. Entries that would escape the repository (absolute paths, `..`) are refused.
 */
export async function readSourceArchive(tarGz: Buffer, maxBytes: number): Promise<SourceEntry[]> {
  let raw: Buffer;
  try {
    raw = gunzipSync(tarGz, { maxOutputLength: maxBytes });
  } catch (error) {
    throw new SourceError(`source archive is not a readable gzip under ${maxBytes} bytes: ${(error as Error).message}`);
  }
  const entries: SourceEntry[] = [];
  for await (const entry of Readable.from([raw]).pipe(tar.extract())) {
    const body: Buffer[] = [];
    for await (const c of entry) body.push(c as Buffer);
    const name = entry.header.name;
    const slash = name.indexOf('/');
    const stripped = slash >= 0 ? name.slice(slash + 1) : '';
    if (!stripped) continue;
    const path = posix.normalize(stripped).replace(/\/$/, '');
    if (path.startsWith('..') || posix.isAbsolute(path)) throw new SourceError(`archive entry escapes the repository: ${name}`);
    entries.push({ header: entry.header, path, content: Buffer.concat(body) });
  }
  return entries;
}

/** The text of a regular file at `path`, if the archive has one. */
export function sourceFile(entries: readonly SourceEntry[], path: string): string | undefined {
  const entry = entries.find((e) => e.path === path && e.header.type === 'file');
  return entry?.content.toString('utf8');
}

/** Packs the entries under `directory` ("." for the root) into an uncompressed tar build context. */
export async function packContext(entries: readonly SourceEntry[], directory = '.'): Promise<Buffer> {
  const base = posix.normalize(directory).replace(/\/$/, '');
  const prefix = base === '.' ? '' : `${base}/`;
  if (prefix && !entries.some((e) => e.path.startsWith(prefix))) {
    throw new SourceError(`build context directory "${directory}" does not exist in the repository`);
  }
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const entry of entries) {
    if (!entry.path.startsWith(prefix) || entry.path === base) continue;
    const name = entry.path.slice(prefix.length);
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (entry.header.type === 'file') pack.entry({ ...entry.header, name }, entry.content, cb);
      else pack.entry({ ...entry.header, name, size: 0 }, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
