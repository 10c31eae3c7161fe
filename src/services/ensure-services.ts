import { randomBytes } from 'node:crypto';
import type { Config } from '../config/load-config.js';
import type { DockerEngine } from '../docker/engine.js';
import { LABEL, ownedFilters, ownershipLabels, type DeploymentIdentity } from '../docker/labels.js';
import type { DeployLog } from '../worker/deploy-log.js';
import { environmentId, environmentLabels, environmentNetwork, SERVICE_LABEL, volumeName } from './environment-objects.js';
import { ServiceError, type ServiceEnv } from './service-env.js';
import { waitServiceReady } from './service-health.js';
import type { ServiceConfig } from './service-schema.js';
import { serviceContainerSpec, serviceSpecHash } from './service-spec.js';

export interface ServiceState {
  name: string;
  image: string;
  /** kept: same spec, still running; started: first one; replaced: its spec changed. */
  state: 'kept' | 'started' | 'replaced';
}

export interface PreparedEnvironment {
  /** The environment network, when the app needs one (services, release or seed). */
  network?: string;
  /** The app's volumes: Docker volume name → mount path. */
  appVolumes: Record<string, string>;
  services: ServiceState[];
}

/** What preparing an environment takes (on one host, or on Swarm: src/swarm/swarm-environment.ts). */
export interface PrepareInput {
  identity: DeploymentIdentity;
  services: Record<string, ServiceConfig>;
  appVolumes: Record<string, string>;
  needsNetwork: boolean;
  serviceEnv: ServiceEnv;
  engine: DockerEngine;
  config: Config;
  log: DeployLog;
  signal: AbortSignal;
}

const dockerVolumes = (identity: DeploymentIdentity, volumes: Record<string, string>) =>
  Object.fromEntries(Object.entries(volumes).map(([name, path]) => [volumeName(identity, name), path]));

/**
 * Brings an environment's companions up before its app: the private network, the named volumes
 * (kept across deploys), and each service, kept when its spec is unchanged and running, else
 * (re)started and waited for. A replaced service's old container is stopped first (two database
 * servers must never share a data volume) and started again if the new one never gets ready.
 */
export async function prepareEnvironment(input: PrepareInput): Promise<PreparedEnvironment> {
  const { identity, engine } = input;
  const names = Object.keys(input.services);
  const network = input.needsNetwork || names.length > 0 ? environmentNetwork(identity) : undefined;
  if (network && !(await engine.networkExists(network))) {
    input.log.step(`creating the environment network ${network}`);
    await engine.createNetwork(network, environmentLabels(identity, 'network'), { internal: true });
  }
  const allVolumes = new Set([...Object.keys(input.appVolumes), ...Object.values(input.services).flatMap((s) => Object.keys(s.volumes))]);
  for (const name of allVolumes) await engine.createVolume(volumeName(identity, name), { ...environmentLabels(identity, 'volume'), [SERVICE_LABEL.volume]: name });
  const services: ServiceState[] = [];
  for (const name of names) services.push(await ensureService(input, name, input.services[name]!, network!));
  return { ...(network ? { network } : {}), appVolumes: dockerVolumes(identity, input.appVolumes), services };
}

async function ensureService(input: PrepareInput, name: string, service: ServiceConfig, network: string): Promise<ServiceState> {
  const { identity, engine, config, log } = input;
  const hash = serviceSpecHash(name, service);
  const existing = await engine.listContainers(ownedFilters(identity.instance, { [LABEL.repository]: identity.repository, [LABEL.environment]: identity.environment, [LABEL.role]: 'service', [SERVICE_LABEL.service]: name }));
  const current = existing.find((c) => c.labels[SERVICE_LABEL.spec] === hash && c.state === 'running');
  if (current) {
    for (const stale of existing.filter((c) => c.id !== current.id)) await engine.removeContainer(stale.id);
    log.step(`service ${name} (${service.image}) unchanged, kept`);
    return { name, image: service.image, state: 'kept' };
  }
  if (!(await engine.imageExists(service.image))) {
    log.step(`pulling ${service.image} for service ${name}`);
    await engine.pullImage(service.image, input.signal).catch((error: Error) => Promise.reject(new ServiceError(`service ${name}: image ${service.image} is not on this host and could not be pulled: ${error.message}`)));
  }
  const containerName = `helvetia-${environmentId(identity)}-${name}-${randomBytes(3).toString('hex')}`;
  const labels = { ...ownershipLabels(identity, 'service'), [SERVICE_LABEL.service]: name, [SERVICE_LABEL.spec]: hash };
  const id = await engine.createContainer(
    serviceContainerSpec({ name: containerName, alias: name, service, env: input.serviceEnv.byService[name] ?? {}, volumes: dockerVolumes(identity, service.volumes), network, labels, pidsLimit: config.RUN_PIDS_LIMIT }),
  );
  for (const old of existing) await engine.stopContainer(old.id, 30);
  log.step(`${existing.length ? 'replacing' : 'starting'} service ${name} (${service.image})`);
  try {
    await engine.startContainer(id);
    await waitServiceReady(engine, { containerId: id, containerName, name, service, network, probeImage: config.PROBE_IMAGE, timeoutMs: config.HEALTH_TIMEOUT_SECONDS * 1000, labels, signal: input.signal });
  } catch (error) {
    const output = await engine.containerLogs(id, 30).catch(() => '');
    for (const line of output.split('\n').filter(Boolean)) log.run(`[${name}] ${line}`);
    await engine.removeContainer(id);
    for (const old of existing) await engine.startContainer(old.id).catch(() => undefined);
    throw error;
  }
  for (const old of existing) await engine.removeContainer(old.id);
  log.step(`service ${name} is ready`);
  return { name, image: service.image, state: existing.length ? 'replaced' : 'started' };
}
