import { randomBytes } from 'node:crypto';
import { LABEL, ownershipLabels, type DeploymentIdentity } from '../docker/labels.js';
import type { DockerEngine } from '../docker/engine.js';
import type { PrepareInput, PreparedEnvironment, ServiceState } from '../services/ensure-services.js';
import { environmentId, environmentLabels, environmentNetwork, SERVICE_LABEL } from '../services/environment-objects.js';
import type { ServiceConfig } from '../services/service-schema.js';
import { serviceSpecHash, tcpProbeScript } from '../services/service-spec.js';
import { ServiceError } from '../services/service-env.js';
import { mirrorServiceImage } from './mirror-image.js';
import type { NodeChores } from './node-chores.js';
import type { NodePins } from './node-pins.js';
import { companionServiceSpec, jobServiceSpec } from './service-spec.js';
import { runJobToEnd } from './swarm-task.js';
import type { SwarmEngine } from './swarm-engine.js';
import { waitServiceConverged } from './wait-service.js';

export interface SwarmDeps {
  swarm: SwarmEngine;
  /** The manager's proxy, for the environment overlay. */
  manager: DockerEngine;
  pins: NodePins;
  registry: string;
  /** The Swarm node this worker builds on (SWARM_NODE_ID): where it can create and remove volumes. */
  node: string;
  /** Work for a node's own worker: removing volumes and finished jobs' containers there. */
  chores: NodeChores;
}

/** The label that records the node a stateful service is pinned to. */
export const NODE_LABEL = 'cloud.helvetia.node';

/** A Swarm service name for the environment's companion `name` (cluster-wide, so the environment's id is in it). */
export const companionName = (identity: Pick<DeploymentIdentity, 'instance' | 'repository' | 'environment'>, name: string): string => `helvetia-${environmentId(identity)}-${name}`;

/** The Docker name of the environment's volume `name` on a Swarm node: in the owner's namespace. */
export const swarmVolumeName = (namespace: string, identity: Pick<DeploymentIdentity, 'instance' | 'repository' | 'environment'>, name: string): string => `${namespace}-${environmentId(identity)}-${name}`;

/** `node.id==<id>` for a pinned environment, nothing for a stateless one. */
export const pinConstraints = (node: string | undefined): string[] => (node ? [`node.id==${node}`] : []);

/**
 * prepareEnvironment on Docker Swarm: the environment overlay (internal, on the manager), the
 * volumes on the node the environment is pinned to (this worker's node at the first deploy, where
 * its own proxy creates them labelled), and each companion as a one-task service pinned there too,
 * its image mirrored to the registry, kept while its spec is unchanged. A companion is ready when
 * its healthcheck passes (Swarm's health gate, as for the app) or, without one, when its port
 * accepts TCP from a probe job on the environment overlay.
 */
export async function prepareSwarmEnvironment(input: PrepareInput, deps: SwarmDeps): Promise<PreparedEnvironment> {
  const { identity, log } = input;
  const names = Object.keys(input.services);
  const volumeNames = new Set([...Object.keys(input.appVolumes), ...Object.values(input.services).flatMap((s) => Object.keys(s.volumes))]);
  const network = input.needsNetwork || names.length > 0 || volumeNames.size > 0 ? environmentNetwork(identity) : undefined;
  if (network && !(await deps.manager.networkExists(network))) {
    log.step(`creating the environment overlay ${network}`);
    await deps.manager.createNetwork(network, environmentLabels(identity, 'network'), { internal: true, overlay: true });
  }
  let volumeOf = (name: string) => name;
  let node: string | undefined;
  if (volumeNames.size > 0) {
    const namespace = await deps.swarm.volumeNamespace(network!);
    volumeOf = (name) => swarmVolumeName(namespace, identity, name);
    const here = deps.node;
    node = await deps.pins.pin(identity.repository, identity.environment, here);
    if (node === here) {
      for (const name of volumeNames) await input.engine.createVolume(volumeOf(name), { ...environmentLabels(identity, 'volume'), [SERVICE_LABEL.volume]: name });
      log.step(`volumes ${[...volumeNames].join(', ')} on this node (${node.slice(0, 12)}); the environment is pinned to it`);
    } else {
      log.step(`the environment is pinned to node ${node.slice(0, 12)}, where its volumes are`);
    }
  }
  const mounts = (volumes: Record<string, string>) => Object.fromEntries(Object.entries(volumes).map(([name, path]) => [volumeOf(name), path]));
  const services: ServiceState[] = [];
  for (const name of names) services.push(await ensureSwarmService(input, deps, { name, service: input.services[name]!, network: network!, node, volumes: mounts(input.services[name]!.volumes) }));
  return { ...(network ? { network } : {}), appVolumes: mounts(input.appVolumes), services };
}

async function ensureSwarmService(
  input: PrepareInput,
  deps: SwarmDeps,
  target: { name: string; service: ServiceConfig; network: string; node: string | undefined; volumes: Record<string, string> },
): Promise<ServiceState> {
  const { identity, log, config } = input;
  const { name, service } = target;
  const hash = serviceSpecHash(name, service);
  const serviceName = companionName(identity, name);
  const existing = await deps.swarm.inspectService(serviceName);
  if (existing && existing.labels[LABEL.instance] !== identity.instance) throw new Error(`a service named ${serviceName} exists and is not this helvetia's`);
  if (existing && existing.labels[SERVICE_LABEL.spec] === hash && existing.labels[NODE_LABEL] === (target.node ?? '')) {
    log.step(`service ${name} (${service.image}) unchanged, kept`);
    return { name, image: service.image, state: 'kept' };
  }
  const image = await mirrorServiceImage({ image: service.image, service: name, instance: identity.instance, engine: input.engine, swarm: deps.swarm, registry: deps.registry, config, log, signal: input.signal });
  const labels = { ...ownershipLabels(identity, 'service'), [SERVICE_LABEL.service]: name, [SERVICE_LABEL.spec]: hash, [NODE_LABEL]: target.node ?? '' };
  const spec = companionServiceSpec({
    name: serviceName, image, labels, containerLabels: labels, env: input.serviceEnv.byService[name] ?? {}, volumes: target.volumes, constraints: pinConstraints(target.node),
    limits: { memoryMb: service.memoryMb, cpus: service.cpus, pidsLimit: config.RUN_PIDS_LIMIT },
    network: target.network, alias: name, ...(service.command ? { command: service.command } : {}), ...(service.healthcheck ? { healthcheck: service.healthcheck } : {}), capAdd: service.capAdd,
  });
  log.step(`${existing ? 'replacing (stop-first)' : 'starting'} service ${name} (${service.image}) as ${serviceName}`);
  const id = existing ? (await deps.swarm.updateService(existing.id, existing.version, spec), existing.id) : await deps.swarm.createService(spec);
  try {
    await waitServiceConverged(deps.swarm, { id, replicas: 1, jobId: identity.jobId, update: Boolean(existing) }, {
      deadline: Date.now() + config.HEALTH_TIMEOUT_SECONDS * 1000, signal: input.signal, onProgress: (line) => log.step(`service ${name}: ${line}`),
    });
    if (!service.healthcheck && service.port) await probeSwarmService(input, deps, { name, port: service.port, network: target.network });
  } catch (error) {
    const output = await deps.swarm.serviceLogs(id, 30).catch(() => '');
    for (const line of output.split('\n').filter(Boolean)) log.run(`[${name}] ${line}`);
    if (!existing) await deps.swarm.removeService(id);
    throw error;
  }
  log.step(`service ${name} is ready`);
  return { name, image: service.image, state: existing ? 'replaced' : 'started' };
}

/** A companion without a healthcheck: ready once its port accepts TCP, probed by a job on the environment overlay. */
async function probeSwarmService(input: PrepareInput, deps: SwarmDeps, target: { name: string; port: number; network: string }): Promise<void> {
  const { identity, config, log } = input;
  const timeoutMs = config.HEALTH_TIMEOUT_SECONDS * 1000;
  const image = await mirrorServiceImage({ image: config.PROBE_IMAGE, service: `${target.name} (its TCP probe)`, instance: identity.instance, engine: input.engine, swarm: deps.swarm, registry: deps.registry, config, log, signal: input.signal });
  const labels = ownershipLabels(identity, 'probe');
  const spec = jobServiceSpec({
    name: `${companionName(identity, target.name)}-probe-${randomBytes(3).toString('hex')}`, image, labels, containerLabels: labels, env: {}, network: target.network,
    command: tcpProbeScript(Math.max(1, Math.ceil(timeoutMs / 600)), target.name, String(target.port)), limits: { memoryMb: 32, cpus: 0.2, pidsLimit: 32 },
    constraints: pinConstraints(deps.node),
  });
  const result = await runJobToEnd(deps, spec, { instance: identity.instance, deadline: Date.now() + timeoutMs + 30_000, timeoutMs, signal: input.signal });
  if (!result.ok) throw new ServiceError(`service ${target.name} did not accept connections on port ${target.port} within ${timeoutMs / 1000}s (${result.error})`);
}
