import type { Queue } from 'bullmq';
import type { DockerEngine } from '../docker/engine.js';
import { LABEL, ownedFilters } from '../docker/labels.js';
import type { PipelineJobData } from '../queue/job-types.js';
import { concludeLeftoverChecks, IN_FLIGHT, jobState } from './leftover-checks.js';
import type { WorkerDeps } from './run-deploy.js';


export interface ReconcileReport {
  removedContainers: string[];
  removedImages: string[];
  concludedChecks: number[];
}

/**
 * Run when a worker starts: removes containers and images left by deploys that are no longer in
 * flight (a crashed worker's half-done work), keeping each environment's live container, and
 * concludes check runs nobody will finish.
 */
export async function reconcile(deps: WorkerDeps, queue: Queue<PipelineJobData>): Promise<ReconcileReport> {
  const report: ReconcileReport = { removedContainers: [], removedImages: [], concludedChecks: [] };
  const stateOf = (jobId: string | undefined) => jobState(queue, jobId);

  const containers = await deps.engine.listContainers(ownedFilters(deps.config.QUEUE_PREFIX));
  const newestRunning = new Map<string, string>();
  for (const c of [...containers].sort((a, b) => b.created - a.created)) {
    const env = `${c.labels[LABEL.repository]}@${c.labels[LABEL.environment]}`;
    if (c.labels[LABEL.role] === 'app' && c.state === 'running' && !newestRunning.has(env)) newestRunning.set(env, c.id);
  }
  for (const c of containers) {
    const role = c.labels[LABEL.role];
    // Services outlive the deploy that started them; only a teardown removes them. Swarm manages
    // its tasks' containers (DEPLOY_BACKEND=swarm): removed here, they would only be restarted.
    if (role === 'service' || c.labels['com.docker.swarm.service.id']) continue;
    if (IN_FLIGHT.has(await stateOf(c.labels[LABEL.job]))) continue;
    if (role === 'app') {
      const repository = c.labels[LABEL.repository] ?? '';
      const environment = c.labels[LABEL.environment] ?? '';
      const live = (await deps.state.getLive(repository, environment)) ?? newestRunning.get(`${repository}@${environment}`);
      if (c.id === live) continue;
    }
    await deps.engine.removeContainer(c.id);
    report.removedContainers.push(c.name);
  }

  // Images kept for rollback (KEEP_IMAGES) stay; so do those of deploys in flight.
  const kept = (await deps.history?.allKeptImages()) ?? new Set<string>();
  for (const image of await deps.engine.listImages(ownedFilters(deps.config.QUEUE_PREFIX))) {
    if (IN_FLIGHT.has(await stateOf(image.labels[LABEL.job]))) continue;
    for (const tag of image.tags.length ? image.tags : [image.id]) {
      if (kept.has(tag)) continue;
      if (await deps.engine.removeImage(tag)) report.removedImages.push(tag);
    }
  }

  report.concludedChecks = await concludeLeftoverChecks(deps, queue);
  deps.logger.info(report, 'reconciled');
  return report;
}
