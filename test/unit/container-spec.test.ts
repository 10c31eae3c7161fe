import { describe, expect, it } from 'vitest';
import { appContainerSpec, probeContainerSpec } from '../../src/docker/container-spec.js';

const input = {
  name: 'helvetia-site--octo-abc1234',
  image: 'helvetia/octo-site:abc',
  port: 8080,
  network: 'helvetia-edge',
  alias: 'site--octo',
  labels: { 'cloud.helvetia.managed': 'true' },
  env: { PORT: '8080' },
  limits: { memoryMb: 256, cpus: 0.5, pidsLimit: 128 },
};
const spec = appContainerSpec(input);

describe('hardened app container spec', () => {
  const host = spec.HostConfig!;
  it('drops every capability and forbids privilege escalation', () => {
    expect(host.Privileged).toBe(false);
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd).toEqual([]);
    expect(host.SecurityOpt).toContain('no-new-privileges:true');
  });
  it('limits memory (no swap), CPU and pids', () => {
    expect(host.Memory).toBe(256 * 1024 * 1024);
    expect(host.MemorySwap).toBe(host.Memory);
    expect(host.NanoCpus).toBe(500_000_000);
    expect(host.PidsLimit).toBe(128);
  });
  it('mounts nothing from the host and publishes no port', () => {
    expect(host.Binds).toEqual([]);
    expect(host.Mounts).toEqual([]);
    expect(host.Devices).toEqual([]);
    expect(host.PortBindings).toBeUndefined();
    expect(host.PublishAllPorts).toBe(false);
  });
  it('caps its logs and restarts unless stopped', () => {
    expect(host.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
    expect(host.RestartPolicy?.Name).toBe('unless-stopped');
  });
  it('joins only the edge network, with the environment alias', () => {
    expect(host.NetworkMode).toBe('helvetia-edge');
    expect(Object.keys(spec.NetworkingConfig!.EndpointsConfig!)).toEqual(['helvetia-edge']);
    expect(spec.NetworkingConfig!.EndpointsConfig!['helvetia-edge']!.Aliases).toEqual(['site--octo']);
  });
  it('leaves the alias off a container that is still to be health-checked', () => {
    const { alias: _alias, ...rest } = input;
    const warming = appContainerSpec(rest);
    expect(warming.NetworkingConfig!.EndpointsConfig!['helvetia-edge']).toEqual({});
  });
  it('passes labels and env through', () => {
    expect(spec.Labels).toEqual({ 'cloud.helvetia.managed': 'true' });
    expect(spec.Env).toEqual(['PORT=8080']);
    expect(spec.ExposedPorts).toEqual({ '8080/tcp': {} });
  });
});

describe('probe container spec', () => {
  it('probes the target by name from inside the network, hardened and not restarted', () => {
    const probe = probeContainerSpec({
      name: 'p', image: 'busybox', target: 'helvetia-app', port: 8080, path: '/health', attempts: 10,
      network: 'edge', labels: {},
    });
    expect(probe.Cmd).toEqual(['http://helvetia-app:8080/health']);
    expect(probe.HostConfig?.CapDrop).toEqual(['ALL']);
    expect(probe.HostConfig?.RestartPolicy?.Name).toBe('no');
    expect(probe.HostConfig?.NetworkMode).toBe('edge');
  });
});
