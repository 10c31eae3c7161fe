import type { ContainerCreateOptions } from 'dockerode';

export interface Limits {
  memoryMb: number;
  cpus: number;
  pidsLimit: number;
}

export interface AppContainerInput {
  name: string;
  image: string;
  port: number;
  network: string;
  /**
   * Stable DNS alias of the environment on the edge network. Omitted for a container still being
   * health-checked: it gets the alias only once it answers (see runStep), so the alias never
   * resolves to a container that is not listening yet.
   */
  alias?: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  limits: Limits;
  /** Named volumes: Docker volume name → mount path. */
  volumes?: Record<string, string>;
}

/** Docker HostConfig hardening every container the bot runs gets; the proxy would refuse less. */
export function hardenedHostConfig(limits: Limits, network: string): NonNullable<ContainerCreateOptions['HostConfig']> {
  const memory = limits.memoryMb * 1024 * 1024;
  return {
    Privileged: false,
    CapDrop: ['ALL'],
    CapAdd: [],
    SecurityOpt: ['no-new-privileges:true'],
    Memory: memory,
    MemorySwap: memory,
    NanoCpus: Math.round(limits.cpus * 1e9),
    PidsLimit: limits.pidsLimit,
    Binds: [],
    Mounts: [],
    Devices: [],
    PublishAllPorts: false,
    NetworkMode: network,
    LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
  };
}

/** The create request for a deployed app container: hardened, labelled, on the edge network only. */
export function appContainerSpec(input: AppContainerInput): ContainerCreateOptions {
  return {
    name: input.name,
    Image: input.image,
    Labels: input.labels,
    Env: Object.entries(input.env).map(([k, v]) => `${k}=${v}`),
    ExposedPorts: { [`${input.port}/tcp`]: {} },
    HostConfig: {
      ...hardenedHostConfig(input.limits, input.network),
      Mounts: Object.entries(input.volumes ?? {}).map(([source, target]) => ({ Type: 'volume' as const, Source: source, Target: target, ReadOnly: false })),
    },
    NetworkingConfig: { EndpointsConfig: { [input.network]: input.alias ? { Aliases: [input.alias] } : {} } },
  };
}

/**
 * A short-lived probe on the edge network that asks the new container for HTTP from inside the
 * network (never from the host to a container address). Exits 0 once it answers.
 */
export function probeContainerSpec(input: {
  name: string;
  image: string;
  target: string;
  port: number;
  path: string;
  attempts: number;
  network: string;
  labels: Record<string, string>;
}): ContainerCreateOptions {
  const url = `http://${input.target}:${input.port}${input.path}`;
  const script = `i=0; while [ $i -lt ${input.attempts} ]; do if timeout 3 wget -q -O /dev/null "$0"; then exit 0; fi; i=$((i+1)); sleep 0.5; done; exit 1`;
  return {
    name: input.name,
    Image: input.image,
    Labels: input.labels,
    Entrypoint: ['sh', '-c', script],
    Cmd: [url],
    HostConfig: { ...hardenedHostConfig({ memoryMb: 32, cpus: 0.2, pidsLimit: 32 }, input.network), RestartPolicy: { Name: 'no' } },
  };
}
