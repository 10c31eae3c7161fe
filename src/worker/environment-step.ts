import type { Config } from '../config/load-config.js';
import type { RepoConfig } from '../config/repo-config.js';
import type { DockerEngine } from '../docker/engine.js';
import type { DeploymentIdentity } from '../docker/labels.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { ServiceState } from '../services/ensure-services.js';
import { interpolateAppEnv, resolveServiceEnv } from '../services/service-env.js';
import type { DeployLog } from './deploy-log.js';
import type { DeployState } from './deploy-state.js';
import type { Runtime } from './runtime.js';

export interface EnvironmentReady {
  /** The app's environment variables: .helvetia.yml env (service references filled in) and secrets. */
  env: Record<string, string>;
  network?: string;
  appVolumes: Record<string, string>;
  services: ServiceState[];
}

/**
 * Between the build and the swap: the environment's companions (network, volumes, services), then
 * the release command in the new image, then (a fresh preview only) the seed command, once.
 * Generated values join the log's secrets before anything can print them.
 */
export async function environmentStep(input: {
  identity: DeploymentIdentity;
  repositoryId: number;
  image: string;
  repoConfig: RepoConfig;
  secretEnv: Record<string, string>;
  store?: SecretStore;
  state: DeployState;
  engine: DockerEngine;
  /** Where the environment runs: its companions and one-off tasks go there too. */
  runtime: Runtime;
  config: Config;
  log: DeployLog;
  signal: AbortSignal;
}): Promise<EnvironmentReady> {
  const { identity, repoConfig, log } = input;
  const serviceEnv = await resolveServiceEnv(repoConfig.services, { store: input.store, repositoryId: input.repositoryId, environment: identity.environment });
  log.addSecrets(serviceEnv.generated);
  const env = { ...interpolateAppEnv(repoConfig.env, serviceEnv), ...input.secretEnv };
  const prepared = await input.runtime.prepare({
    identity, services: repoConfig.services, appVolumes: repoConfig.volumes, needsNetwork: Boolean(repoConfig.release || repoConfig.seed), serviceEnv,
    engine: input.engine, config: input.config, log, signal: input.signal,
  });
  const task = (kind: 'release' | 'seed', command: string) =>
    input.runtime.runTask({
      kind, command, image: input.image, identity, env: { ...env, PORT: String(repoConfig.port) }, network: prepared.network!, volumes: prepared.appVolumes,
      limits: { memoryMb: repoConfig.memoryMb, cpus: repoConfig.cpus, pidsLimit: input.config.RUN_PIDS_LIMIT },
      engine: input.engine, log, timeoutMs: input.config.BUILD_TIMEOUT_SECONDS * 1000, signal: input.signal,
    });
  if (repoConfig.release) await task('release', repoConfig.release);
  if (repoConfig.seed && identity.environment !== 'production' && !(await input.state.seeded(identity.repository, identity.environment))) {
    await task('seed', repoConfig.seed);
    await input.state.markSeeded(identity.repository, identity.environment);
  }
  return { env, ...(prepared.network ? { network: prepared.network } : {}), appVolumes: prepared.appVolumes, services: prepared.services };
}
