/**
 * DockerodeEngine.buildFromArchive: the archive is downloaded, unpacked and uploaded to /build on a
 * worker thread, through the real proxy to the real dockerd; the caller gets the output lines and
 * the same typed errors as the stream path (SourceError, SourceLimitError, BuildError), and a
 * cancel stops the build.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeEngine } from '../../src/docker/dockerode-engine.js';
import { BuildError } from '../../src/docker/engine.js';
import { SourceError } from '../../src/github/build-context.js';
import { BUILD_DOCKERFILE, type ContextPlan } from '../../src/github/context-stream.js';
import { SourceLimitError } from '../../src/github/source-archive.js';
import { BASE_IMAGE, WORKER_FLAGS, cleanup, direct, startProxy, uniquePrefix, type RunningProxy } from './proxy-harness.js';

const P = uniquePrefix();
const LIMITS = { maxBytes: 10e6, maxInflatedBytes: 50e6, maxEntries: 1000 };
const plan = (limits = LIMITS): ContextPlan => ({ directory: '.', dockerfile: 'Dockerfile', appendToDockerfile: `LABEL "${P}"="yes"`, limits });

/** A GitHub-shaped tar.gz: the commit folder, then `files` under it. */
async function archive(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'o-r-abc/', type: 'directory' });
  for (const [name, content] of Object.entries(files)) pack.entry({ name: name.startsWith('/') ? name.slice(1) : `o-r-abc/${name}`, mode: 0o644 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

let proxy: RunningProxy;
let server: Server;
const served = new Map<string, { body: Buffer; auth?: string }>();
const seenAuth: string[] = [];
let base = '';

beforeAll(async () => {
  proxy = await startProxy(WORKER_FLAGS);
  server = createServer((req, res) => {
    seenAuth.push(req.headers.authorization ?? '');
    const entry = served.get(req.url ?? '');
    if (!entry) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/x-gzip', 'content-length': entry.body.length }).end(entry.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.close();
  await proxy?.close();
  await cleanup(P);
});

// One engine for every build: each takes the warm spare thread the previous one left.
let shared: DockerodeEngine | undefined;
const engine = () => (shared ??= new DockerodeEngine(direct(), { dockerHost: `tcp://127.0.0.1:${proxy.port}` }));
const build = async (path: string, opts: { limits?: typeof LIMITS; signal?: AbortSignal; tag?: string } = {}) => {
  const lines: string[] = [];
  const result = engine().buildFromArchive!(
    { tag: opts.tag ?? `${P}-img:1`, dockerfile: BUILD_DOCKERFILE, memoryBytes: 256 * 1024 * 1024, cpus: 1, pidsLimit: 128, signal: opts.signal ?? new AbortController().signal, archive: { url: `${base}${path}`, headers: { authorization: 'token test-token' }, plan: plan(opts.limits) } },
    (line) => lines.push(line),
  );
  return { result, lines };
};

describe('building from an archive on a worker thread (through the proxy)', () => {
  it('downloads with the given header, builds, streams the output lines and labels the image', async () => {
    served.set('/ok', { body: await archive({ Dockerfile: `FROM ${BASE_IMAGE}\nCOPY a.txt /a.txt\nRUN cat /a.txt\n`, 'a.txt': 'hello from the archive' }) });
    const { result, lines } = await build('/ok');
    const id = await result;
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(lines.join('\n')).toContain('hello from the archive');
    expect(seenAuth).toContain('token test-token');
    const inspected = await direct().getImage(`${P}-img:1`).inspect();
    expect(inspected.Config.Labels).toMatchObject({ [P]: 'yes', ...proxy.labels.image });
  });

  it('keeps the error classes: an archive escaping the repository, a limit, a failing step, a missing archive', async () => {
    served.set('/escape', { body: await archive({ Dockerfile: `FROM ${BASE_IMAGE}\n`, '/etc-passwd/../../x': 'x' }) });
    await expect((await build('/escape')).result).rejects.toBeInstanceOf(SourceError);
    served.set('/big', { body: await archive({ Dockerfile: `FROM ${BASE_IMAGE}\n`, 'a.bin': 'x'.repeat(200_000) }) });
    const limited = (await build('/big', { limits: { ...LIMITS, maxInflatedBytes: 100_000 } })).result;
    await expect(limited).rejects.toBeInstanceOf(SourceLimitError);
    await expect(limited).rejects.toThrow(/SOURCE_MAX_INFLATED_BYTES/);
    served.set('/fails', { body: await archive({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN exit 3\n` }) });
    await expect((await build('/fails')).result).rejects.toBeInstanceOf(BuildError);
    await expect((await build('/missing')).result).rejects.toThrow(/HTTP 404/);
  });

  it('a cancel stops the build: the thread ends and the call rejects', async () => {
    served.set('/slow', { body: await archive({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN sleep 30\n` }) });
    const controller = new AbortController();
    const { result, lines } = await build('/slow', { signal: controller.signal, tag: `${P}-slow:1` });
    // Cancelled once the step runs (an event: its announcement line), not after a guessed delay.
    await expect.poll(() => lines.some((l) => /Running in/.test(l)), { timeout: 30_000 }).toBe(true);
    const started = Date.now();
    controller.abort(new Error('cancelled by a newer push'));
    await expect(result).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(20_000);
    await expect(direct().getImage(`${P}-slow:1`).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
