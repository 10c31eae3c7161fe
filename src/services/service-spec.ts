import { createHash } from 'node:crypto';
import type { ContainerCreateOptions } from 'dockerode';
import { hardenedHostConfig, type Limits } from '../docker/container-spec.js';
import type { ServiceConfig } from './service-schema.js';

/** A hash of everything that shapes a service's container (generated values are stable per environment). */
export function serviceSpecHash(name: string, service: ServiceConfig): string {
  const shape = { name, ...service, env: Object.entries(service.env).sort(([a], [b]) => a.localeCompare(b)) };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

/** Named volumes mounted into a container: Docker volume name → path. */
export const volumeMounts = (volumes: Record<string, string>) =>
  Object.entries(volumes).map(([source, target]) => ({ Type: 'volume' as const, Source: source, Target: target, ReadOnly: false }));

/**
 * A companion service's container: hardened like an app (CapDrop ALL plus only the allowed
 * cap_add, no-new-privileges, limits, no host mounts), on the environment network only, where
 * the app finds it by its service name.
 */
export function serviceContainerSpec(input: {
  name: string;
  alias: string;
  service: ServiceConfig;
  env: Record<string, string>;
  /** Docker volume name → mount path. */
  volumes: Record<string, string>;
  network: string;
  labels: Record<string, string>;
  pidsLimit: number;
}): ContainerCreateOptions {
  const { service } = input;
  const limits: Limits = { memoryMb: service.memoryMb, cpus: service.cpus, pidsLimit: input.pidsLimit };
  return {
    name: input.name,
    Image: service.image,
    ...(service.command ? { Cmd: service.command } : {}),
    Labels: input.labels,
    Env: Object.entries(input.env).map(([k, v]) => `${k}=${v}`),
    ...(service.healthcheck ? { Healthcheck: { Test: ['CMD', ...service.healthcheck], Interval: 1e9, Timeout: 5e9, Retries: 3, StartPeriod: 0 } } : {}),
    HostConfig: { ...hardenedHostConfig(limits, input.network), CapAdd: service.capAdd, Mounts: volumeMounts(input.volumes) },
    NetworkingConfig: { EndpointsConfig: { [input.network]: { Aliases: [input.alias] } } },
  };
}

/**
 * A one-off task (release, seed) in the new image: the app's environment and volumes, on the
 * environment network only (it reaches the services, not the internet), run with `sh -c`.
 */
export function taskContainerSpec(input: {
  name: string;
  image: string;
  command: string;
  env: Record<string, string>;
  volumes: Record<string, string>;
  network: string;
  labels: Record<string, string>;
  limits: Limits;
}): ContainerCreateOptions {
  return {
    name: input.name,
    Image: input.image,
    Entrypoint: ['sh', '-c'],
    Cmd: [input.command],
    Labels: input.labels,
    Env: Object.entries(input.env).map(([k, v]) => `${k}=${v}`),
    HostConfig: { ...hardenedHostConfig(input.limits, input.network), RestartPolicy: { Name: 'no' }, Mounts: volumeMounts(input.volumes) },
  };
}

/** A shell loop that exits 0 once `target port` (shell words: "$0" "$1" by default) accepts a TCP connection, 1 after `attempts`. */
export const tcpProbeScript = (attempts: number, target = '"$0"', port = '"$1"'): string =>
  `i=0; while [ $i -lt ${attempts} ]; do if timeout 3 nc -w 2 ${target} ${port} </dev/null 2>/dev/null; then exit 0; fi; i=$((i+1)); sleep 0.5; done; exit 1`;

/** A short-lived TCP probe on the environment network: exits 0 once `target:port` accepts a connection. */
export function tcpProbeSpec(input: { name: string; image: string; target: string; port: number; attempts: number; network: string; labels: Record<string, string> }): ContainerCreateOptions {
  const script = tcpProbeScript(input.attempts);
  return {
    name: input.name,
    Image: input.image,
    Labels: input.labels,
    Entrypoint: ['sh', '-c', script],
    Cmd: [input.target, String(input.port)],
    HostConfig: { ...hardenedHostConfig({ memoryMb: 32, cpus: 0.2, pidsLimit: 32 }, input.network), RestartPolicy: { Name: 'no' } },
  };
}
