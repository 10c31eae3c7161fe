import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { parentPort } from 'node:worker_threads';
import { SourceError } from '../github/build-context.js';
import { contextStream } from '../github/context-stream.js';
import { SourceLimitError } from '../github/source-archive.js';
import type { BuildThreadData, FromBuildThread, ToBuildThread } from './build-thread-messages.js';
import { createDockerClient } from './docker-client.js';
import { buildImage } from './dockerode-build.js';
import { asDockerUnavailable } from './engine.js';

/**
 * The build thread behind DockerodeEngine.buildFromArchive: downloads the archive, turns it into
 * the build context and streams it to /build, so the worker's event loop only sees output lines.
 */
const port = parentPort!;
const controller = new AbortController();
const send = (message: FromBuildThread) => port.postMessage(message);

// Output lines go in batches; with MAX_UNACKED batches unread by the main thread the build's
// output stream waits (1 GB of output must not pile up in the message queue).
const MAX_UNACKED = 4;
let batch: string[] = [];
let batchBytes = 0;
let unacked = 0;
let flushing = false;
let waiting: Array<() => void> = [];
function flush(): void {
  if (batch.length === 0) return;
  send({ type: 'lines', lines: batch });
  batch = [];
  batchBytes = 0;
  unacked += 1;
}
function onLine(line: string): Promise<void> | undefined {
  batch.push(line);
  batchBytes += line.length;
  if (batchBytes >= 32 * 1024) flush();
  else if (!flushing) {
    flushing = true;
    setImmediate(() => ((flushing = false), flush()));
  }
  return unacked >= MAX_UNACKED ? new Promise((resolve) => waiting.push(resolve)) : undefined;
}

async function openArchive(data: BuildThreadData): Promise<Readable> {
  const { archive } = data;
  const response = await fetch(archive.url, { headers: archive.headers, signal: controller.signal, redirect: 'follow' });
  if (!response.ok || !response.body) throw Object.assign(new Error(`downloading the source archive failed: HTTP ${response.status}`), { status: response.status });
  const announced = Number(response.headers.get('content-length'));
  if (Number.isFinite(announced) && announced > archive.plan.limits.maxBytes) {
    await response.body.cancel().catch(() => undefined);
    throw new SourceLimitError(`source archive is ${announced} bytes, over the ${archive.plan.limits.maxBytes}-byte limit (SOURCE_MAX_BYTES)`);
  }
  return Readable.fromWeb(response.body as unknown as ReadableStream<Uint8Array>);
}

async function run(data: BuildThreadData): Promise<string> {
  const context = contextStream(await openArchive(data), data.archive.plan);
  let sourceFailure: SourceError | undefined;
  context.on('error', (error) => {
    if (error instanceof SourceError) sourceFailure = error;
  });
  try {
    return await buildImage(createDockerClient(data.dockerHost), { ...data.request, context, signal: controller.signal }, onLine);
  } catch (error) {
    context.destroy();
    // The builder only sees a context cut short: the reason is the archive's.
    throw sourceFailure ?? (controller.signal.aborted ? error : asDockerUnavailable(error, 'during the build'));
  }
}

// Started ahead (a warm spare): the build comes as the first message, a cancel after it.
port.on('message', (message: ToBuildThread) => {
  if (message.type === 'abort') return void controller.abort(new Error(message.reason));
  if (message.type === 'ack') {
    unacked -= 1;
    if (unacked < MAX_UNACKED) for (const resolve of waiting.splice(0)) resolve();
    return;
  }
  run(message.data).then(
    (imageId) => (flush(), send({ type: 'done', imageId })),
    (error: unknown) => {
      flush();
      const e = error as Error & { statusCode?: number; json?: { message?: string } };
      send({ type: 'error', error: { name: e.name ?? 'Error', message: e.message ?? String(error), ...(e.statusCode ? { statusCode: e.statusCode } : {}), ...(e.json?.message ? { json: { message: e.json.message } } : {}) } });
    },
  );
});
