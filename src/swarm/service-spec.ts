import type { Limits } from '../docker/container-spec.js';

export interface AppServiceInput {
  name: string;
  /** The image by digest: repository@sha256:… (every node pulls exactly what was built). */
  image: string;
  replicas: number;
  /** Owner and identity labels of the service; its containers get `containerLabels`. */
  labels: Record<string, string>;
  containerLabels: Record<string, string>;
  env: Record<string, string>;
  limits: Limits;
  /** The attachable overlay edge network, and the environment's alias on it. */
  network: string;
  alias: string;
  /** The environment's own overlay (companion services), when it has one. */
  environmentNetwork?: string;
  /** Named volumes: volume name → mount path (the service is then pinned where they live). */
  volumes?: Record<string, string>;
  /** Placement constraints, e.g. node.id==… for a stateful environment. */
  constraints?: string[];
  /** Seconds a new task is watched after it turned healthy before the update moves on. */
  monitorSeconds: number;
}

const seconds = (s: number) => Math.round(s * 1e9);

/**
 * The Swarm service of one environment, hardened like a container the bot runs (CapDrop ALL, no
 * capability added, memory / CPU / pids limits, no host mount) and updated the zero-downtime way:
 * a new task starts first, the image's HEALTHCHECK gates it (a task counts as running only once
 * healthy), a failure rolls the service back to the previous spec. Endpoint mode dnsrr: the
 * environment's alias resolves to the tasks themselves, and Traefik routes to task addresses, so
 * nothing depends on the IPVS virtual IP (which some kernels lack).
 * no-new-privileges has no field in ServiceSpec before Engine API 1.44; this engine speaks 1.41.
 */
export function appServiceSpec(input: AppServiceInput): object {
  const update = { Parallelism: 1, Delay: 0, FailureAction: 'rollback', Monitor: seconds(input.monitorSeconds), MaxFailureRatio: 0, Order: 'start-first' };
  return {
    Name: input.name,
    Labels: input.labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: input.image,
        Labels: input.containerLabels,
        Env: Object.entries(input.env).map(([k, v]) => `${k}=${v}`),
        CapabilityDrop: ['ALL'],
        CapabilityAdd: [],
        StopGracePeriod: seconds(10),
        Mounts: Object.entries(input.volumes ?? {}).map(([source, target]) => ({ Type: 'volume', Source: source, Target: target, ReadOnly: false })),
      },
      Resources: {
        Limits: { MemoryBytes: input.limits.memoryMb * 1024 * 1024, NanoCPUs: Math.round(input.limits.cpus * 1e9), Pids: input.limits.pidsLimit },
      },
      RestartPolicy: { Condition: 'any', Delay: seconds(1), MaxAttempts: 0 },
      Placement: { Constraints: input.constraints ?? [] },
      Networks: [{ Target: input.network, Aliases: [input.alias] }, ...(input.environmentNetwork ? [{ Target: input.environmentNetwork }] : [])],
      LogDriver: { Name: 'json-file', Options: { 'max-size': '10m', 'max-file': '3' } },
    },
    Mode: { Replicated: { Replicas: input.replicas } },
    UpdateConfig: update,
    RollbackConfig: { ...update, FailureAction: 'pause' },
    EndpointSpec: { Mode: 'dnsrr' },
  };
}
