import { gunzipSync } from 'node:zlib';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';

export class SourceError extends Error {
  override readonly name = 'SourceError';
}

export interface BuildContext {
  /** Uncompressed tar with the archive's top-level `owner-repo-<sha>/` folder stripped. */
  tar: Buffer;
  /** Small text files read on the way, by path (e.g. `.helvetia.yml`). */
  files: Map<string, string>;
}

/**
 * Turns a GitHub tarball (gzip, one top-level folder) into a Docker build context. Entries that
 * would escape the context (absolute paths, `..`) are refused.
 */
export async function tarballToContext(
  tarGz: Buffer,
  options: { maxBytes: number; capture?: readonly string[] },
): Promise<BuildContext> {
  let raw: Buffer;
  try {
    raw = gunzipSync(tarGz, { maxOutputLength: options.maxBytes });
  } catch (error) {
    throw new SourceError(`source archive is not a readable gzip under ${options.maxBytes} bytes: ${(error as Error).message}`);
  }
  const extract = tar.extract();
  const pack = tar.pack();
  const files = new Map<string, string>();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const packed = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });

  for await (const entry of Readable.from([raw]).pipe(extract)) {
    const header = entry.header;
    const body: Buffer[] = [];
    for await (const c of entry) body.push(c as Buffer);
    const slash = header.name.indexOf('/');
    const stripped = slash >= 0 ? header.name.slice(slash + 1) : '';
    if (!stripped) continue;
    const normalized = posix.normalize(stripped);
    if (normalized.startsWith('..') || posix.isAbsolute(normalized)) {
      throw new SourceError(`archive entry escapes the build context: ${header.name}`);
    }
    const content = Buffer.concat(body);
    if (options.capture?.includes(normalized.replace(/\/$/, '')) && header.type === 'file') {
      files.set(normalized, content.toString('utf8'));
    }
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (header.type === 'file') pack.entry({ ...header, name: normalized }, content, done);
      else pack.entry({ ...header, name: normalized, size: 0 }, done);
    });
  }
  pack.finalize();
  await packed;
  return { tar: Buffer.concat(chunks), files };
}
