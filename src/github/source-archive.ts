import { posix } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { SourceError, type SourceEntry } from './build-context.js';

/** What a repository's source archive may cost the worker (SOURCE_MAX_* settings). */
export interface SourceLimits {
  /** Compressed bytes downloaded. */
  maxBytes: number;
  /** Bytes after gunzip (file contents and tar headers). */
  maxInflatedBytes: number;
  /** Tar entries (files, folders, links). */
  maxEntries: number;
}

/** The archive broke a limit: the message names the setting, the limit and the value. */
export class SourceLimitError extends SourceError {
  override readonly name = 'SourceLimitError';
}

/** Counts bytes flowing through; past `max`, fails the pipeline with `message(count)`. */
function byteLimit(max: number, message: (count: number) => string): Transform {
  let count = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      count += chunk.length;
      if (count > max) callback(new SourceLimitError(message(count)));
      else callback(null, chunk);
    },
  });
}

/** The first path component: GitHub's `owner-repo-<sha>` folder. */
const topOf = (name: string): string => name.slice(0, Math.max(0, name.indexOf('/')));

/** `name` with GitHub's `owner-repo-<sha>/` folder stripped and normalized; '' for the folder itself. */
function stripTop(name: string): string {
  const slash = name.indexOf('/');
  const rest = slash >= 0 ? name.slice(slash + 1) : '';
  return rest ? posix.normalize(rest).replace(/\/$/, '') : '';
}

const escapes = (path: string): boolean => path === '..' || path.startsWith('../') || posix.isAbsolute(path);

/** Refuses an entry whose path, or whose link target, is outside the repository (its `top` folder). */
function checkEntry(header: tar.Header, path: string, top: string): void {
  if (topOf(header.name) !== top || escapes(path)) throw new SourceError(`archive entry escapes the repository: ${header.name}`);
  if (header.type === 'symlink') {
    const target = header.linkname ?? '';
    if (!target || posix.isAbsolute(target) || escapes(posix.normalize(posix.join(posix.dirname(path), target)))) {
      throw new SourceError(`archive entry ${path} is a symlink pointing outside the repository (${target || 'empty target'})`);
    }
  } else if (header.type === 'link') {
    const target = stripTop(header.linkname ?? '');
    if (topOf(header.linkname ?? '') !== top || !target || escapes(target)) {
      throw new SourceError(`archive entry ${path} is a hard link to outside the repository (${header.linkname ?? ''})`);
    }
  } else if (header.type !== 'file' && header.type !== 'directory') {
    throw new SourceError(`archive entry ${path} is a ${header.type}: only files, folders and links are built`);
  }
}

/**
 * Reads a GitHub tarball (gzip, one top-level `owner-repo-<sha>/` folder) as it streams in, into
 * entries with the folder stripped. Compressed bytes, inflated bytes and entries are counted
 * while they flow, so an oversized archive or a gzip bomb stops at its limit, and nothing runs
 * synchronously on the event loop. Entries that would escape the repository (absolute paths,
 * `..`, symlinks or hard links to outside) are refused. Hard link targets are made repository-relative.
 */
export async function readSourceArchive(source: Readable | Buffer, limits: SourceLimits): Promise<SourceEntry[]> {
  const entries: SourceEntry[] = [];
  let seen = 0;
  let top: string | undefined;
  const extract = tar.extract();
  const collect = async () => {
    for await (const entry of extract) {
      if (++seen > limits.maxEntries) throw new SourceLimitError(`source archive has more than ${limits.maxEntries} entries (SOURCE_MAX_ENTRIES=${limits.maxEntries})`);
      const body: Buffer[] = [];
      for await (const chunk of entry) body.push(chunk as Buffer);
      const header = entry.header;
      // GitHub's pax header (the commit id) has no folder; everything else is under one top folder.
      if (header.type === 'file' && !header.name.includes('/') && top === undefined) continue;
      top ??= topOf(header.name);
      const path = stripTop(header.name);
      if (!path && topOf(header.name) === top) continue;
      checkEntry(header, path, top);
      const linkname = header.type === 'link' ? stripTop(header.linkname ?? '') : header.linkname;
      entries.push({ header: { ...header, linkname }, path, content: Buffer.concat(body) });
    }
  };
  const input = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  const collecting = collect().catch((error: unknown) => {
    input.destroy();
    throw error;
  });
  const flowing = pipeline(
    input,
    byteLimit(limits.maxBytes, (n) => `source archive is over the ${limits.maxBytes}-byte limit (SOURCE_MAX_BYTES): ${n} bytes read so far`),
    createGunzip(),
    byteLimit(limits.maxInflatedBytes, (n) => `source archive inflates to over the ${limits.maxInflatedBytes}-byte limit (SOURCE_MAX_INFLATED_BYTES): ${n} bytes so far`),
    extract,
  );
  const results = await Promise.allSettled([flowing, collecting]);
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  // A broken limit explains the extract's own "premature close" best; then any refusal of ours.
  const error = errors.find((e) => e instanceof SourceLimitError) ?? errors.find((e) => e instanceof SourceError) ?? errors[0];
  if (error !== undefined) throw error instanceof SourceError ? error : new SourceError(`source archive is not a readable tar.gz: ${(error as Error).message}`);
  return entries;
}
