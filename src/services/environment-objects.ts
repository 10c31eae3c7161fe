import { createHash } from 'node:crypto';
import { LABEL, type DeploymentIdentity } from '../docker/labels.js';

/** Label keys of companion objects (besides the ownership labels). */
export const SERVICE_LABEL = {
  service: 'cloud.helvetia.service',
  /** Hash of the service's spec: a changed spec replaces the container, an equal one keeps it. */
  spec: 'cloud.helvetia.spec',
  volume: 'cloud.helvetia.volume',
} as const;

/** A short, stable id of one environment of one repository of one helvetia installation. */
export const environmentId = (id: Pick<DeploymentIdentity, 'instance' | 'repository' | 'environment'>): string =>
  createHash('sha256').update(`${id.instance}\0${id.repository.toLowerCase()}\0${id.environment}`).digest('hex').slice(0, 12);

/** The environment's private network: its services and its app containers, nothing else. */
export const environmentNetwork = (id: Pick<DeploymentIdentity, 'instance' | 'repository' | 'environment'>): string => `helvetia-env-${environmentId(id)}`;

/** The Docker name of the environment's volume `name`. */
export const volumeName = (id: Pick<DeploymentIdentity, 'instance' | 'repository' | 'environment'>, name: string): string => `helvetia-${environmentId(id)}-${name}`;

/** Labels of an environment-level object (network, volume): who owns it, and which environment. */
export function environmentLabels(id: Pick<DeploymentIdentity, 'instance' | 'repository' | 'environment' | 'installationId'>, role: 'network' | 'volume'): Record<string, string> {
  return {
    [LABEL.managed]: 'true',
    [LABEL.instance]: id.instance,
    [LABEL.repository]: id.repository,
    [LABEL.environment]: id.environment,
    [LABEL.installation]: String(id.installationId),
    [LABEL.role]: role,
  };
}
