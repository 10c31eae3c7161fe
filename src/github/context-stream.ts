import { createRequire } from 'node:module';
import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { SourceError } from './build-context.js';
import { appendInstruction } from './dockerfile-append.js';
import type DockerIgnore from '@balena/dockerignore';
import { byteLimit, checkEntry, escapes, SourceLimitError, stripTop, topOf, type SourceLimits } from './source-archive.js';

/** How a repository's archive becomes a build context. */
export interface ContextPlan {
  /** The context directory in the repository ("." for its root). */
  directory: string;
  /** The Dockerfile's path inside the context. */
  dockerfile: string;
  /** An instruction for the end of the Dockerfile the builder reads (the image's labels: one step, not one per label). */
  appendToDockerfile: string;
  /** The context's .dockerignore, applied like the docker CLI does (the Dockerfile and .dockerignore always go). */
  dockerignore?: string;
  limits: SourceLimits;
}

/**
 * The Dockerfile the builder reads (pass it as /build's `dockerfile`): the repository's with the
 * appended instruction, added at the context's root and listed in .dockerignore, so the builder
 * drops it from the context after reading it. The repository's own Dockerfile goes unchanged: a
 * `COPY . .` sees the same files as `docker build` by hand, and the per-commit labels never
 * invalidate its cache.
 */
export const BUILD_DOCKERFILE = '.helvetia-build.Dockerfile';

// A CommonJS module whose typings declare an ES default export.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as typeof DockerIgnore.default;

const MAX_DOCKERFILE_BYTES = 1024 * 1024;

async function readAll(stream: Readable, path: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_DOCKERFILE_BYTES) throw new SourceError(`${path} is over ${MAX_DOCKERFILE_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Turns a GitHub tarball stream into the build context tar as it arrives, never holding the
 * repository in memory and never blocking the event loop: gunzip, strip the top folder, keep what
 * lies under the context directory and is not excluded by .dockerignore, check every entry (limits;
 * nothing, links included, may point outside the repository or the context), and add
 * BUILD_DOCKERFILE. Headers (timestamps, modes) and order stay as GitHub sent them. The result fails
 * with a SourceError as soon as the archive breaks a rule.
 */
export function contextStream(source: Readable, plan: ContextPlan): Readable {
  const base = posix.normalize(plan.directory).replace(/\/$/, '');
  const prefix = base === '.' ? '' : `${base}/`;
  const dockerfile = posix.normalize(plan.dockerfile);
  const ignore = dockerignore().add((plan.dockerignore ?? '').split(/\r?\n/));
  const ignored = (name: string) => name !== dockerfile && name !== '.dockerignore' && ignore.ignores(name);
  const out = new PassThrough();
  const pack = tar.pack();
  const extract = tar.extract();
  const sent = new Set<string>();
  let entries = 0;
  let top: string | undefined;
  let sawContext = prefix === '';
  let dockerfileText: string | undefined;
  let sawIgnore = false;
  let failed = false;
  const fail = (error: unknown): void => {
    if (failed) return;
    failed = true;
    const wrapped = error instanceof SourceError ? error : new SourceError(`source archive is not a readable tar.gz: ${(error as Error).message}`);
    source.destroy();
    extract.destroy();
    out.destroy(wrapped);
  };
  const inside = (target: string) => !escapes(target) && (prefix === '' || target.startsWith(prefix));
  const add = (header: Parameters<typeof pack.entry>[0], body?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      pack.entry(header, body ?? Buffer.alloc(0), (error) => (error ? reject(error) : resolve()));
    });

  async function onEntry(header: tar.Header, stream: Readable): Promise<void> {
    if (++entries > plan.limits.maxEntries) throw new SourceLimitError(`source archive has more than ${plan.limits.maxEntries} entries (SOURCE_MAX_ENTRIES=${plan.limits.maxEntries})`);
    // GitHub's pax header (the commit id) comes first, without the folder.
    if (top === undefined && header.type === 'file' && !header.name.includes('/')) return void stream.resume();
    top ??= topOf(header.name);
    const path = stripTop(header.name);
    if (!path && topOf(header.name) === top) return void stream.resume();
    checkEntry(header, path, top);
    if (prefix && (path === base || !path.startsWith(prefix))) return void stream.resume();
    sawContext = true;
    const name = path.slice(prefix.length);
    if (ignored(name)) return void stream.resume();
    if (header.type === 'symlink' && !inside(posix.normalize(posix.join(posix.dirname(path), header.linkname ?? '')))) {
      throw new SourceError(`${path} is a symlink pointing outside the build context "${base}" (${header.linkname})`);
    }
    if (name === BUILD_DOCKERFILE) throw new SourceError(`${path}: ${BUILD_DOCKERFILE} is a name helvetia reserves for the Dockerfile it builds with`);
    if (name === dockerfile || name === '.dockerignore') {
      if (header.type !== 'file') throw new SourceError(`${path} must be a regular file (it is a ${header.type})`);
      const text = await readAll(stream, path);
      if (name === dockerfile) dockerfileText = text;
      // Listed there, the builder removes the Dockerfile it read from the context.
      const content = Buffer.from(name === dockerfile ? text : `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${BUILD_DOCKERFILE}\n`);
      if (name === '.dockerignore') sawIgnore = true;
      return add({ ...header, name, size: content.length }, content);
    }
    if (header.type === 'link') {
      const target = stripTop(header.linkname ?? '');
      if (!inside(target)) throw new SourceError(`${path} is a hard link pointing outside the build context "${base}" (${header.linkname})`);
      const linkname = target.slice(prefix.length);
      if (!sent.has(linkname)) throw new SourceError(`${path} is a hard link to ${target}, which the build context does not hold (.dockerignore, or it comes later)`);
      stream.resume();
      return add({ ...header, name, linkname, size: 0 });
    }
    sent.add(name);
    if (header.type !== 'file') {
      stream.resume();
      return add({ ...header, name, size: 0 });
    }
    const entry = pack.entry({ ...header, name });
    await pipeline(stream, entry);
  }

  extract.on('entry', (header, stream, next) => {
    onEntry(header, stream as unknown as Readable).then(() => next(), fail);
  });
  async function finish(): Promise<void> {
    if (!sawContext) throw new SourceError(`build context directory "${plan.directory}" does not exist in the repository`);
    if (dockerfileText === undefined) throw new SourceError(`${prefix}${dockerfile} does not exist in the repository (the build context is "${base}")`);
    // Fixed headers: the same commit gives the same context bytes.
    const generated = { mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 };
    if (!sawIgnore) await add({ ...generated, name: '.dockerignore', size: Buffer.byteLength(`${BUILD_DOCKERFILE}\n`) }, Buffer.from(`${BUILD_DOCKERFILE}\n`));
    const content = Buffer.from(appendInstruction(`${prefix}${dockerfile}`, dockerfileText, plan.appendToDockerfile));
    await add({ ...generated, name: BUILD_DOCKERFILE, size: content.length }, content);
    pack.finalize();
  }

  extract.on('finish', () => {
    if (!failed) finish().catch(fail);
  });
  pipeline(
    source,
    byteLimit(plan.limits.maxBytes, (n) => `source archive is over the ${plan.limits.maxBytes}-byte limit (SOURCE_MAX_BYTES): ${n} bytes read so far`),
    createGunzip({ chunkSize: 256 * 1024 }),
    byteLimit(plan.limits.maxInflatedBytes, (n) => `source archive inflates to over the ${plan.limits.maxInflatedBytes}-byte limit (SOURCE_MAX_INFLATED_BYTES): ${n} bytes so far`),
    extract,
  ).catch(fail);
  pack.on('error', fail);
  pack.pipe(out);
  return out;
}
