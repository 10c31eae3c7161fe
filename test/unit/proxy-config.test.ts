import { describe, expect, it } from 'vitest';
import { thrownBy } from '../helpers/thrown.js';
import { ConfigError } from '../../src/config/errors.js';
import { loadProxyConfig } from '../../src/proxy/config.js';

const fails = (env: Record<string, string>): ConfigError => thrownBy(ConfigError, () => loadProxyConfig(env));

describe('loadProxyConfig', () => {
  it('has tecnativa defaults', () => {
    const c = loadProxyConfig({});
    expect(c.listen).toEqual({ host: '0.0.0.0', port: 2375 });
    expect(c.dockerSocket).toBe('/var/run/docker.sock');
    expect(Object.entries(c.flags).filter(([, on]) => on).map(([f]) => f).sort()).toEqual(['EVENTS', 'PING', 'VERSION']);
    expect(c.workspaceDir).toBe('/tmp/helvetia-workspaces');
    expect(c.allowedNetworks).toEqual(['helvetia-edge']);
    expect(Object.isFrozen(c.flags)).toBe(true);
  });

  it('reads flags as 1/0 and true/false', () => {
    const c = loadProxyConfig({ CONTAINERS: '1', POST: 'true', EVENTS: '0', PROXY_LISTEN: '127.0.0.1:0', EDGE_NETWORK: 'edge2' });
    expect(c.flags.CONTAINERS && c.flags.POST).toBe(true);
    expect(c.flags.EVENTS).toBe(false);
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(c.allowedNetworks).toEqual(['edge2']);
    expect(fails({ POST: 'maybe' }).issues[0]!.variable).toBe('POST');
  });

  it('the traefik profile opens exactly containers, events, version, ping and refuses more', () => {
    const c = loadProxyConfig({ PROXY_PROFILE: 'traefik' });
    expect(Object.entries(c.flags).filter(([, on]) => on).map(([f]) => f).sort()).toEqual(['CONTAINERS', 'EVENTS', 'PING', 'VERSION']);
    expect(fails({ PROXY_PROFILE: 'traefik', POST: '1' }).issues.map((i) => i.variable)).toEqual(['POST']);
  });

  it('refuses a workspace that exposes sensitive host paths', () => {
    for (const dir of ['/', '/tmp', '/etc/x', '/home/alice/ws', '/var/run', '/var', 'relative/dir', '/root/ws', '/var/lib']) {
      expect(fails({ WORKSPACE_DIR: dir }).issues[0]!.variable, dir).toBe('WORKSPACE_DIR');
    }
    expect(loadProxyConfig({ WORKSPACE_DIR: '/srv/helvetia/ws/' }).workspaceDir).toBe('/srv/helvetia/ws');
    expect(loadProxyConfig({ WORKSPACE_DIR: 'none' }).workspaceDir).toBeNull();
  });

  it('validates allowed networks and image prefixes', () => {
    expect(loadProxyConfig({}).imagePrefixes).toEqual(['helvetia/']);
    expect(loadProxyConfig({ PROXY_IMAGE_PREFIXES: 'helvetia/, ci-' }).imagePrefixes).toEqual(['helvetia/', 'ci-']);
    expect(fails({ PROXY_IMAGE_PREFIXES: 'Bad Prefix' }).issues[0]!.variable).toBe('PROXY_IMAGE_PREFIXES');
    expect(fails({ PROXY_ALLOWED_NETWORKS: 'edge,host' }).issues[0]!.variable).toBe('PROXY_ALLOWED_NETWORKS');
    expect(loadProxyConfig({ PROXY_ALLOWED_NETWORKS: 'edge,internal' }).allowedNetworks).toEqual(['edge', 'internal']);
  });

  it('validates listen address and capability allowlist', () => {
    expect(fails({ PROXY_LISTEN: '2375' }).issues[0]!.variable).toBe('PROXY_LISTEN');
    expect(fails({ PROXY_CAP_ADD_ALLOW: 'NET_BIND_SERVICE,ALL' }).issues[0]!.variable).toBe('PROXY_CAP_ADD_ALLOW');
    expect(loadProxyConfig({ PROXY_CAP_ADD_ALLOW: 'NET_BIND_SERVICE' }).capAddAllow).toEqual(['NET_BIND_SERVICE']);
  });
});
