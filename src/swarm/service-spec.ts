import type { Limits } from '../docker/container-spec.js';

/** What every task the swarm backend starts has: an image by digest, labels, env, limits, networks, volumes, a place. */
interface TaskInput {
  /** The image by digest: repository@sha256:… (every node pulls exactly what was pushed). */
  image: string;
  /** Owner and identity labels of the service; its containers get `containerLabels`. */
  labels: Record<string, string>;
  containerLabels: Record<string, string>;
  env: Record<string, string>;
  limits: Limits;
  /** Named volumes: volume name → mount path (the service is then pinned where they live). */
  volumes?: Record<string, string>;
  /** Placement constraints, e.g. node.id==… for a stateful environment. */
  constraints?: string[];
}

export interface AppServiceInput extends TaskInput {
  name: string;
  replicas: number;
  /** The attachable overlay edge network, and the environment's alias on it. */
  network: string;
  alias: string;
  /** The environment's own overlay (companion services), when it has one. */
  environmentNetwork?: string;
  /** stop-first (strategy: recreate): the old task stops before the new one starts, as with a volume only one may use. */
  stopFirst?: boolean;
  /** Seconds a new task is watched after it turned healthy before the update moves on. */
  monitorSeconds: number;
}

const seconds = (s: number) => Math.round(s * 1e9);

/**
 * The task template of every service: hardened like a container the bot runs (CapDrop ALL, only
 * allowlisted capabilities added, memory / CPU / pids limits, no host mount).
 * no-new-privileges has no field in ServiceSpec before Engine API 1.44; this engine speaks 1.41.
 */
function taskTemplate(input: TaskInput, container: object, networks: object[], restart: object): object {
  return {
    ContainerSpec: {
      Image: input.image,
      Labels: input.containerLabels,
      Env: Object.entries(input.env).map(([k, v]) => `${k}=${v}`),
      CapabilityDrop: ['ALL'],
      CapabilityAdd: [],
      StopGracePeriod: seconds(10),
      Mounts: Object.entries(input.volumes ?? {}).map(([source, target]) => ({ Type: 'volume', Source: source, Target: target, ReadOnly: false })),
      ...container,
    },
    Resources: {
      Limits: { MemoryBytes: input.limits.memoryMb * 1024 * 1024, NanoCPUs: Math.round(input.limits.cpus * 1e9), Pids: input.limits.pidsLimit },
    },
    RestartPolicy: restart,
    Placement: { Constraints: input.constraints ?? [] },
    Networks: networks,
    LogDriver: { Name: 'json-file', Options: { 'max-size': '10m', 'max-file': '3' } },
  };
}

const updateConfig = (monitorSeconds: number, stopFirst: boolean) => ({
  Parallelism: 1, Delay: 0, FailureAction: 'rollback', Monitor: seconds(monitorSeconds), MaxFailureRatio: 0, Order: stopFirst ? 'stop-first' : 'start-first',
});

/**
 * The Swarm service of one environment, updated the zero-downtime way: a new task starts first,
 * the image's HEALTHCHECK gates it (a task counts as running only once healthy), a failure rolls
 * the service back to the previous spec. Endpoint mode dnsrr: the environment's alias resolves to
 * the tasks themselves, and Traefik routes to task addresses, so nothing depends on the IPVS
 * virtual IP (which some kernels lack).
 */
export function appServiceSpec(input: AppServiceInput): object {
  const update = updateConfig(input.monitorSeconds, input.stopFirst ?? false);
  const networks = [{ Target: input.network, Aliases: [input.alias] }, ...(input.environmentNetwork ? [{ Target: input.environmentNetwork }] : [])];
  return {
    Name: input.name,
    Labels: input.labels,
    TaskTemplate: taskTemplate(input, {}, networks, { Condition: 'any', Delay: seconds(1), MaxAttempts: 0 }),
    Mode: { Replicated: { Replicas: input.replicas } },
    UpdateConfig: update,
    RollbackConfig: { ...update, FailureAction: 'pause' },
    EndpointSpec: { Mode: 'dnsrr' },
  };
}

export interface CompanionServiceInput extends TaskInput {
  name: string;
  /** The environment overlay, where the app finds the service by `alias` (its name in .helvetia.yml). */
  network: string;
  alias: string;
  command?: string[];
  healthcheck?: string[];
  capAdd: string[];
}

/**
 * A companion service (a database of the environment): one task on the environment overlay only,
 * replaced stop-first (two database servers must never share a data volume), its healthcheck (when
 * it has one) gating it like the app's.
 */
export function companionServiceSpec(input: CompanionServiceInput): object {
  const update = updateConfig(0, true);
  const container = {
    ...(input.command ? { Args: input.command } : {}),
    CapabilityAdd: input.capAdd,
    ...(input.healthcheck ? { Healthcheck: { Test: ['CMD', ...input.healthcheck], Interval: seconds(1), Timeout: seconds(5), Retries: 3, StartPeriod: 0 } } : {}),
  };
  return {
    Name: input.name,
    Labels: input.labels,
    TaskTemplate: taskTemplate(input, container, [{ Target: input.network, Aliases: [input.alias] }], { Condition: 'any', Delay: seconds(1), MaxAttempts: 0 }),
    Mode: { Replicated: { Replicas: 1 } },
    UpdateConfig: update,
    RollbackConfig: { ...update, FailureAction: 'pause' },
    EndpointSpec: { Mode: 'dnsrr' },
  };
}

/** A one-off command (release, seed) in the new image: a replicated job of one task, never restarted, on the environment overlay. */
export function jobServiceSpec(input: TaskInput & { name: string; command: string; network: string }): { Name: string } {
  const spec: { Name: string } & Record<string, unknown> = {
    Name: input.name,
    Labels: input.labels,
    TaskTemplate: taskTemplate(input, { Command: ['sh', '-c'], Args: [input.command] }, [{ Target: input.network }], { Condition: 'none' }),
    Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
  };
  return spec;
}
