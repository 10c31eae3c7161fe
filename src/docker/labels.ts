/** Label keys the bot puts on everything it creates; the proxy enforces the first one. */
export const LABEL = {
  managed: 'cloud.helvetia.managed',
  repository: 'cloud.helvetia.repository',
  environment: 'cloud.helvetia.environment',
  sha: 'cloud.helvetia.sha',
  job: 'cloud.helvetia.job',
  hostname: 'cloud.helvetia.hostname',
  role: 'cloud.helvetia.role',
  installation: 'cloud.helvetia.installation',
  /** Which helvetia installation (QUEUE_PREFIX) owns it: several may share one Docker host. */
  instance: 'cloud.helvetia.instance',
} as const;

export interface DeploymentIdentity {
  /** owner/name as GitHub spells it. */
  repository: string;
  /** "production" or "pr-<n>". */
  environment: string;
  sha: string;
  jobId: string;
  /** GitHub App installation, so the reconciler can ask GitHub about the environment later. */
  installationId: number;
  /** QUEUE_PREFIX of the helvetia installation that owns the objects. */
  instance: string;
}

/** Label filters selecting what this helvetia installation owns, narrowed by `extra` (key=value). */
export function ownedFilters(instance: string, extra: Record<string, string> = {}): string[] {
  return [`${LABEL.managed}=true`, `${LABEL.instance}=${instance}`, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)];
}

/** What an object the bot creates is for (`cloud.helvetia.role`). */
export type Role = 'app' | 'probe' | 'relay' | 'image' | 'service' | 'task';

/** Labels selecting the objects of one role in one environment (its app containers by default). */
export function environmentFilters(instance: string, repository: string, environment: string, role: Role = 'app'): string[] {
  return ownedFilters(instance, { [LABEL.repository]: repository, [LABEL.environment]: environment, [LABEL.role]: role });
}

/** Ownership and identity labels (no routing): images, app containers, probes, relays, services and one-off tasks. */
export function ownershipLabels(id: DeploymentIdentity, role: Role): Record<string, string> {
  return {
    [LABEL.managed]: 'true',
    [LABEL.repository]: id.repository,
    [LABEL.environment]: id.environment,
    [LABEL.sha]: id.sha,
    [LABEL.job]: id.jobId,
    [LABEL.installation]: String(id.installationId),
    [LABEL.instance]: id.instance,
    [LABEL.role]: role,
  };
}
