import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/labels.js';
import type { ServiceState, SwarmEngine } from '../../src/swarm/swarm-engine.js';
import { swarmRuntime } from '../../src/swarm/swarm-runtime.js';
import type { DockerEngine } from '../../src/docker/engine.js';
import type { NodeChores } from '../../src/swarm/node-chores.js';
import type { NodePins } from '../../src/swarm/node-pins.js';
import { environmentNetwork } from '../../src/services/environment-objects.js';
import { previewGate } from '../../src/worker/preview-gate.js';
import { reconcilePreviews } from '../../src/worker/reconcile-previews.js';
import type { WorkerDeps } from '../../src/worker/run-deploy.js';
import type { DeployQueue } from '../../src/queue/deploy-queue.js';
import type { DeployJobData } from '../../src/queue/job-types.js';

const INSTANCE = 'hvunit';
const labels = (environment: string, repository = 'o/r'): Record<string, string> => ({
  [LABEL.managed]: 'true', [LABEL.instance]: INSTANCE, [LABEL.role]: 'app', [LABEL.repository]: repository, [LABEL.environment]: environment, [LABEL.installation]: '7',
});
const service = (name: string, environment: string): ServiceState => ({ id: `id-${name}`, name, version: 1, labels: labels(environment), image: 'r/helvetia/x@sha256:1', replicas: 1 });

/** A Swarm with `services`; records the label filters it was asked with and what was removed. */
function fakeSwarm(services: ServiceState[]) {
  const filters: string[][] = [];
  const removed: string[] = [];
  const engine = {
    listServices: async (f: string[]) => {
      filters.push(f);
      const wanted = f.map((x) => x.split('=') as [string, string]);
      return services.filter((s) => wanted.every(([k, v]) => s.labels[k] === v));
    },
    removeService: async (id: string) => (removed.push(id), true),
  } as unknown as SwarmEngine;
  return { engine, filters, removed };
}

describe('the swarm runtime: previews are services on any node', () => {
  const swarm = fakeSwarm([service('r--o', 'production'), service('pr-3--r--o', 'pr-3')]);
  const chores: { node: string; environment: string }[] = [];
  const pinned = new Map([['o/r@pr-3', 'node-b'], ['o/r@production', 'node-a']]);
  const networks: string[] = [];
  const runtime = swarmRuntime({
    swarm: swarm.engine, registry: 'registry:5000', node: 'node-a',
    manager: { removeNetwork: async (name: string) => (networks.push(name), true) } as unknown as DockerEngine,
    pins: { get: async (r: string, e: string) => pinned.get(`${r}@${e}`), forget: async (r: string, e: string) => void pinned.delete(`${r}@${e}`) } as unknown as NodePins,
    chores: { add: async (node: string, c: { kind: string; environment: string }) => void chores.push({ node, environment: `${c.kind}:${c.environment}` }) } as unknown as NodeChores,
  });

  it('the preview reconciler sees preview services (not only this node\'s containers) and tears down an idle one', async () => {
    const teardowns: { environment: string; reason: string }[] = [];
    const now = Date.now();
    const deps = {
      runtime, config: { QUEUE_PREFIX: INSTANCE, PREVIEW_TTL_HOURS: 1 },
      engine: { listContainers: async () => [] },
      state: { deployedAt: async () => now - 2 * 3600_000 },
      logger: { info: () => undefined },
    } as unknown as WorkerDeps;
    const queue = { enqueueTeardown: async (t: { environment: string; reason: string }) => void teardowns.push(t) } as unknown as DeployQueue;
    const report = await reconcilePreviews(deps, queue, now);
    expect(report.checked).toBe(1);
    expect(teardowns).toEqual([expect.objectContaining({ environment: 'pr-3', reason: 'idle for more than 1 hours' })]);
    expect(swarm.filters.at(-1)).toEqual(expect.arrayContaining([`${LABEL.instance}=${INSTANCE}`, `${LABEL.role}=app`]));
  });

  it('the preview cap counts preview services', async () => {
    const deps = { runtime, config: { QUEUE_PREFIX: INSTANCE, PREVIEW_MAX_PER_REPO: 1 }, engine: { listContainers: async () => [] }, state: {} } as never;
    const gate = await previewGate({ repository: 'o/r', environment: 'pr-4', pullRequest: 4 } as DeployJobData, deps);
    expect(gate).toMatchObject({ proceed: false, title: 'Preview limit reached' });
    expect(await previewGate({ repository: 'o/r', environment: 'pr-3', pullRequest: 3 } as DeployJobData, deps)).toEqual({ proceed: true });
  });

  it('a teardown removes exactly the environment\'s services and overlay, and hands a preview\'s volumes to the node they are pinned to', async () => {
    expect(await runtime.removeEnvironment({ instance: INSTANCE, repository: 'o/r', environment: 'pr-3' })).toEqual(['pr-3--r--o']);
    expect(swarm.removed).toEqual(['id-pr-3--r--o']);
    expect(networks).toEqual([environmentNetwork({ instance: INSTANCE, repository: 'o/r', environment: 'pr-3' })]);
    expect(chores).toEqual([{ node: 'node-b', environment: 'environment:pr-3' }]);
    expect(pinned.has('o/r@pr-3')).toBe(false);
  });

  it('production\'s volumes are never removed by a teardown, and its pin stays', async () => {
    await runtime.removeEnvironment({ instance: INSTANCE, repository: 'o/r', environment: 'production' });
    expect(chores.filter((c) => c.environment.endsWith(':production'))).toEqual([]);
    expect(pinned.get('o/r@production')).toBe('node-a');
  });
});
