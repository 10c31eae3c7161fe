import { isDnsLabel } from './hostname.js';

export interface RouteOptions {
  /** Fully qualified hostname, already sanitized by environmentHostname. */
  hostname: string;
  /** Port the app listens on inside the container. */
  port: number;
  network: string;
  entrypoint: string;
  tls: boolean;
  /** docker: labels on the container (providers.docker); swarm: on the service (providers.swarm). */
  provider?: 'docker' | 'swarm';
}

/** Router/service name: the hostname's first label, which is unique per environment. */
export function routerName(hostname: string): string {
  return `helvetia-${hostname.split('.')[0]!}`;
}

/**
 * Traefik v3 Docker- (or Swarm-) provider labels routing `hostname` to the container port (the
 * port label is mandatory for Swarm, which has no exposed port to guess from). The hostname is
 * re-validated here so no caller can smuggle a backtick or `||` into the rule.
 */
export function traefikLabels(opts: RouteOptions): Record<string, string> {
  const labels = opts.hostname.split('.');
  if (!labels.every(isDnsLabel) || opts.hostname.length > 253) {
    throw new Error(`refusing to route an invalid hostname: ${JSON.stringify(opts.hostname)}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) {
    throw new Error(`invalid container port ${opts.port}`);
  }
  const name = routerName(opts.hostname);
  const result: Record<string, string> = {
    'traefik.enable': 'true',
    [`traefik.${opts.provider ?? 'docker'}.network`]: opts.network,
    [`traefik.http.routers.${name}.rule`]: `Host(\`${opts.hostname}\`)`,
    [`traefik.http.routers.${name}.entrypoints`]: opts.entrypoint,
    [`traefik.http.routers.${name}.service`]: name,
    [`traefik.http.services.${name}.loadbalancer.server.port`]: String(opts.port),
  };
  if (opts.tls) result[`traefik.http.routers.${name}.tls`] = 'true';
  return result;
}
