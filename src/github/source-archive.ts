import { posix } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import tar from 'tar-stream';
import { SourceError } from './build-context.js';

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
export function byteLimit(max: number, message: (count: number) => string): Transform {
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
export const topOf = (name: string): string => name.slice(0, Math.max(0, name.indexOf('/')));

/** `name` with GitHub's `owner-repo-<sha>/` folder stripped and normalized; '' for the folder itself. */
export function stripTop(name: string): string {
  const slash = name.indexOf('/');
  const rest = slash >= 0 ? name.slice(slash + 1) : '';
  return rest ? posix.normalize(rest).replace(/\/$/, '') : '';
}

export const escapes = (path: string): boolean => path === '..' || path.startsWith('../') || posix.isAbsolute(path);

/** Refuses an entry whose path, or whose link target, is outside the repository (its `top` folder). */
export function checkEntry(header: tar.Header, path: string, top: string): void {
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
