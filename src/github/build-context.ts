import { posix } from 'node:path';
import tar, { type Header as TarHeaders } from 'tar-stream';

export class SourceError extends Error {
  override readonly name: string = 'SourceError';
}

/** One entry of a source archive, its path (and a hard link's target) relative to the repository root. */
export interface SourceEntry {
  header: TarHeaders;
  path: string;
  content: Buffer;
}

/** The text of a regular file at `path`, if the archive has one. */
export function sourceFile(entries: readonly SourceEntry[], path: string): string | undefined {
  const entry = entries.find((e) => e.path === path && e.header.type === 'file');
  return entry?.content.toString('utf8');
}

/** Where a link entry points, relative to the repository root. */
function linkTarget(entry: SourceEntry): string | undefined {
  const target = entry.header.linkname ?? '';
  if (entry.header.type === 'link') return target;
  if (entry.header.type === 'symlink') return posix.normalize(posix.join(posix.dirname(entry.path), target));
  return undefined;
}

/**
 * Packs the entries under `directory` ("." for the root) into an uncompressed tar build context.
 * A symlink or hard link inside it that points outside it is refused (Docker would copy a link
 * that dangles, or a hard link to a file the context does not hold).
 */
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
    const target = linkTarget(entry);
    const outside = (t: string) => t === '..' || t.startsWith('../') || posix.isAbsolute(t) || (t !== base && !t.startsWith(prefix));
    if (target !== undefined && outside(target)) {
      throw new SourceError(`${entry.path} is a ${entry.header.type === 'link' ? 'hard link' : 'symlink'} pointing outside the build context "${base}" (${entry.header.linkname})`);
    }
    const header = entry.header.type === 'link' ? { ...entry.header, name, linkname: target!.slice(prefix.length) || '.', size: 0 } : { ...entry.header, name };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (entry.header.type === 'file') pack.entry(header, entry.content, cb);
      else pack.entry({ ...header, size: 0 }, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
