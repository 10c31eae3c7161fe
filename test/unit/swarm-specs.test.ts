import { describe, expect, it } from 'vitest';
import { mirrorName } from '../../src/swarm/mirror-image.js';
import { appServiceSpec, companionServiceSpec, jobServiceSpec } from '../../src/swarm/service-spec.js';
import { pinConstraints, swarmVolumeName } from '../../src/swarm/swarm-environment.js';

const limits = { memoryMb: 128, cpus: 0.5, pidsLimit: 64 };
const base = { image: 'r:5000/helvetia/x@sha256:1', labels: { a: 'b' }, containerLabels: { c: 'd' }, env: { K: 'v' }, limits };
type Spec = { TaskTemplate: { ContainerSpec: Record<string, unknown>; Placement: { Constraints: string[] }; Networks: unknown[]; RestartPolicy: { Condition: string } }; Mode: unknown; UpdateConfig?: { Order: string } };

describe('swarm service specs', () => {
  it('a companion: one task on the environment overlay under its name, stop-first, its healthcheck, command as args, pinned with its volumes', () => {
    const spec = companionServiceSpec({
      ...base, name: 'helvetia-abc-db', network: 'helvetia-env-abc', alias: 'db', command: ['redis-server', '--port', '6379'], healthcheck: ['redis-cli', 'ping'], capAdd: ['SETUID'],
      volumes: { 'hv0123456789abcdef-abc-data': '/data' }, constraints: pinConstraints('node1'),
    }) as Spec;
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(spec.UpdateConfig!.Order).toBe('stop-first');
    expect(spec.TaskTemplate.Networks).toEqual([{ Target: 'helvetia-env-abc', Aliases: ['db'] }]);
    expect(spec.TaskTemplate.Placement.Constraints).toEqual(['node.id==node1']);
    expect(spec.TaskTemplate.ContainerSpec).toMatchObject({
      Args: ['redis-server', '--port', '6379'], CapabilityDrop: ['ALL'], CapabilityAdd: ['SETUID'], Env: ['K=v'],
      Healthcheck: { Test: ['CMD', 'redis-cli', 'ping'] }, Mounts: [{ Type: 'volume', Source: 'hv0123456789abcdef-abc-data', Target: '/data', ReadOnly: false }],
    });
    expect(spec.TaskTemplate.ContainerSpec.Command).toBeUndefined();
  });

  it('a release or seed job: one task, never restarted, `sh -c` the command, no update config', () => {
    const spec = jobServiceSpec({ ...base, name: 'j', command: 'sh /app/migrate.sh', network: 'helvetia-env-abc' }) as unknown as Spec;
    expect(spec.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    expect(spec.TaskTemplate.RestartPolicy).toEqual({ Condition: 'none' });
    expect(spec.TaskTemplate.ContainerSpec).toMatchObject({ Command: ['sh', '-c'], Args: ['sh /app/migrate.sh'] });
    expect(spec.UpdateConfig).toBeUndefined();
  });

  it('the app: start-first unless strategy recreate; the environment overlay joined; unpinned without volumes', () => {
    const input = { ...base, name: 'app', replicas: 2, network: 'edge', alias: 'app', monitorSeconds: 3 };
    expect((appServiceSpec(input) as Spec).UpdateConfig!.Order).toBe('start-first');
    const recreate = appServiceSpec({ ...input, stopFirst: true, environmentNetwork: 'helvetia-env-abc' }) as Spec;
    expect(recreate.UpdateConfig!.Order).toBe('stop-first');
    expect(recreate.TaskTemplate.Networks).toEqual([{ Target: 'edge', Aliases: ['app'] }, { Target: 'helvetia-env-abc' }]);
    expect(recreate.TaskTemplate.Placement.Constraints).toEqual([]);
    expect(pinConstraints(undefined)).toEqual([]);
  });

  it('names: volumes in the owner\'s namespace; companion images mirrored under helvetia/services/', () => {
    expect(swarmVolumeName('hv0123456789abcdef', { instance: 'i', repository: 'o/r', environment: 'pr-1' }, 'data')).toMatch(/^hv0123456789abcdef-[0-9a-f]{12}-data$/);
    expect(mirrorName('postgres:16-alpine')).toBe('helvetia/services/postgres:16-alpine');
    expect(mirrorName('helvetia-redis:7')).toBe('helvetia/services/helvetia-redis:7');
    expect(mirrorName('ghcr.io/Org/db')).toBe('helvetia/services/ghcr.io/org/db:latest');
    expect(mirrorName('localhost:5000/db:1')).toBe('helvetia/services/localhost-5000/db:1');
    expect(mirrorName(`redis@sha256:${'a'.repeat(64)}`)).toBe(`helvetia/services/redis:sha256-${'a'.repeat(64)}`);
  });
});
