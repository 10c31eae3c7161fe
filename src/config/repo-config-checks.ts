import { imageAllowed, SERVICE_REF, type ServiceConfig } from '../services/service-schema.js';
import type { RawRepoConfig } from './repo-config-schema.js';

/** The server's maxima a repository may ask for, and defaults when it asks for nothing. */
export interface RepoLimits {
  memoryMb: number;
  cpus: number;
  port: number;
  /** SERVICE_CAP_ADD_ALLOWED: what a service's cap_add may list. */
  serviceCapAdd?: readonly string[];
  /** SERVICE_IMAGES: globs a service image must match (unset: any). */
  serviceImages?: readonly string[];
}

/** Reports a problem at a path of the file; never returns. */
export type Fail = (path: PropertyKey[], message: string) => never;

function resources(r: { memory_mb?: number; cpus?: number }, at: PropertyKey[], limits: RepoLimits, fail: Fail): { memoryMb: number; cpus: number } {
  const memoryMb = r.memory_mb ?? limits.memoryMb;
  const cpus = r.cpus ?? limits.cpus;
  if (memoryMb > limits.memoryMb) fail([...at, 'memory_mb'], `${memoryMb} is over this server's maximum of ${limits.memoryMb}`);
  if (cpus > limits.cpus) fail([...at, 'cpus'], `${cpus} is over this server's maximum of ${limits.cpus}`);
  return { memoryMb, cpus };
}

/**
 * What the schema cannot know: the server's maxima and allowlists, and whether every
 * `${services.x.env.Y}` the app's env uses names a service value that exists.
 */
export function checkAgainstServer(c: RawRepoConfig, limits: RepoLimits, fail: Fail): { memoryMb: number; cpus: number; services: Record<string, ServiceConfig> } {
  const app = resources(c.resources, ['resources'], limits, fail);
  const services: Record<string, ServiceConfig> = {};
  for (const [name, s] of Object.entries(c.services)) {
    const at = ['services', name];
    if (!imageAllowed(s.image, limits.serviceImages)) fail([...at, 'image'], `${s.image} is not allowed on this server (SERVICE_IMAGES: ${limits.serviceImages!.join(', ')})`);
    const refused = s.cap_add.filter((cap) => !(limits.serviceCapAdd ?? []).includes(cap));
    if (refused.length) fail([...at, 'cap_add'], `${refused.join(', ')} not allowed on this server (SERVICE_CAP_ADD_ALLOWED: ${(limits.serviceCapAdd ?? []).join(', ') || 'none'})`);
    if (s.port === undefined && s.healthcheck === undefined) fail(at, 'needs a port (probed over TCP) or a healthcheck command, so the app starts only once it is up');
    services[name] = {
      image: s.image, ...(s.command ? { command: s.command } : {}), env: s.env, volumes: s.volumes,
      ...(s.port !== undefined ? { port: s.port } : {}), ...(s.healthcheck ? { healthcheck: s.healthcheck } : {}),
      capAdd: s.cap_add, ...resources(s.resources, [...at, 'resources'], limits, fail),
    };
  }
  for (const [key, value] of Object.entries(c.env)) {
    for (const [, service, variable] of value.matchAll(SERVICE_REF)) {
      if (!services[service!]) fail(['env', key], `refers to service ${service}, which .helvetia.yml does not define`);
      if (!(variable! in services[service!]!.env)) fail(['env', key], `refers to ${variable}, which service ${service} does not set in its env`);
    }
  }
  return { ...app, services };
}
