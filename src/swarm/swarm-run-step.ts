import { LABEL, ownershipLabels } from '../docker/labels.js';
import { traefikLabels } from '../docker/traefik-labels.js';
import { withEnvironmentLock } from '../worker/environment-lock.js';
import { DockerRefusedError } from '../worker/deploy-errors.js';
import type { RunInput, RunResult } from '../worker/run-step.js';
import { appServiceSpec } from './service-spec.js';
import type { SwarmEngine } from './swarm-engine.js';
import { waitServiceConverged } from './wait-service.js';

/** How long a new task is watched after it turned healthy before Swarm calls the update done. */
const MONITOR_SECONDS = 3;

/** helvetia/<repo>--<owner>:<sha> → the registry repository and tag it is pushed as. */
export function registryTarget(registry: string, image: string): { repository: string; tag: string } {
  const colon = image.lastIndexOf(':');
  return { repository: `${registry}/${image.slice(0, colon)}`, tag: image.slice(colon + 1) };
}

/**
 * The run step on Docker Swarm: the built image goes to the cluster's registry and the
 * environment's service runs it by digest. A first deploy creates the service; later ones update
 * it start-first, gated by the image's HEALTHCHECK, rolled back by Swarm when the new tasks fail
 * (the previous version keeps serving, and the error is the task's). Swarm replaces the old tasks
 * itself, so there is nothing to retire.
 */
export async function swarmRunStep(input: RunInput, swarm: SwarmEngine, registry: string): Promise<RunResult> {
  const { identity, config, log, repoConfig } = input;
  if (Object.keys(repoConfig.services).length || Object.keys(repoConfig.volumes).length || repoConfig.release || repoConfig.seed) {
    throw new DockerRefusedError('companion services, volumes, release and seed commands are not supported with DEPLOY_BACKEND=swarm yet (README "Scaling out")');
  }
  const alias = input.hostname.split('.')[0]!;
  const target = registryTarget(registry, input.image);
  log.step(`pushing ${target.repository}:${target.tag} to the cluster's registry`);
  const digest = await swarm.pushImage(input.image, target);
  const image = `${target.repository}@${digest}`;
  const containerLabels = { ...ownershipLabels(identity, 'app'), [LABEL.hostname]: input.hostname };
  const spec = appServiceSpec({
    name: alias, image, replicas: repoConfig.replicas, containerLabels, env: { ...input.env, PORT: String(repoConfig.port) }, network: config.EDGE_NETWORK, alias,
    labels: {
      ...containerLabels,
      ...traefikLabels({ hostname: input.hostname, port: repoConfig.port, network: config.EDGE_NETWORK, entrypoint: config.TRAEFIK_ENTRYPOINT, tls: config.TRAEFIK_TLS, provider: 'swarm' }),
    },
    limits: { memoryMb: repoConfig.memoryMb, cpus: repoConfig.cpus, pidsLimit: config.RUN_PIDS_LIMIT },
    monitorSeconds: MONITOR_SECONDS,
  });
  const started = Date.now();
  let serviceId = '';
  let update = false;
  await withEnvironmentLock(input.state.redis, `${input.state.prefix}:swap:${identity.repository}@${identity.environment}`, async () => {
    await input.assertLatest();
    const existing = await swarm.inspectService(alias);
    if (existing && existing.labels[LABEL.instance] !== identity.instance) throw new DockerRefusedError(`a service named ${alias} exists and is not this helvetia's`);
    update = Boolean(existing);
    log.step(existing ? `updating service ${alias} (start-first, rolled back by Swarm if the new tasks fail) to ${image}` : `creating service ${alias} with ${repoConfig.replicas} replica(s) of ${image}`);
    serviceId = existing ? (await swarm.updateService(existing.id, existing.version, spec), existing.id) : await swarm.createService(spec);
  });
  try {
    await waitServiceConverged(swarm, { id: serviceId, replicas: repoConfig.replicas, jobId: identity.jobId, update }, {
      deadline: started + config.HEALTH_TIMEOUT_SECONDS * 1000, signal: input.signal, onProgress: (line) => log.step(line),
    });
  } catch (error) {
    // A first deploy that never ran leaves nothing behind; an update was rolled back by Swarm.
    if (!update) await swarm.removeService(serviceId);
    throw error;
  }
  const healthMs = Date.now() - started;
  log.step(`service ${alias} runs ${repoConfig.replicas} healthy task(s) of this deploy after ${(healthMs / 1000).toFixed(1)}s`);
  await input.state.setLive(identity.repository, identity.environment, serviceId, identity.sha);
  await input.state.touch(identity.repository, identity.environment);
  return { containerId: serviceId, healthMs, retire: async () => undefined };
}
