import type { ContextPlan } from '../github/context-stream.js';
import type { BuildRequest } from './engine.js';

/** A repository archive the build thread downloads itself: GitHub's tarball URL and its auth header. */
export interface ArchiveSource {
  url: string;
  headers: Record<string, string>;
  plan: ContextPlan;
}

/** What the build thread is started with. */
export interface BuildThreadData {
  dockerHost: string;
  archive: ArchiveSource;
  request: Omit<BuildRequest, 'context' | 'signal'>;
}

/** The thread waits, loaded, for its build; then for a cancel. */
export type ToBuildThread = { type: 'start'; data: BuildThreadData } | { type: 'abort'; reason: string } | { type: 'ack' };

/** An error crosses as its class name, message and Docker status. */
export interface ThreadError {
  name: string;
  message: string;
  statusCode?: number;
  json?: { message?: string };
}

export type FromBuildThread = { type: 'lines'; lines: string[] } | { type: 'done'; imageId: string } | { type: 'error'; error: ThreadError };
