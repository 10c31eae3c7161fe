import { describe, expect, it } from 'vitest';
import { FLAG_DEFAULTS, type Flags } from '../../src/proxy/config.js';
import { PolicyError } from '../../src/proxy/errors.js';
import { parseTarget } from '../../src/proxy/normalize-path.js';
import { matchRoute } from '../../src/proxy/path-rules.js';

const flags = (on: Partial<Flags> = {}): Flags => ({ ...FLAG_DEFAULTS, ...on });
const WORKER = flags({ CONTAINERS: true, IMAGES: true, BUILD: true, NETWORKS: true, VOLUMES: true, EXEC: true, POST: true });

function decide(method: string, url: string, f: Flags, profile: 'default' | 'traefik' = 'default'): string {
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
    expect(decide('GET', '/swarm', all)).toBe('swarm.inspect');
    expect(decide('GET', '/services', flags())).toBe('deny:flag');
  });

  it('matches the normalized path, so traversal cannot reach a closed section', () => {
    expect(decide('GET', '/v1.41/containers/../swarm', WORKER)).toBe('deny:flag');
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
});
