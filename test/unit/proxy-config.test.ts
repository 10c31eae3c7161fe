import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { thrownBy } from '../helpers/thrown.js';
import { ConfigError } from '../../src/config/errors.js';
import { loadProxyConfig as load } from '../../src/proxy/config.js';
import { OWNER_LABEL, OWNER_TOKEN_LABEL } from '../../src/proxy/labels.js';

const SECRET = 'unit-test-owner-secret-0123456789abcdef';
/** Every proxy needs PROXY_OWNER_SECRET; the tests below that are not about it pass this one. */
const loadProxyConfig = (env: Record<string, string>) => load({ PROXY_OWNER_SECRET: SECRET, ...env });
const fails = (env: Record<string, string>, base: Record<string, string> = { PROXY_OWNER_SECRET: SECRET }): ConfigError =>
  thrownBy(ConfigError, () => load({ ...base, ...env }));

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
    expect(fails({ PROXY_LISTEN: 'unix:relative.sock' }).issues[0]!.variable).toBe('PROXY_LISTEN');
    expect(loadProxyConfig({ PROXY_LISTEN: 'unix:/run/helvetia-proxy/docker.sock' }).listen).toEqual({ path: '/run/helvetia-proxy/docker.sock' });
    expect(loadProxyConfig({ PROXY_LISTEN: '127.0.0.1:2375' }).listen).toEqual({ host: '127.0.0.1', port: 2375 });
    expect(fails({ PROXY_CAP_ADD_ALLOW: 'NET_BIND_SERVICE,ALL' }).issues[0]!.variable).toBe('PROXY_CAP_ADD_ALLOW');
    expect(loadProxyConfig({ PROXY_CAP_ADD_ALLOW: 'NET_BIND_SERVICE' }).capAddAllow).toEqual(['NET_BIND_SERVICE']);
  });

  it('refuses to boot without PROXY_OWNER_SECRET, or with a short or uninterpolated one, naming it', () => {
    for (const env of <Array<Record<string, string>>>[{}, { PROXY_OWNER_SECRET: '' }, { PROXY_OWNER_SECRET: 'x'.repeat(31) }, { PROXY_OWNER_SECRET: '${PROXY_OWNER_SECRET:?set PROXY_OWNER_SECRET in .env}' }]) {
      const error = fails(env, {});
      expect(error.issues.map((i) => i.variable), JSON.stringify(env)).toEqual(['PROXY_OWNER_SECRET']);
      expect(error.message).toContain('PROXY_OWNER_SECRET');
    }
    // Also on the read-only profile: both instances derive the same tokens.
    expect(fails({ PROXY_PROFILE: 'traefik' }, {}).issues.map((i) => i.variable)).toEqual(['PROXY_OWNER_SECRET']);
    expect(load({ PROXY_OWNER_SECRET: 'x'.repeat(32) }).owner.object).toMatch(/^[0-9a-f]{64}$/);
  });

  it('derives two different tokens from the secret, stable for one secret, never shown when logged', () => {
    const a = loadProxyConfig({});
    const b = loadProxyConfig({ PROXY_PROFILE: 'traefik' });
    const other = load({ PROXY_OWNER_SECRET: `${SECRET}-other` });
    expect(a.owner.object).toMatch(/^[0-9a-f]{64}$/);
    expect(a.owner.image).toMatch(/^[0-9a-f]{64}$/);
    expect(a.owner.image).not.toBe(a.owner.object);
    expect([b.owner.object, b.owner.image]).toEqual([a.owner.object, a.owner.image]);
    expect(other.owner.object).not.toBe(a.owner.object);
    expect(other.owner.image).not.toBe(a.owner.image);
    for (const token of [a.owner.object, a.owner.image]) expect(token).not.toContain(SECRET);
    expect(a.owner.labels('object')).toEqual({ [OWNER_LABEL]: 'true', [OWNER_TOKEN_LABEL]: a.owner.object });
    expect(a.owner.labels('image')).toEqual({ [OWNER_TOKEN_LABEL]: a.owner.image });
    const shown = `${JSON.stringify(a)} ${inspect(a, { depth: 5 })}`;
    expect(shown).not.toContain(a.owner.object);
    expect(shown).not.toContain(a.owner.image);
    expect(shown).not.toContain(SECRET);
  });
});
