import { describe, expect, it } from 'vitest';
import { ruleOf } from '../helpers/thrown.js';
import { formatTarget, parseTarget } from '../../src/proxy/normalize-path.js';
import { formatQuery, parseQuery } from '../../src/proxy/query.js';


describe('parseTarget', () => {
  it('strips and keeps the version prefix', () => {
    expect(parseTarget('/v1.41/containers/json?all=1')).toMatchObject({ version: 'v1.41', path: '/containers/json', query: [['all', '1']] });
    expect(parseTarget('/containers/json')).toMatchObject({ version: null, path: '/containers/json' });
  });

  it('resolves dot segments the way the daemon router cleans them', () => {
    expect(parseTarget('/v1.41/containers/../swarm').path).toBe('/swarm');
    expect(parseTarget('/v1.41/containers/x/../../swarm/init').path).toBe('/swarm/init');
    expect(parseTarget('//containers/./json/').path).toBe('/containers/json');
    expect(parseTarget('/../../../_ping').path).toBe('/_ping');
  });

  it('decodes percent-encoding once before matching, including %2F and encoded dots', () => {
    expect(parseTarget('/v1.41/containers%2F..%2Fswarm').path).toBe('/swarm');
    expect(parseTarget('/v1.41/containers/abc/%2e%2e/%2e%2e/swarm').path).toBe('/swarm');
    expect(parseTarget('/%63ontainers/json').path).toBe('/containers/json');
    expect(parseTarget('/images/%252e%252e/json').segments).toEqual(['images', '%2e%2e', 'json']);
  });

  it('refuses API versions below 1.24 and malformed versions', () => {
    expect(ruleOf(() => parseTarget('/v1.23/containers/x/start'))).toBe('api-version');
    expect(ruleOf(() => parseTarget('/v1.12/containers/json'))).toBe('api-version');
    expect(ruleOf(() => parseTarget('/v1/containers/json'))).toBe('api-version');
    expect(ruleOf(() => parseTarget('/v1.41.0/containers/json'))).toBe('api-version');
    expect(parseTarget('/v1.24/containers/json').version).toBe('v1.24');
    expect(parseTarget('/v2.0/_ping').version).toBe('v2.0');
  });

  it('refuses malformed escapes, control characters and non-path targets', () => {
    expect(ruleOf(() => parseTarget('/containers/%zz/json'))).toBe('path');
    expect(ruleOf(() => parseTarget('/containers/a%00b/json'))).toBe('path');
    expect(ruleOf(() => parseTarget('http://docker/containers/json'))).toBe('path');
    expect(ruleOf(() => parseTarget('*'))).toBe('path');
  });

  it('refuses query strings Go would parse differently', () => {
    expect(ruleOf(() => parseTarget('/build?t=x;networkmode=host'))).toBe('query');
    expect(ruleOf(() => parseTarget('/build?t=%zz'))).toBe('query');
  });
});

describe('formatTarget / query round trip', () => {
  it('re-encodes what was decoded so dockerd sees the checked path', () => {
    const t = parseTarget('/v1.41/images/library%2Fredis:7/json');
    expect(formatTarget(t.version, t.segments, '')).toBe('/v1.41/images/library/redis:7/json');
    expect(formatTarget(null, ['containers', 'a b?#'], 'x=1')).toBe('/containers/a%20b%3F%23?x=1');
  });

  it('parses + as space and keeps repeated parameters in order', () => {
    const q = parseQuery('t=a&t=b&labels=%7B%22k%22%3A%22v+w%22%7D');
    expect(q).toEqual([['t', 'a'], ['t', 'b'], ['labels', '{"k":"v w"}']]);
    expect(parseQuery(formatQuery(q))).toEqual(q);
  });
});
