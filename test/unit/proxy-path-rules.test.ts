import { describe, expect, it } from 'vitest';
import { FLAG_DEFAULTS, type Flags, type Profile } from '../../src/proxy/config.js';
import { PolicyError } from '../../src/proxy/errors.js';
import { parseTarget } from '../../src/proxy/normalize-path.js';
import { matchRoute } from '../../src/proxy/path-rules.js';

const flags = (on: Partial<Flags> = {}): Flags => ({ ...FLAG_DEFAULTS, ...on });
const WORKER = flags({ CONTAINERS: true, IMAGES: true, BUILD: true, NETWORKS: true, VOLUMES: true, EXEC: true, POST: true });

function decide(method: string, url: string, f: Flags, profile: Profile = 'default'): string {
  try {
    return matchRoute(method, parseTarget(url).path, { flags: f, profile }).route.name;
  } catch (error) {
    if (error instanceof PolicyError) return `deny:${error.rule}`;
    throw error;
  }
}

describe('path rules (tecnativa flags)', () => {
  it('opens only EVENTS, PING and VERSION by default', () => {
    expect(decide('GET', '/_ping', flags())).toBe('ping');
    expect(decide('HEAD', '/v1.41/_ping', flags())).toBe('ping');
    expect(decide('GET', '/version', flags())).toBe('version');
    expect(decide('GET', '/events', flags())).toBe('events');
    expect(decide('GET', '/containers/json', flags())).toBe('deny:flag');
    expect(decide('GET', '/info', flags())).toBe('deny:flag');
    expect(decide('GET', '/_ping', flags({ PING: false }))).toBe('deny:flag');
  });

  it('POST=0 leaves only GET and HEAD', () => {
    const f = flags({ CONTAINERS: true });
    expect(decide('GET', '/containers/json', f)).toBe('containers.list');
    expect(decide('POST', '/containers/create', f)).toBe('deny:flag-post');
    expect(decide('DELETE', '/containers/abc', f)).toBe('deny:flag-post');
  });

  it('ALLOW_START / ALLOW_STOP / ALLOW_RESTARTS open their endpoints even with POST=0', () => {
    expect(decide('POST', '/containers/abc/start', flags({ ALLOW_START: true }))).toBe('containers.start');
    expect(decide('POST', '/containers/abc/stop', flags({ ALLOW_STOP: true }))).toBe('containers.stop');
    expect(decide('POST', '/containers/abc/kill', flags({ ALLOW_RESTARTS: true }))).toBe('containers.restart');
    expect(decide('POST', '/containers/abc/restart', flags({ ALLOW_RESTARTS: true }))).toBe('containers.restart');
    expect(decide('POST', '/containers/abc/stop', flags({ ALLOW_RESTARTS: true }))).toBe('containers.stop');
    expect(decide('POST', '/containers/abc/start', flags({ ALLOW_STOP: true }))).toBe('deny:flag');
    expect(decide('POST', '/containers/abc/kill', flags({ ALLOW_START: true }))).toBe('deny:flag');
  });

  it('never opens swarm, plugin or system-wide writes, whatever the flags', () => {
    const all = flags(Object.fromEntries(Object.keys(FLAG_DEFAULTS).map((k) => [k, true])) as Partial<Flags>);
    for (const [method, url] of [
      ['POST', '/swarm/init'], ['POST', '/swarm/join'], ['POST', '/services/create'], ['DELETE', '/nodes/x'], ['POST', '/secrets/create'],
      ['POST', '/plugins/pull'], ['POST', '/build/prune'], ['POST', '/images/load'], ['GET', '/images/get'], ['GET', '/swarm/unlockkey'],
      ['POST', '/v1.41/containers/../swarm/init'], ['POST', '/v1.41/containers%2F..%2Fswarm/init'], ['POST', '/grpc'],
    ] as const) {
      expect(decide(method, url, all), `${method} ${url}`).toMatch(/^deny:/);
    }
    // GET /swarm answers the manager join token: no profile or flag opens it.
    expect(decide('GET', '/swarm', all)).toBe('deny:endpoint');
    expect(decide('GET', '/swarm', all, 'swarm')).toBe('deny:endpoint');
    expect(decide('GET', '/services', flags())).toBe('deny:profile');
  });

  it('matches the normalized path, so traversal cannot reach a closed section', () => {
    expect(decide('GET', '/v1.41/containers/../swarm', WORKER)).toBe('deny:endpoint');
    expect(decide('GET', '/v1.41/containers/../services', WORKER)).toBe('deny:profile');
    expect(decide('GET', '/v1.41/_ping/../info', WORKER)).toBe('deny:flag');
    expect(decide('GET', '/v1.41/_ping/../info', flags({ INFO: true }))).toBe('info');
    expect(decide('GET', '/CONTAINERS/json', WORKER)).toBe('deny:endpoint');
  });

  it('maps the worker flow', () => {
    expect(decide('POST', '/v1.41/build', WORKER)).toBe('build');
    expect(decide('POST', '/containers/create', WORKER)).toBe('containers.create');
    expect(decide('POST', '/containers/x/exec', WORKER)).toBe('exec.create');
    expect(decide('POST', '/exec/x/start', WORKER)).toBe('exec.start');
    expect(decide('DELETE', '/images/library/app:1', WORKER)).toBe('images.remove');
    expect(decide('GET', '/images/ghcr.io/a/b:1/json', WORKER)).toBe('images.inspect');
    expect(decide('POST', '/networks/edge/connect', WORKER)).toBe('networks.connect');
    expect(decide('PATCH', '/containers/json', WORKER)).toBe('deny:method');
    expect(decide('POST', '/containers/x/exec', flags({ CONTAINERS: true, POST: true }))).toBe('deny:flag');
  });

  it('the traefik profile is read-only: containers, events, version, ping', () => {
    const t = flags({ CONTAINERS: true });
    expect(decide('GET', '/containers/json', t, 'traefik')).toBe('containers.list');
    expect(decide('GET', '/containers/x/json', t, 'traefik')).toBe('containers.inspect');
    expect(decide('GET', '/events', t, 'traefik')).toBe('events');
    expect(decide('GET', '/containers/x/logs', t, 'traefik')).toBe('deny:profile');
    expect(decide('POST', '/containers/x/start', flags({ CONTAINERS: true, POST: true }), 'traefik')).toBe('deny:profile');
  });

  const SWARM = flags({ ...WORKER, SERVICES: true, TASKS: true, NODES: true });
  const ALL = flags(Object.fromEntries(Object.keys(FLAG_DEFAULTS).map((k) => [k, true])) as Partial<Flags>);

  it('the swarm profile opens owned services, tasks and nodes on top of the worker routes', () => {
    for (const [method, url, rule] of [
      ['GET', '/v1.41/services', 'services.list'], ['POST', '/v1.41/services/create', 'services.create'],
      ['GET', '/services/abc', 'services.inspect'], ['POST', '/services/abc/update', 'services.update'],
      ['DELETE', '/services/abc', 'services.remove'], ['GET', '/services/abc/logs', 'services.logs'],
      ['GET', '/tasks', 'tasks.list'], ['GET', '/tasks/t1', 'tasks.inspect'], ['GET', '/tasks/t1/logs', 'tasks.logs'],
      ['GET', '/nodes', 'nodes.list'], ['GET', '/nodes/n1', 'nodes.inspect'], ['POST', '/containers/create', 'containers.create'],
    ] as const) {
      expect(decide(method, url, SWARM, 'swarm'), `${method} ${url}`).toBe(rule);
    }
    expect(decide('POST', '/services/create', flags({ SERVICES: true }), 'swarm')).toBe('deny:flag-post');
    expect(decide('GET', '/tasks', flags({ SERVICES: true, POST: true }), 'swarm')).toBe('deny:flag');
  });

  it('the swarm profile never opens cluster management, node writes, secrets, configs or plugins', () => {
    for (const [method, url] of [
      ['POST', '/swarm/init'], ['POST', '/swarm/join'], ['POST', '/swarm/leave'], ['POST', '/swarm/update'], ['POST', '/swarm/unlock'],
      ['GET', '/swarm/unlockkey'], ['GET', '/swarm'], ['POST', '/nodes/n1/update'], ['DELETE', '/nodes/n1'], ['GET', '/secrets'],
      ['POST', '/secrets/create'], ['GET', '/secrets/s1'], ['GET', '/configs'], ['POST', '/configs/create'], ['GET', '/plugins'],
      ['POST', '/plugins/pull'], ['GET', '/plugins/p/json'], ['POST', '/v1.41/services/../swarm/init'], ['POST', '/v1.41/services%2F..%2Fswarm%2Fleave'],
      ['POST', '/v1.41/nodes/n1%2Fupdate'], ['DELETE', '/v1.41/tasks/../nodes/n1'], ['POST', '/v1.41/services/x/../../swarm/join'],
    ] as const) {
      expect(decide(method, url, ALL, 'swarm'), `${method} ${url}`).toMatch(/^deny:/);
    }
    // Path tricks land on the route the normalized path names, never beside it.
    expect(decide('GET', '/v1.41/containers/../services', SWARM, 'swarm')).toBe('services.list');
    expect(decide('GET', '/v1.41/services%2Fabc', SWARM, 'swarm')).toBe('services.inspect');
    expect(decide('GET', '/v1.41/services/./abc/logs', SWARM, 'swarm')).toBe('services.logs');
  });

  it('the default profile refuses every services, tasks, nodes and swarm route, whatever the flags', () => {
    for (const [method, url] of [
      ['GET', '/services'], ['POST', '/services/create'], ['GET', '/services/a'], ['POST', '/services/a/update'], ['DELETE', '/services/a'],
      ['GET', '/services/a/logs'], ['GET', '/tasks'], ['GET', '/tasks/t'], ['GET', '/tasks/t/logs'], ['GET', '/nodes'], ['GET', '/nodes/n'],
      ['GET', '/swarm'], ['POST', '/swarm/init'], ['GET', '/v1.41/containers/../services'], ['GET', '/v1.41/containers%2F..%2Ftasks'],
    ] as const) {
      expect(decide(method, url, ALL), `${method} ${url}`).toMatch(/^deny:(profile|endpoint|method)$/);
    }
    expect(decide('GET', '/services', ALL)).toBe('deny:profile');
  });

  it("traefik's profile reads owned services and tasks, nodes and networks, and writes nothing", () => {
    const t = flags({ CONTAINERS: true, SERVICES: true, TASKS: true, NODES: true, NETWORKS: true, POST: true });
    expect(decide('GET', '/services', t, 'traefik')).toBe('services.list');
    expect(decide('GET', '/services/a', t, 'traefik')).toBe('services.inspect');
    expect(decide('GET', '/tasks', t, 'traefik')).toBe('tasks.list');
    expect(decide('GET', '/nodes', t, 'traefik')).toBe('nodes.list');
    expect(decide('GET', '/networks', t, 'traefik')).toBe('networks.list');
    for (const [method, url] of [['POST', '/services/create'], ['DELETE', '/services/a'], ['GET', '/services/a/logs'], ['GET', '/tasks/t/logs'], ['POST', '/networks/create']] as const) {
      expect(decide(method, url, t, 'traefik'), `${method} ${url}`).toBe('deny:profile');
    }
  });
});
