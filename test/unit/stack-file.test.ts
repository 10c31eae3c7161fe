/**
 * deploy/stack.yml, the Swarm deployment (README "Scaling out"): the promises docker-compose.yml
 * keeps on one host (only the proxies see the socket, read-only; segmented networks; one secret
 * for every proxy) and the ones a cluster adds (the manager's proxy in the swarm profile, a proxy
 * and a worker per builder node, Traefik's swarm provider, Redis pinned with its volume), checked
 * on the file itself so it cannot drift silently.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadProxyConfig } from '../../src/proxy/config.js';
import { SWARM_REFUSED_FLAGS } from '../../src/proxy/profile-flags.js';
import { matchRoute } from '../../src/proxy/path-rules.js';

interface Port { target?: number; published?: number; mode?: string }
interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, unknown>;
  env_file?: string | string[];
  volumes?: string[];
  ports?: (Port | string)[];
  networks?: string[];
  healthcheck?: { test?: unknown; disable?: boolean };
  user?: string;
  deploy?: { mode?: string; replicas?: number; endpoint_mode?: string; placement?: { constraints?: string[] } };
}
interface Network { driver?: string; attachable?: boolean; internal?: boolean; external?: boolean; name?: string }

const ROOT = new URL('../../', import.meta.url);
const stack = parse(readFileSync(new URL('deploy/stack.yml', ROOT), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  networks: Record<string, Network>;
  volumes: Record<string, unknown>;
};
const compose = parse(readFileSync(new URL('docker-compose.yml', ROOT), 'utf8')) as { services: Record<string, Service> };
const { services, networks } = stack;

const PROXIES = ['builder-proxy', 'manager-proxy', 'traefik-docker-proxy'];
const MANAGER = 'node.role == manager';
const BUILDER = 'node.labels.helvetia.builder == true';
const env = (name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, String(v)]));
const constraints = (name: string): string[] => services[name]?.deploy?.placement?.constraints ?? [];
const mountsSocket = (s: Service): boolean => (s.volumes ?? []).some((v) => v.split(':')[0] === '/var/run/docker.sock');
/** What `docker stack deploy` interpolates from the operator's shell (.env sourced). */
const SECRET_FROM_ENV = '${PROXY_OWNER_SECRET:?set PROXY_OWNER_SECRET in .env}';
const REGISTRY_FROM_ENV = '${REGISTRY_URL:?set REGISTRY_URL in .env}';
const interpolated = (name: string): Record<string, string> => ({
  ...env(name),
  ...(env(name).PROXY_OWNER_SECRET ? { PROXY_OWNER_SECRET: 'stack-test-owner-secret-0123456789abcdef' } : {}),
  ...(env(name).REGISTRY_URL ? { REGISTRY_URL: 'registry.example.com:5000' } : {}),
});

describe('deploy/stack.yml keeps the socket behind the proxies', () => {
  it('has the services of docker-compose.yml, the worker proxy split in a manager and a per-builder-node one', () => {
    expect(Object.keys(services).sort()).toEqual(['app', 'builder-proxy', 'manager-proxy', 'redis', 'traefik', 'traefik-docker-proxy', 'worker']);
    for (const name of Object.keys(compose.services)) if (name !== 'docker-proxy') expect(services[name], name).toBeDefined();
  });

  it('only the socket proxies mount the Docker socket, read-only, run `proxy` with a /_ping health check', () => {
    expect(Object.keys(services).filter((name) => mountsSocket(services[name]!)).sort()).toEqual([...PROXIES].sort());
    for (const name of PROXIES) {
      expect(services[name]!.command, name).toEqual(['proxy']);
      expect(services[name]!.volumes, name).toEqual(['/var/run/docker.sock:/var/run/docker.sock:ro', ...(name === 'builder-proxy' ? ['builder-socket:/run/helvetia-proxy'] : [])]);
      expect(JSON.stringify(services[name]!.healthcheck?.test), name).toContain('/_ping');
    }
  });

  it("the manager's proxy: swarm profile on a manager, services/tasks/nodes open, cluster management, secrets, configs, plugins and exec closed, REGISTRY_URL set", () => {
    const e = env('manager-proxy');
    expect(constraints('manager-proxy')).toContain(MANAGER);
    expect(services['manager-proxy']!.deploy?.replicas).toBe(1);
    expect(e.PROXY_PROFILE).toBe('swarm');
    for (const flag of ['SERVICES', 'TASKS', 'NODES']) expect(e[flag], flag).toBe('1');
    for (const flag of SWARM_REFUSED_FLAGS) expect([undefined, '0'], flag).toContain(e[flag]);
    expect(e.EXEC).toBe('0');
    expect(e.REGISTRY_URL).toBe(REGISTRY_FROM_ENV);
    expect(e.WORKSPACE_DIR).toBe('none');
    const config = loadProxyConfig(interpolated('manager-proxy'));
    expect(config.profile).toBe('swarm');
    expect(config.registry).toBe('registry.example.com:5000');
    for (const flag of ['SWARM', 'SECRETS', 'CONFIGS', 'PLUGINS', 'EXEC', 'SYSTEM'] as const) expect(config.flags[flag], flag).toBe(false);
    for (const [method, path] of [['POST', '/swarm/init'], ['GET', '/swarm'], ['POST', '/secrets/create'], ['POST', '/plugins/pull'], ['POST', '/containers/x/exec']]) {
      expect(() => matchRoute(method!, path!, config), `${method} ${path}`).toThrow();
    }
    expect(() => matchRoute('POST', '/services/create', config)).not.toThrow();
  });

  it('a builder proxy on every builder node (global, default profile, pushes only to REGISTRY_URL), reachable only through a unix socket in a node-local volume, no port', () => {
    const s = services['builder-proxy']!;
    expect(s.deploy?.mode).toBe('global');
    expect(constraints('builder-proxy')).toEqual([BUILDER]);
    const e = env('builder-proxy');
    expect(e.PROXY_PROFILE ?? 'default').toBe('default');
    expect(e.REGISTRY_URL).toBe(REGISTRY_FROM_ENV);
    expect(e.EXEC).toBe('0');
    expect(s.ports).toBeUndefined();
    expect(e.PROXY_LISTEN).toBe('unix:/run/helvetia-proxy/docker.sock');
    expect(s.volumes).toContain('builder-socket:/run/helvetia-proxy');
    expect(stack.volumes).toHaveProperty('builder-socket');
    expect((stack.volumes['builder-socket'] as { driver?: string } | null)?.driver ?? 'local').toBe('local');
    const config = loadProxyConfig(interpolated('builder-proxy'));
    expect(config.listen).toEqual({ path: '/run/helvetia-proxy/docker.sock' });
    expect(config.profile).toBe('default');
    expect(config.workspaceDir).toBeNull();
    for (const flag of ['SERVICES', 'SWARM', 'NODES', 'TASKS', 'SECRETS', 'CONFIGS', 'PLUGINS', 'EXEC'] as const) expect(config.flags[flag], flag).toBe(false);
  });

  it("a worker on every builder node: swarm backend, builds through its node's proxy, service calls through the manager's", () => {
    const s = services.worker!;
    expect(s.deploy?.mode).toBe('global');
    expect(constraints('worker')).toEqual(constraints('builder-proxy'));
    const e = env('worker');
    expect(e.DEPLOY_BACKEND).toBe('swarm');
    // Swarm fills in the node's hostname ({{.Node.Hostname}} is a service template, valid in env).
    // Its node's builder proxy through the socket they share (the same volume, so the same node).
    expect(e.DOCKER_HOST).toBe(`unix://${env('builder-proxy').PROXY_LISTEN!.slice('unix:'.length)}`);
    expect(s.volumes).toEqual(['builder-socket:/run/helvetia-proxy']);
    expect(e.SWARM_MANAGER_HOST).toBe('tcp://manager-proxy:2375');
    // Swarm fills in the task's node id: the node whose volumes this worker creates and removes.
    expect(e.SWARM_NODE_ID).toBe('{{.Node.ID}}');
    expect(e.REDIS_URL).toBe('redis://redis:6379');
    expect(e.EDGE_NETWORK).toBe(networks.edge!.name);
    expect(s.healthcheck?.disable).toBe(true);
    // The rest (REGISTRY_URL, credentials, GitHub App, …) comes from .env, like docker-compose.yml.
    expect(s.env_file).toBe('../.env');
    expect(services.app!.env_file).toBe('../.env');
  });

  it("Traefik v3 reads Swarm through its own read-only proxy (traefik profile with the swarm reads), on the internal traefik-api network", () => {
    const traefik = services.traefik!;
    expect(traefik.image).toMatch(/^traefik:v3/);
    expect(traefik.command).toEqual(expect.arrayContaining([
      '--providers.swarm=true',
      '--providers.swarm.endpoint=tcp://traefik-docker-proxy:2375',
      '--providers.swarm.exposedbydefault=false',
      `--providers.swarm.network=${networks.edge!.name}`,
    ]));
    expect(traefik.command!.some((c) => c.startsWith('--providers.docker'))).toBe(false);
    const e = env('traefik-docker-proxy');
    expect(e.PROXY_PROFILE).toBe('traefik');
    for (const flag of ['SERVICES', 'TASKS', 'NODES', 'NETWORKS']) expect(e[flag], flag).toBe('1');
    expect(e.POST).toBeUndefined();
    const config = loadProxyConfig(interpolated('traefik-docker-proxy'));
    expect(config.flags.POST).toBe(false);
    expect(constraints('traefik-docker-proxy')).toContain(MANAGER);
    expect(services['traefik-docker-proxy']!.networks).toEqual(['traefik-api']);
    expect(traefik.networks!.sort()).toEqual(['edge', 'traefik-api']);
  });

  it('Redis runs once, pinned to the node of its volume (a local volume: elsewhere it would start empty)', () => {
    const redis = services.redis!;
    expect(redis.deploy?.mode ?? 'replicated').toBe('replicated');
    expect(redis.deploy?.replicas).toBe(1);
    expect(redis.volumes).toEqual(['redis-data:/data']);
    expect(constraints('redis')).toEqual(['node.labels.helvetia.redis == true']);
    expect(redis.command).toEqual(compose.services.redis!.command);
  });

  it('networks: edge is the operator\'s external overlay; control is an overlay nothing else can attach to, holding Redis and the worker proxies only', () => {
    expect(networks.edge).toEqual({ external: true, name: 'helvetia-edge' });
    expect(networks.control!.driver).toBe('overlay');
    expect(networks.control!.attachable).toBe(false);
    expect(networks['traefik-api']).toMatchObject({ driver: 'overlay', internal: true, attachable: false });
    for (const name of ['redis', 'manager-proxy', 'builder-proxy', 'app', 'worker']) expect(services[name]!.networks, name).toEqual(['control']);
    expect(Object.keys(services).filter((name) => services[name]!.networks?.includes('edge'))).toEqual(['traefik']);
  });

  it('no routing mesh: published ports are host-mode, every service is dnsrr (no virtual IP)', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const port of s.ports ?? []) expect(typeof port === 'object' && port.mode, `${name} ${JSON.stringify(port)}`).toBe('host');
      expect(s.deploy?.endpoint_mode, name).toBe('dnsrr');
    }
  });

  it('every proxy takes the same PROXY_OWNER_SECRET from the environment, never a literal', () => {
    for (const name of PROXIES) expect(env(name).PROXY_OWNER_SECRET, name).toBe(SECRET_FROM_ENV);
    expect(() => loadProxyConfig(env('manager-proxy'))).toThrow();
    const owners = PROXIES.map((name) => loadProxyConfig(interpolated(name)).owner.object);
    expect(new Set(owners).size).toBe(1);
  });

  it('docker-compose renders it (the v3 schema docker stack deploy reads; node templates kept for Swarm), and refuses without PROXY_OWNER_SECRET', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hvstack-'));
    mkdirSync(join(dir, 'deploy'));
    copyFileSync(new URL('deploy/stack.yml', ROOT), join(dir, 'deploy', 'stack.yml'));
    copyFileSync(new URL('.env.example', ROOT), join(dir, '.env'));
    const base = { PATH: process.env.PATH, HOME: dir, HELVETIA_IMAGE: 'registry.example.com:5000/helvetia-bot:1', REGISTRY_URL: 'registry.example.com:5000' };
    const render = (extra: Record<string, string>): string => execFileSync('docker-compose', ['-f', 'deploy/stack.yml', 'config'], {
      cwd: dir, encoding: 'utf8', env: { ...base, ...extra }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const rendered = parse(render({ PROXY_OWNER_SECRET: 'x'.repeat(64) })) as { services: Record<string, Service> };
    expect(rendered.services.worker!.environment).toMatchObject({ DOCKER_HOST: 'unix:///run/helvetia-proxy/docker.sock', DEPLOY_BACKEND: 'swarm', PREVIEW_DOMAIN: 'preview.example.com' });
    expect(rendered.services['manager-proxy']!.environment).toMatchObject({ PROXY_OWNER_SECRET: 'x'.repeat(64), REGISTRY_URL: 'registry.example.com:5000' });
    expect(() => render({})).toThrow(/PROXY_OWNER_SECRET/);
  });
});
