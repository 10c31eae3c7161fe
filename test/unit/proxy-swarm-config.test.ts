import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadProxyConfig } from '../../src/proxy/config.js';
import { thrownBy } from '../helpers/thrown.js';

const SECRET = 'unit-test-owner-secret-0123456789abcdef';
const load = (env: Record<string, string>) => loadProxyConfig({ PROXY_OWNER_SECRET: SECRET, ...env });
const badVariables = (env: Record<string, string>): string[] => thrownBy(ConfigError, () => load(env)).issues.map((i) => i.variable);
const on = (flags: Record<string, boolean>): string[] => Object.entries(flags).filter(([, v]) => v).map(([f]) => f).sort();

describe('proxy config: the swarm profile', () => {
  it('PROXY_PROFILE=swarm keeps the flags the operator set', () => {
    const c = load({ PROXY_PROFILE: 'swarm', SERVICES: '1', TASKS: '1', NODES: '1', POST: '1', NETWORKS: '1' });
    expect(c.profile).toBe('swarm');
    expect(on(c.flags)).toEqual(['EVENTS', 'NETWORKS', 'NODES', 'PING', 'POST', 'SERVICES', 'TASKS', 'VERSION']);
  });

  it('refuses, by name, flags that would open cluster management, secrets, configs or plugins', () => {
    expect(badVariables({ PROXY_PROFILE: 'swarm', SWARM: '1', SECRETS: '1', CONFIGS: '1', PLUGINS: '1' })).toEqual(['SWARM', 'SECRETS', 'CONFIGS', 'PLUGINS']);
    expect(thrownBy(ConfigError, () => load({ PROXY_PROFILE: 'swarm', SWARM: '1' })).message).toContain('must stay off with PROXY_PROFILE=swarm');
    expect(load({ PROXY_PROFILE: 'swarm', SWARM: '0', SECRETS: 'false' }).flags.SWARM).toBe(false);
  });

  it('the default profile refuses SERVICES/TASKS/NODES=1 instead of opening nothing silently', () => {
    expect(badVariables({ SERVICES: '1', TASKS: '1', NODES: '1' })).toEqual(['SERVICES', 'TASKS', 'NODES']);
    expect(thrownBy(ConfigError, () => load({ SERVICES: '1' })).message).toContain('need PROXY_PROFILE=swarm');
    // docker-compose.yml spells them out as 0: that stays valid.
    expect(load({ SERVICES: '0', SWARM: '0' }).flags.SERVICES).toBe(false);
    expect(badVariables({ PROXY_PROFILE: 'cluster' })).toEqual(['PROXY_PROFILE']);
  });

  it("traefik's profile may add the read-only swarm sections, and still nothing else", () => {
    const c = load({ PROXY_PROFILE: 'traefik', SERVICES: '1', TASKS: '1', NODES: '1', NETWORKS: '1' });
    expect(on(c.flags)).toEqual(['CONTAINERS', 'EVENTS', 'NETWORKS', 'NODES', 'PING', 'SERVICES', 'TASKS', 'VERSION']);
    expect(on(load({ PROXY_PROFILE: 'traefik' }).flags)).toEqual(['CONTAINERS', 'EVENTS', 'PING', 'VERSION']);
    expect(badVariables({ PROXY_PROFILE: 'traefik', SERVICES: '1', POST: '1', SWARM: '1' })).toEqual(['POST', 'SWARM']);
  });

  it('REGISTRY_URL is the registry host[:port]; a path or a bare word is refused', () => {
    expect(load({}).registry).toBeNull();
    expect(load({ REGISTRY_URL: 'registry.example.com:5000' }).registry).toBe('registry.example.com:5000');
    expect(load({ REGISTRY_URL: 'https://Registry.Example.com/' }).registry).toBe('registry.example.com');
    expect(load({ REGISTRY_URL: 'localhost:5000' }).registry).toBe('localhost:5000');
    for (const bad of ['registry.example.com/helvetia', 'registry', 'ftp://r.example.com', 'r.example.com:5000:1']) {
      expect(badVariables({ REGISTRY_URL: bad }), bad).toEqual(['REGISTRY_URL']);
    }
  });
});
