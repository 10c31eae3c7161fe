import { LABEL, ownershipLabels } from '../docker/labels.js';
import { traefikLabels } from '../docker/traefik-labels.js';
import { withEnvironmentLock } from '../worker/environment-lock.js';
import { DockerRefusedError } from '../worker/deploy-errors.js';
import type { RunInput, RunResult } from '../worker/run-step.js';
import { appServiceSpec } from './service-spec.js';
import { pinConstraints, type SwarmDeps } from './swarm-environment.js';
import { waitServiceConverged } from './wait-service.js';

/** How long a new task is watched after it turned healthy before Swarm calls the update done. */
const MONITOR_SECONDS = 3;

/**
 * The run step on Docker Swarm: the built image goes to the cluster's registry (`push`: its
 * reference by digest) and the environment's service runs it. A first deploy creates the service;
 * later ones update it start-first (stop-first with strategy: recreate), gated by the image's
 * HEALTHCHECK, rolled back by Swarm when the new tasks fail (the previous version keeps serving,
 * and the error is the task's). An app with volumes runs on the node they are pinned to. Swarm
 * replaces the old tasks itself, so there is nothing to retire.
 */
export async function swarmRunStep(input: RunInput, deps: SwarmDeps, push: (image: string) => Promise<string>): Promise<RunResult> {
  const { identity, config, log, repoConfig } = input;
  const { swarm } = deps;
  const alias = input.hostname.split('.')[0]!;
  log.step(`pushing ${input.image} to the cluster's registry`);
  const image = await push(input.image);
  const volumes = input.volumes ?? {};
  const node = Object.keys(volumes).length > 0 ? await deps.pins.get(identity.repository, identity.environment) : undefined;
  const containerLabels = { ...ownershipLabels(identity, 'app'), [LABEL.hostname]: input.hostname };
  const spec = appServiceSpec({
    name: alias, image, replicas: repoConfig.replicas, containerLabels, env: { ...input.env, PORT: String(repoConfig.port) }, network: config.EDGE_NETWORK, alias,
    ...(input.environmentNetwork ? { environmentNetwork: input.environmentNetwork } : {}), volumes, constraints: pinConstraints(node), stopFirst: repoConfig.strategy === 'recreate',
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
