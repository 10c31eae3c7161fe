import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BuildError, type BuildRequest } from './engine.js';

/** The classic builder announces each step's container before starting it. */
const STEP_CONTAINER = /^ ---> Running in ([0-9a-f]{12,64})$/;

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

/**
 * POST /build with the classic builder under the request's memory/CPU limits, streaming output
 * lines to `onLine`. With `pidsLimit`, each RUN step's container gets that pids limit as soon as
 * the builder names it (the /build API has no such parameter).
 */
export async function buildImage(docker: Docker, req: BuildRequest, onLine: (line: string) => void): Promise<string> {
  const stream = await docker.buildImage(Readable.from([req.context]), {
    t: req.tag,
    dockerfile: req.dockerfile,
    labels: req.labels,
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
  let warned = false;
  for await (const message of buildMessages(stream)) {
    if (message.error || message.errorDetail) {
      throw new BuildError(message.errorDetail?.message ?? message.error ?? 'build failed');
    }
    if (message.aux?.ID) imageId = message.aux.ID;
    const text = message.stream ?? message.status;
    if (!text) continue;
    for (const line of text.replace(/\n$/, '').split('\n')) {
      onLine(line);
      const step = STEP_CONTAINER.exec(line)?.[1];
      if (step && req.pidsLimit) {
        // Not awaited: the step starts right after this line and must not wait for us.
        docker.getContainer(step).update({ PidsLimit: req.pidsLimit }).catch((error: unknown) => {
          // 404: the step ended already. Through helvetia proxy: 403 (the step is not ours).
          if (warned || (error as { statusCode?: number }).statusCode === 404) return;
          warned = true;
          onLine(`[helvetia] could not limit the processes of build step ${step}: ${(error as Error).message}`);
        });
      }
    }
  }
  if (req.signal.aborted) throw req.signal.reason;
  if (!imageId) {
    const inspected = await docker.getImage(req.tag).inspect();
    imageId = inspected.Id;
  }
  return imageId;
}
