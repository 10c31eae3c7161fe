import type Docker from 'dockerode';
import { BuildError, type BuildRequest } from './engine.js';
import { STEP_ANNOUNCEMENT } from './step-announcement.js';


interface BuildMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** Splits the builder's JSON-lines stream into messages, line by line, as they arrive. */
async function* buildMessages(stream: NodeJS.ReadableStream): AsyncGenerator<BuildMessage> {
  let buffered = '';
  for await (const chunk of stream) {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const raw = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (raw) yield JSON.parse(raw) as BuildMessage;
    }
  }
  if (buffered.trim()) yield JSON.parse(buffered) as BuildMessage;
}

/** dockerd's answers to updating a step container that already ended (or is being removed). */
const ENDED = /cannot update a stopped container|is not running|process already finished|no such container|marked for removal/i;

/**
 * Sets the pids limit of a RUN step's container. Not awaited by the build: the step starts right
 * after its announcement and must not wait for us. A step that already ended is gone (404), being
 * removed (409), or stopped under the update (500 "cannot update a stopped container"): nothing to
 * limit. Anything else, above all a refusal (403), means the step runs without the limit, and the
 * build log says so.
 */
export function limitStep(docker: Pick<Docker, 'getContainer'>, step: string, pidsLimit: number, onLine: (line: string) => unknown): Promise<void> {
  return docker.getContainer(step).update({ PidsLimit: pidsLimit }).then(
    () => undefined,
    (error: unknown) => {
      const status = (error as { statusCode?: number }).statusCode;
      const message = (error as Error).message ?? String(error);
      if (status === 404 || status === 409 || (status === 500 && ENDED.test(message))) return;
      const why = status === 403 ? 'the Docker API refused it' : 'the update failed';
      onLine(`[helvetia] WARNING: build step ${step} runs WITHOUT its limit of ${pidsLimit} processes: ${why}: ${message}`);
    },
  );
}

/**
 * POST /build with the classic builder under the request's memory/CPU limits, streaming output
 * lines to `onLine`. With `pidsLimit`, each RUN step's container gets that pids limit as soon as
 * the builder names it (the /build API has no such parameter). An `onLine` that returns a promise
 * holds the build's output stream until it settles.
 */
export async function buildImage(docker: Docker, req: BuildRequest, onLine: (line: string) => void | Promise<void>): Promise<string> {
  const stream = await docker.buildImage(req.context, {
    t: req.tag,
    dockerfile: req.dockerfile,
    ...(req.labels ? { labels: req.labels } : {}),
    memory: req.memoryBytes,
    memswap: req.memoryBytes,
    cpuperiod: 100_000,
    cpuquota: Math.round(req.cpus * 100_000),
    rm: true,
    forcerm: true,
    pull: false,
    abortSignal: req.signal,
  } as Docker.ImageBuildOptions);
  let imageId: string | undefined;
  for await (const message of buildMessages(stream)) {
    if (message.error || message.errorDetail) {
      throw new BuildError(message.errorDetail?.message ?? message.error ?? 'build failed');
    }
    if (message.aux?.ID) imageId = message.aux.ID;
    const text = message.stream ?? message.status;
    if (!text) continue;
    for (const line of text.replace(/\n$/, '').split('\n')) {
      // A promise: the consumer is behind (the build thread's lines in flight); the stream waits.
      const pending = onLine(line);
      if (pending) await pending;
      const step = STEP_ANNOUNCEMENT.exec(line)?.[1];
      // A cancelled build's steps are being torn down: nothing left to limit.
      if (step && req.pidsLimit && !req.signal.aborted) void limitStep(docker, step, req.pidsLimit, onLine);
    }
  }
  if (req.signal.aborted) throw req.signal.reason;
  if (!imageId) {
    const inspected = await docker.getImage(req.tag).inspect();
    imageId = inspected.Id;
  }
  return imageId;
}
