import { describe, expect, it } from 'vitest';
import { splitTag } from '../helpers/swarm-images.js';
import { overlaps } from '../helpers/swarm-net.js';

describe('swarm harness helpers', () => {
  it('tells overlapping IPv4 ranges from disjoint ones', () => {
    expect(overlaps('10.213.7.0/24', '10.213.7.0/24')).toBe(true);
    expect(overlaps('10.0.0.0/8', '10.213.7.0/24')).toBe(true);
    expect(overlaps('10.213.7.1', '10.213.7.0/24')).toBe(true);
    expect(overlaps('10.213.8.0/24', '10.213.7.0/24')).toBe(false);
    expect(overlaps('192.168.0.0/20', '10.213.7.0/24')).toBe(false);
    expect(overlaps('0.0.0.0/0', '10.213.7.0/24')).toBe(true);
  });

  it('splits a tag off an image name, not a registry port', () => {
    expect(splitTag('helvetia-base:latest')).toEqual({ repo: 'helvetia-base', tag: 'latest' });
    expect(splitTag('helvetia-registry')).toEqual({ repo: 'helvetia-registry', tag: 'latest' });
    expect(splitTag('10.213.7.10:5000/hvswarm/app')).toEqual({ repo: '10.213.7.10:5000/hvswarm/app', tag: 'latest' });
    expect(splitTag('10.213.7.10:5000/hvswarm/app:v2')).toEqual({ repo: '10.213.7.10:5000/hvswarm/app', tag: 'v2' });
  });
});
