import { RollbackUnavailableError } from './rollback-step.js';
import { UnrecoverableError } from 'bullmq';
import { BuildError, DockerUnavailableError } from '../docker/engine.js';
import { SourceError } from '../github/build-context.js';
import type { CheckConclusion } from '../github/checks.js';
import { UnhealthyError } from './health.js';
import { SwarmUpdateError } from '../swarm/wait-service.js';
import { RepoConfigError } from '../config/repo-config.js';
import { SecretsError } from '../secrets/resolve-secrets.js';
import { TaskError } from '../services/run-task.js';
import { ServiceError } from '../services/service-env.js';

export class DeployTimeoutError extends Error {
  override readonly name = 'DeployTimeoutError';
}

/** Docker (or our proxy) refused the request: retrying cannot change the answer. */
export class DockerRefusedError extends Error {
  override readonly name = 'DockerRefusedError';
}

/** A newer commit (or a teardown) replaced this deploy: it stops and concludes `cancelled`. */
export class SupersededError extends Error {
  override readonly name = 'SupersededError';
  constructor(readonly by: string) {
    super(by === 'teardown' ? 'superseded: the preview is being removed' : `superseded by ${by}`);
  }
}

export interface Classified {
  conclusion: CheckConclusion;
  title: string;
  reason: string;
  /** False when a retry could succeed (Docker or GitHub unreachable, 5xx). */
  final: boolean;
}

/** Check-run title of a deploy replaced by `by` (a newer SHA, or "teardown"). */
export const supersededTitle = (by: string): string => (by === 'teardown' ? 'Cancelled' : `Superseded by ${by.slice(0, 7)}`);

/** Maps an error from any deploy step to what GitHub is told and whether BullMQ may retry. */
export function classify(error: unknown): Classified {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof SupersededError) return { conclusion: 'cancelled', title: supersededTitle(error.by), reason: message, final: true };
  if (error instanceof RepoConfigError) return { conclusion: 'failure', title: 'Invalid .helvetia.yml', reason: message, final: true };
  if (error instanceof DeployTimeoutError) return { conclusion: 'timed_out', title: 'Timed out', reason: message, final: true };
  if (error instanceof BuildError) return { conclusion: 'failure', title: 'Build failed', reason: message, final: true };
  if (error instanceof DockerUnavailableError) return { conclusion: 'failure', title: 'Docker daemon unavailable', reason: message, final: false };
  if (error instanceof UnhealthyError) return { conclusion: 'failure', title: 'Container never became healthy', reason: message, final: true };
  if (error instanceof ServiceError) return { conclusion: 'failure', title: 'Service failed', reason: message, final: true };
  if (error instanceof TaskError) return { conclusion: 'failure', title: error.kind === 'release' ? 'Release command failed' : 'Seed command failed', reason: message, final: true };
  if (error instanceof SecretsError) return { conclusion: 'failure', title: 'Secrets unavailable', reason: message, final: true };
  if (error instanceof SourceError) return { conclusion: 'failure', title: 'Source unavailable', reason: message, final: true };
  if (error instanceof DockerRefusedError) return { conclusion: 'failure', title: 'Refused by Docker', reason: message, final: true };
  if (error instanceof SwarmUpdateError) return { conclusion: 'failure', title: 'Swarm did not run the new version', reason: message, final: true };
  if (error instanceof RollbackUnavailableError) return { conclusion: 'failure', title: 'Rollback unavailable', reason: message, final: true };
  if (error instanceof UnrecoverableError) return { conclusion: 'failure', title: 'Deploy failed', reason: message, final: true };
  const status = (error as { statusCode?: number; status?: number }).statusCode ?? (error as { status?: number }).status;
  if (status === 403 || status === 400 || status === 409 || status === 404) {
    return { conclusion: 'failure', title: 'Deploy failed', reason: message, final: true };
  }
  return { conclusion: 'failure', title: 'Deploy failed', reason: message, final: false };
}

/** Errors from dockerode carry the daemon's (or the proxy's) JSON message; keep it readable. */
export function dockerMessage(error: unknown): string {
  const json = (error as { json?: { message?: string } }).json;
  return json?.message ?? (error instanceof Error ? error.message : String(error));
}
