import { SourceError } from '../github/build-context.js';
import { SourceLimitError } from '../github/source-archive.js';
import type { ArchiveSource, BuildThreadData, FromBuildThread, ThreadError, ToBuildThread } from './build-thread-messages.js';
import { BuildError, DockerUnavailableError, type BuildRequest } from './engine.js';
import type { Worker } from 'node:worker_threads';
import { startThread } from './start-thread.js';

const CLASSES: Record<string, new (message: string) => Error> = { BuildError, SourceError, SourceLimitError, DockerUnavailableError };

/** The thread's error as the class it was thrown as (so the deploy's error handling reads it the same). */
function rebuilt(error: ThreadError): Error {
  const Class = CLASSES[error.name];
  const out = Class ? new Class(error.message) : Object.assign(new Error(error.message), { name: error.name });
  return Object.assign(out, error.statusCode ? { statusCode: error.statusCode } : {}, error.json ? { json: error.json } : {});
}

/**
 * Builds from repository archives on worker threads: download, gunzip, the tar rewrite and the
 * upload to /build (hundreds of MB for a large repository) never run on the event loop that serves
 * the worker's jobs, which only receives the output lines. One thread per build, started ahead
 * (loading dockerode and the tar code takes a few hundred ms): a warm spare waits, loaded after
 * the previous build ended.
 */
export class BuildThreads {
  private spare: Worker | undefined;

  constructor(private readonly dockerHost: string) {
    this.spare = this.start();
  }

  /** A loaded thread (the spare, else a new one). */
  private take(): Worker {
    const thread = this.spare ?? this.start();
    this.spare = undefined;
    thread.ref();
    return thread;
  }

  private start(): Worker {
    // A small young generation: the bytes pass through in 256 KB chunks, so frequent scavenges keep the worker's RSS down.
    const thread = startThread(import.meta.url, 'build-thread-entry', undefined, { maxYoungGenerationSizeMb: 4 });
    thread.unref();
    // A spare that died while idle is dropped (its error would otherwise be unhandled).
    const drop = () => void (this.spare === thread && (this.spare = undefined));
    thread.on('error', drop).on('exit', drop);
    return thread;
  }

  /** Cancelled with `request.signal`; the thread ends with the build. */
  build(request: Omit<BuildRequest, 'context'> & { archive: ArchiveSource }, onLine: (line: string) => void): Promise<string> {
    const { archive, signal, ...rest } = request;
    const data: BuildThreadData = { dockerHost: this.dockerHost, archive, request: rest };
    const thread = this.take();
    const post = (message: ToBuildThread) => thread.postMessage(message);
    const abort = () => post({ type: 'abort', reason: String((signal.reason as Error)?.message ?? signal.reason) });
    return new Promise<string>((resolve, reject) => {
      thread.on('message', (message: FromBuildThread) => {
        if (message.type === 'lines') {
          for (const line of message.lines) onLine(line);
          post({ type: 'ack' });
        }
        else if (message.type === 'done') resolve(message.imageId);
        else reject(rebuilt(message.error));
      });
      thread.on('error', reject);
      thread.on('exit', (code) => reject(new Error(`the build thread exited (code ${code}) before the build finished`)));
      post({ type: 'start', data });
      if (signal.aborted) abort();
      signal.addEventListener('abort', abort, { once: true });
    }).finally(() => {
      signal.removeEventListener('abort', abort);
      void thread.terminate();
      // The next spare loads once this build is over, not during it (it would take CPU from the builder).
      this.spare ??= this.start();
    });
  }
}
