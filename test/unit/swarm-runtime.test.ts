import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/labels.js';
import type { ServiceState, SwarmEngine } from '../../src/swarm/swarm-engine.js';
import { swarmRuntime } from '../../src/swarm/swarm-runtime.js';
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
  const runtime = swarmRuntime(swarm.engine, 'registry:5000');

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

  it('a teardown removes exactly the environment\'s services', async () => {
    expect(await runtime.removeEnvironment({ instance: INSTANCE, repository: 'o/r', environment: 'pr-3' })).toEqual(['pr-3--r--o']);
    expect(swarm.removed).toEqual(['id-pr-3--r--o']);
  });
});
