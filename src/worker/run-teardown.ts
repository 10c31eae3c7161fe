import type { Job } from 'bullmq';
import { LABEL, ownedFilters } from '../docker/labels.js';
import { deactivateEnvironment } from '../github/deployments.js';
import { renderPreviewComment, upsertPreviewComment } from '../github/pr-comment.js';
import type { TeardownJobData } from '../queue/job-types.js';
import { environmentNetwork } from '../services/environment-objects.js';
import type { WorkerDeps } from './run-deploy.js';

export type TeardownOutcome = { status: 'removed'; containers: string[]; images: string[]; volumes: string[]; deployments: number[] } | { status: 'skipped'; reason: string };

/**
 * Removes an environment: its containers (app, services, probes, tasks), the images they ran, a
 * preview's volumes and generated values, the environment network, its Deployments marked
 * inactive, and the PR comment updated to say so.
 */
export async function runTeardown(job: Job<TeardownJobData>, deps: WorkerDeps): Promise<TeardownOutcome> {
  const data = job.data;
  const logger = deps.logger.child({ jobId: job.id, repository: data.repository, environment: data.environment });
  const by = await deps.supersession.supersededBy(data, job.id!);
  if (by) {
    logger.info({ by }, 'teardown superseded by a newer deploy');
    return { status: 'skipped', reason: `superseded by ${by}` };
  }
  const filters = ownedFilters(deps.config.QUEUE_PREFIX, { [LABEL.repository]: data.repository, [LABEL.environment]: data.environment });
  // Swarm: the environment's services first (their tasks stop on every node), then what is left here.
  const services = await (deps.runtime?.removeEnvironment({ instance: deps.config.QUEUE_PREFIX, repository: data.repository, environment: data.environment }) ?? []);
  const containers = await deps.engine.listContainers(filters);
  const images = new Set<string>();
  for (const c of containers) {
    await deps.engine.removeContainer(c.id);
    if (c.labels[LABEL.role] === 'app') images.add(c.image);
  }
  for (const image of await deps.engine.listImages(filters)) for (const tag of image.tags) images.add(tag);
  // The environment's kept images go with it (the history stays, for the dashboard).
  for (const k of (await deps.history?.dropKept(data.repository, data.environment)) ?? []) images.add(k.image);
  // …except an image another environment keeps (a preview and production of one commit share it).
  const keptElsewhere = (await deps.history?.allKeptImages()) ?? new Set<string>();
  const removedImages: string[] = [];
  for (const image of images) if (!keptElsewhere.has(image) && (await deps.engine.removeImage(image))) removedImages.push(image);
  const { octokit } = await deps.github(data.installationId);
  // A preview's data goes with it; production's volumes are never removed automatically.
  const volumes: string[] = [];
  if (data.environment !== 'production') {
    for (const volume of await deps.engine.listVolumes(filters)) if (await deps.engine.removeVolume(volume.name)) volumes.push(volume.name);
    if (deps.secrets) {
      const repositoryId = data.repositoryId ?? (await octokit.rest.repos.get({ owner: data.owner, repo: data.repo })).data.id;
      await deps.secrets.store.forgetGenerated(repositoryId, data.environment);
    }
  }
  await deps.engine.removeNetwork(environmentNetwork({ instance: deps.config.QUEUE_PREFIX, repository: data.repository, environment: data.environment }));
  await deps.state.forget(data.repository, data.environment);

  const deployments = await deactivateEnvironment(octokit, { owner: data.owner, repo: data.repo, environment: data.environment, description: `Removed: ${data.reason}` });
  if (data.pullRequest !== undefined) {
    const sha = containers.find((c) => c.labels[LABEL.sha])?.labels[LABEL.sha] ?? '';
    const body = renderPreviewComment({ state: 'removed', sha: sha || 'n/a', note: `The preview was removed: ${data.reason}. Push again (or comment \`/preview\`) to bring it back.` });
    await upsertPreviewComment(octokit, deps.state.redis, deps.state.prefix, { owner: data.owner, repo: data.repo, pullRequest: data.pullRequest }, body);
  }
  logger.info({ services: services.length, containers: containers.length, images: removedImages.length, volumes: volumes.length, deployments: deployments.length }, 'environment removed');
  return { status: 'removed', containers: containers.map((c) => c.name), images: removedImages, volumes, deployments };
}
