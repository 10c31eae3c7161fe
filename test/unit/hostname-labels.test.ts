import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { environmentHostname, environmentLabel, isDnsLabel } from '../../src/docker/hostname.js';
import { routerName, traefikLabels } from '../../src/docker/traefik-labels.js';

const ALPHABET = 'abcXYZ019-_.`|&()!$ /\\\'"ü日\u0000\n';
const randomName = (max: number): string =>
  Array.from({ length: randomInt(1, max + 1) }, () => ALPHABET[randomInt(ALPHABET.length)]!).join('');

/** Traefik v3 rule grammar for what we emit: exactly one Host matcher with a backtick-quoted FQDN. */
const TRAEFIK_HOST_RULE = /^Host\(`((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)`\)$/;
/** Documented label keys: traefik.http.routers.<name>.<option> / services.<name>.loadbalancer.server.port. */
const TRAEFIK_KEY = /^traefik\.(enable|docker\.network|http\.routers\.[A-Za-z0-9-]+\.(rule|entrypoints|service|tls)|http\.services\.[A-Za-z0-9-]+\.loadbalancer\.server\.port)$/;

describe('environment hostnames', () => {
  it('follows the documented format for plain names', () => {
    expect(environmentLabel('Codertocat', 'Hello-World', 'production')).toBe('hello-world--codertocat');
    expect(environmentLabel('octo', 'site', 'pr-12')).toBe('pr-12--site--octo');
    expect(environmentHostname('octo', 'site', 'production', 'Preview.Example.COM')).toBe('site--octo.preview.example.com');
  });

  it('sanitizes and disambiguates lossy names with a hash', () => {
    const a = environmentLabel('octo', 'my.repo', 'production');
    const b = environmentLabel('octo', 'my-repo', 'production');
    expect(b).toBe('my-repo--octo');
    expect(a).not.toBe(b);
    expect(isDnsLabel(a)).toBe(true);
    // A repository whose name contains the separator cannot pose as another owner's repository.
    expect(environmentLabel('c', 'a--b', 'production')).not.toBe(environmentLabel('b--c', 'a', 'production'));
  });

  it('cuts long names to 63 characters and keeps them distinct', () => {
    const long = 'x'.repeat(100);
    const one = environmentLabel('owner', `${long}1`, 'pr-1');
    const two = environmentLabel('owner', `${long}2`, 'pr-1');
    expect(one.length).toBeLessThanOrEqual(63);
    expect(one).not.toBe(two);
    expect(isDnsLabel(one) && isDnsLabel(two)).toBe(true);
  });

  it('fuzz: 1,000 random repository/branch names give valid, unique, injection-free routes', () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 1000; i++) {
      const owner = randomName(40);
      const repo = randomName(100);
      const environment = i % 3 === 0 ? 'production' : `pr-${randomInt(1, 100000)}`;
      const identity = `${owner.toLowerCase()}/${repo.toLowerCase()}@${environment}`;
      const hostname = environmentHostname(owner, repo, environment, 'preview.example.com');
      const label = hostname.split('.')[0]!;
      expect(isDnsLabel(label), `${JSON.stringify(repo)} → ${label}`).toBe(true);
      expect(label.length).toBeLessThanOrEqual(63);
      const previous = seen.get(hostname);
      if (previous !== undefined) expect(previous).toBe(identity);
      seen.set(hostname, identity);

      const labels = traefikLabels({ hostname, port: 8080, network: 'edge', entrypoint: 'web', tls: false });
      const rule = labels[`traefik.http.routers.${routerName(hostname)}.rule`]!;
      expect(rule).toMatch(TRAEFIK_HOST_RULE);
      expect(rule).not.toContain('||');
      expect(rule.match(/`/g)).toHaveLength(2);
      for (const key of Object.keys(labels)) expect(key).toMatch(TRAEFIK_KEY);
    }
  });
});

describe('traefik labels', () => {
  it('routes the hostname to the container port on the edge network', () => {
    const labels = traefikLabels({ hostname: 'site--octo.p.example.com', port: 3000, network: 'helvetia-edge', entrypoint: 'websecure', tls: true });
    expect(labels).toEqual({
      'traefik.enable': 'true',
      'traefik.docker.network': 'helvetia-edge',
      'traefik.http.routers.helvetia-site--octo.rule': 'Host(`site--octo.p.example.com`)',
      'traefik.http.routers.helvetia-site--octo.entrypoints': 'websecure',
      'traefik.http.routers.helvetia-site--octo.service': 'helvetia-site--octo',
      'traefik.http.routers.helvetia-site--octo.tls': 'true',
      'traefik.http.services.helvetia-site--octo.loadbalancer.server.port': '3000',
    });
  });

  it.each(['a`) || Host(`evil.com', 'a b.com', 'UPPER.com', '-x.com', 'x'.repeat(64) + '.com'])(
    'refuses a hostname that would inject into the rule: %s',
    (hostname) => {
      expect(() => traefikLabels({ hostname, port: 80, network: 'e', entrypoint: 'web', tls: false })).toThrow(/invalid hostname/);
    },
  );

  it('refuses an invalid port', () => {
    expect(() => traefikLabels({ hostname: 'a.b', port: 0, network: 'e', entrypoint: 'web', tls: false })).toThrow(/port/);
  });
});
