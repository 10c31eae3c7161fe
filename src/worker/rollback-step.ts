import type { DockerEngine } from '../docker/engine.js';
import type { DeployHistory, KeptImage } from '../history/deploy-history.js';
import type { DeployJobData } from '../queue/job-types.js';
import type { DeployLog } from './deploy-log.js';

/** A rollback whose image is gone: nothing to swap to without a build. A retry cannot help. */
export class RollbackUnavailableError extends Error {
  override readonly name = 'RollbackUnavailableError';
}

/**
 * A rollback's "source": the image a successful deploy of `data.sha` ran in this environment, kept
 * (KEEP_IMAGES) with the .helvetia.yml it ran with. No tarball, no build.
 */
export async function rollbackSource(input: { data: DeployJobData; history?: DeployHistory; engine: DockerEngine; log: DeployLog }): Promise<KeptImage> {
  const { data, history, engine, log } = input;
  const short = data.sha.slice(0, 12);
  const kept = await history?.keptImage(data.repository, data.environment, data.sha);
  if (!kept) throw new RollbackUnavailableError(`the image of ${short} is no longer kept for ${data.environment} (KEEP_IMAGES); Redeploy on its check run builds it again`);
  if (!(await engine.imageExists(kept.image))) throw new RollbackUnavailableError(`the image ${kept.image} of ${short} was removed from the Docker engine; Redeploy on its check run builds it again`);
  log.step(`rolling back to ${kept.image}, deployed ${new Date(kept.deployedAt).toISOString()}: no build`);
  return kept;
}
