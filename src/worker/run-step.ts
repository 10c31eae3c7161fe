import { randomBytes } from 'node:crypto';
import type { Config } from '../config/load-config.js';
import { appContainerSpec } from '../docker/container-spec.js';
import type { ContainerSummary, DockerEngine } from '../docker/engine.js';
import { environmentFilters, LABEL, ownershipLabels, type DeploymentIdentity } from '../docker/labels.js';
import { traefikLabels } from '../docker/traefik-labels.js';
import { DockerRefusedError, dockerMessage } from './deploy-errors.js';
import type { DeployLog } from './deploy-log.js';
import type { DeployState } from './deploy-state.js';
import { UnhealthyError, waitHealthy } from './health.js';
import type { RepoConfig } from '../config/repo-config.js';
import { withEnvironmentLock } from './environment-lock.js';
import { retire, switchOver } from './switch-over.js';
import { prepareRelay, type HandoffRelay } from './handoff-relay.js';

export interface RunInput {
  identity: DeploymentIdentity;
  image: string;
  hostname: string;
  repoConfig: RepoConfig;
  /** The app's environment (secrets among it): into the container at create time, and nowhere else. */
  env: Record<string, string>;
  /** The environment network (services), joined besides the edge network. */
  environmentNetwork?: string;
  /** Named volumes: Docker volume name → mount path. */
  volumes?: Record<string, string>;
  engine: DockerEngine;
  state: DeployState;
  config: Config;
  log: DeployLog;
  signal: AbortSignal;
  /** Throws SupersededError when a newer deploy of the environment exists. */
  assertLatest: () => Promise<void>;
}

/**
 * Starts the new container next to the old one, waits until it is healthy, and only then removes
 * the previous containers of the environment (zero downtime). If it never becomes healthy, the new
 * container goes and the old one keeps serving.
 */
export interface RunResult {
  containerId: string;
  healthMs: number;
  /**
   * Drains, stops and removes the previous containers, which already left the environment's alias. Called
   * once the deploy is reported: an app that ignores SIGTERM costs its stop timeout, not the
   * user's wait for a green check.
   */
  retire(spare?: (image: string) => Promise<boolean>): Promise<void>;
}

export async function runStep(input: RunInput): Promise<RunResult> {
  const { identity, engine, config, log, repoConfig } = input;
  const alias = input.hostname.split('.')[0]!;
  const name = `helvetia-${alias}-${identity.sha.slice(0, 7)}-${randomBytes(3).toString('hex')}`;
  const labels = {
    ...ownershipLabels(identity, 'app'),
    [LABEL.hostname]: input.hostname,
    ...traefikLabels({ hostname: input.hostname, port: repoConfig.port, network: config.EDGE_NETWORK, entrypoint: config.TRAEFIK_ENTRYPOINT, tls: config.TRAEFIK_TLS }),
  };
  let containerId: string;
  try {
    containerId = await engine.createContainer(
      appContainerSpec({
        name,
        image: input.image,
        port: repoConfig.port,
        network: config.EDGE_NETWORK,
        labels,
        env: { ...input.env, PORT: String(repoConfig.port) },
        limits: { memoryMb: repoConfig.memoryMb, cpus: repoConfig.cpus, pidsLimit: config.RUN_PIDS_LIMIT },
        volumes: input.volumes,
      }),
    );
    if (input.environmentNetwork) await engine.connectNetwork(containerId, input.environmentNetwork, {});
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 403) throw new DockerRefusedError(dockerMessage(error));
    if (status === 404 && /network/i.test(dockerMessage(error))) {
      throw new DockerRefusedError(`${dockerMessage(error)}: the edge network ${config.EDGE_NETWORK} is gone; restart the worker (it creates it) or run docker network create --subnet 10.201.0.0/20 ${config.EDGE_NETWORK}`);
    }
    throw error;
  }
  // recreate: the previous app containers stop before the new one starts (exclusive volume use);
  // they are started again if the new one never becomes healthy.
  const stopped = repoConfig.strategy === 'recreate' ? await stopPrevious(input, containerId) : [];
  const started = Date.now();
  // The hand-off relay for the switch starts while the new container is health-checked.
  let relayReady: Promise<HandoffRelay | undefined> = Promise.resolve(undefined);
  const dropRelay = async () => {
    const relay = await relayReady.catch(() => undefined);
    if (relay) await engine.removeContainer(relay.id);
  };
  try {
    log.step(`starting container ${name}`);
    // The image's HEALTHCHECK is looked up while the container starts: one round trip off the path.
    const [, hasHealthcheck] = await Promise.all([engine.startContainer(containerId), engine.imageHealthcheck(input.image)]);
    relayReady = prepareRelay(input, containerId, alias);
    relayReady.catch(() => undefined); // awaited at the switch, or by dropRelay
    await waitHealthy(engine, hasHealthcheck, {
      containerId,
      containerName: name,
      port: repoConfig.port,
      path: repoConfig.healthcheck,
      network: config.EDGE_NETWORK,
      probeImage: config.PROBE_IMAGE,
      timeoutMs: config.HEALTH_TIMEOUT_SECONDS * 1000,
      labels: ownershipLabels(identity, 'probe'),
      signal: input.signal,
      onStep: (m) => log.step(m),
    });
    await input.assertLatest();
  } catch (error) {
    if (error instanceof UnhealthyError) {
      const output = await engine.containerLogs(containerId, 50).catch(() => '');
      for (const line of output.split('\n').filter(Boolean)) log.run(line);
    }
    log.step(`removing the new container ${name}; the previous deployment keeps serving`);
    await engine.removeContainer(containerId);
    await dropRelay();
    for (const old of stopped) await engine.startContainer(old.id).catch(() => undefined);
    throw error;
  }
  const healthMs = Date.now() - started;
  log.step(`container ${name} is healthy after ${(healthMs / 1000).toFixed(1)}s`);
  let previous: ContainerSummary[] = [];
  await withEnvironmentLock(input.state.redis, `${input.state.prefix}:swap:${identity.repository}@${identity.environment}`, async () => {
    try {
      await input.assertLatest();
    } catch (error) {
      await engine.removeContainer(containerId);
      await dropRelay();
      throw error;
    }
    previous = await switchOver(input, containerId, alias, await relayReady);
  });
  return { containerId, healthMs, retire: (spare) => retire(input, previous, spare) };
}

/** Stops (keeps) every other app container of the environment, for the recreate strategy. */
async function stopPrevious(input: RunInput, containerId: string): Promise<ContainerSummary[]> {
  const { identity, engine, log } = input;
  const previous = (await engine.listContainers(environmentFilters(identity.instance, identity.repository, identity.environment))).filter((c) => c.id !== containerId && c.state === 'running');
  for (const old of previous) {
    log.step(`recreate: stopping the previous container ${old.name} before the new one starts`);
    await engine.stopContainer(old.id, 10);
  }
  return previous;
}
