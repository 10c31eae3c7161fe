/**
 * The deployment promises that live in docker-compose.yml (security guidelines: only the proxy
 * sees the socket, read-only, on no published port; the worker and Traefik use their own proxy;
 * networks segmented), checked on the file itself so an edit that breaks one fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FLAG_NAMES, loadProxyConfig } from '../../src/proxy/config.js';
import { matchRoute } from '../../src/proxy/path-rules.js';

interface Service {
  command?: string[];
  environment?: Record<string, unknown>;
  volumes?: string[];
  ports?: string[];
  networks?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  user?: string;
}
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, Service>;
  networks: Record<string, { internal?: boolean; name?: string } | null>;
};
const { services } = compose;
const PROXIES = ['docker-proxy', 'traefik-docker-proxy'];
const env = (name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, String(v)]));
/** What compose interpolates from .env (it refuses to start while the variable is unset or empty). */
const SECRET_FROM_ENV = '${PROXY_OWNER_SECRET:?set PROXY_OWNER_SECRET in .env}';
/** The environment as compose would hand it over, with .env's PROXY_OWNER_SECRET filled in. */
const interpolated = (name: string): Record<string, string> => ({ ...env(name), PROXY_OWNER_SECRET: 'compose-test-owner-secret-0123456789abcdef' });
const mountsSocket = (s: Service): boolean => (s.volumes ?? []).some((v) => v.split(':')[0] === '/var/run/docker.sock');

describe('docker-compose.yml keeps the socket behind the proxies', () => {
  it('only the two socket proxies mount the Docker socket, and read-only', () => {
    expect(Object.keys(services).filter((name) => mountsSocket(services[name]!)).sort()).toEqual([...PROXIES].sort());
    for (const name of PROXIES) {
      expect(services[name]!.command).toEqual(['proxy']);
      expect(services[name]!.volumes).toEqual(['/var/run/docker.sock:/var/run/docker.sock:ro']);
    }
  });

  it('no proxy publishes a port; the worker and Traefik reach their own proxy by service name', () => {
    for (const name of PROXIES) expect(services[name]!.ports).toBeUndefined();
    expect(env('worker').DOCKER_HOST).toBe('tcp://docker-proxy:2375');
    expect(services.worker!.volumes).toBeUndefined();
    expect(services.app!.volumes).toBeUndefined();
    expect(services.traefik!.command).toContain('--providers.docker.endpoint=tcp://traefik-docker-proxy:2375');
  });

  it("the worker's proxy is a valid, strict profile: swarm, plugins and system writes closed, no host binds", () => {
    const config = loadProxyConfig(interpolated('docker-proxy'));
    expect(config.profile).toBe('default');
    expect(config.workspaceDir).toBeNull();
    for (const flag of ['SERVICES', 'SWARM', 'NODES', 'TASKS', 'SECRETS', 'CONFIGS', 'PLUGINS', 'SYSTEM', 'EXEC', 'COMMIT', 'AUTH', 'SESSION'] as const) {
      expect(config.flags[flag], flag).toBe(false);
    }
    // Companion services: owned named volumes, and only the capabilities the worker's services add back.
    expect(config.flags.VOLUMES).toBe(true);
    expect(config.capAddAllow).toEqual(['CHOWN', 'SETUID', 'SETGID', 'DAC_OVERRIDE', 'FOWNER']);
    for (const [method, path] of [['POST', '/swarm/init'], ['POST', '/services/create'], ['POST', '/plugins/pull'], ['POST', '/containers/x/exec']]) {
      expect(() => matchRoute(method!, path!, config), `${method} ${path}`).toThrow();
    }
  });

  it("Traefik's proxy runs the read-only profile and sets no other flag", () => {
    const e = env('traefik-docker-proxy');
    expect(e.PROXY_PROFILE).toBe('traefik');
    expect(Object.keys(e).filter((k) => (FLAG_NAMES as string[]).includes(k))).toEqual([]);
    expect(loadProxyConfig(interpolated('traefik-docker-proxy')).profile).toBe('traefik');
  });

  it('both proxies take the same PROXY_OWNER_SECRET from .env, required, so Traefik sees exactly the containers the worker owns', () => {
    for (const name of PROXIES) expect(env(name).PROXY_OWNER_SECRET, name).toBe(SECRET_FROM_ENV);
    const [worker, traefik] = PROXIES.map((name) => loadProxyConfig(interpolated(name)).owner);
    expect(traefik!.object).toBe(worker!.object);
    // Never a literal in the file: an uninterpolated value (e.g. the file read as is) refuses to boot.
    expect(() => loadProxyConfig(env('docker-proxy'))).toThrow(/PROXY_OWNER_SECRET/);
  });

  it('networks are segmented: apps and Traefik never share a network with the worker proxy or Redis', () => {
    expect(services['docker-proxy']!.networks).toEqual(['control']);
    expect(services['traefik-docker-proxy']!.networks).toEqual(['traefik-api']);
    expect(compose.networks['traefik-api']?.internal).toBe(true);
    expect(services.traefik!.networks).not.toContain('control');
    expect(services.worker!.networks).toEqual(['control']);
    expect(services.redis!.networks).toEqual(['control']);
    expect(compose.networks.edge?.name).toBe(env('worker').EDGE_NETWORK);
  });

  it('the edge network has a configured subnet, so a replaced container can rejoin at its address and drain', () => {
    const subnets = (compose.networks.edge as { ipam?: { config?: { subnet?: string }[] } } | undefined)?.ipam?.config?.map((c) => c.subnet);
    expect(subnets).toHaveLength(1);
    expect(subnets![0]).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
  });

  it("the bot's image runs as the unprivileged node user; only the socket proxies run as root", () => {
    const users = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8').split('\n').filter((l) => /^USER\s/.test(l));
    expect(users.at(-1)).toBe('USER node');
    expect(Object.keys(services).filter((name) => services[name]!.user !== undefined).sort()).toEqual([...PROXIES].sort());
  });

  it('both proxies are health-checked on GET /_ping', () => {
    for (const name of PROXIES) expect(services[name]!.healthcheck?.test?.join(' ')).toContain('http://127.0.0.1:2375/_ping');
  });
});
