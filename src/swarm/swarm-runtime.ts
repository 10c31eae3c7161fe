import { LABEL, ownedFilters } from '../docker/labels.js';
import { environmentNetwork } from '../services/environment-objects.js';
import type { Runtime } from '../worker/runtime.js';
import { registryTarget } from './swarm-engine.js';
import { swarmRunStep } from './swarm-run-step.js';
import { pinConstraints, prepareSwarmEnvironment, type SwarmDeps } from './swarm-environment.js';
import { runSwarmTask } from './swarm-task.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * DEPLOY_BACKEND=swarm: every environment is a Swarm service running the image by digest from the
 * registry, its companions services beside it, its volumes on the node it is pinned to.
 */
export function swarmRuntime(deps: SwarmDeps): Runtime {
  const { swarm, pins } = deps;
  // A release pushes the new image before the run step does: one push per image (the last few kept).
  const pushed = new Map<string, Promise<string>>();
  const push = (image: string): Promise<string> => {
    let ref = pushed.get(image);
    if (!ref) {
      const target = registryTarget(deps.registry, image);
      ref = swarm.pushImage(image, target).then((digest) => `${target.repository}@${digest}`);
      ref.catch(() => pushed.delete(image));
      pushed.set(image, ref);
      for (const old of [...pushed.keys()].slice(0, Math.max(0, pushed.size - 8))) pushed.delete(old);
    }
    return ref;
  };
  return {
    run: (input) => swarmRunStep(input, deps, push),
    prepare: (input) => prepareSwarmEnvironment(input, deps),
    runTask: async (input) =>
      runSwarmTask({ ...input, deps, imageByDigest: await push(input.image), constraints: pinConstraints((await pins.get(input.identity.repository, input.identity.environment)) ?? deps.node) }),
    // Removing the services stops their tasks on every node; their containers go with them. A
    // preview's volumes go too, removed by the worker of the node they are on.
    async removeEnvironment(target) {
      const { instance, repository, environment } = target;
      const services = await swarm.listServices(ownedFilters(instance, { [LABEL.repository]: repository, [LABEL.environment]: environment }));
      const removed: string[] = [];
      for (const service of services) if (await swarm.removeService(service.id)) removed.push(service.name);
      await removeOverlay(deps, environmentNetwork(target));
      const node = await pins.get(repository, environment);
      if (node && environment !== 'production') {
        await deps.chores.add(node, { kind: 'environment', instance, repository, environment });
        await pins.forget(repository, environment);
      }
      return removed;
    },
    listApps: async (instance, extra = {}) => (await swarm.listServices(ownedFilters(instance, { ...extra, [LABEL.role]: 'app' }))).map((s) => s.labels),
  };
}

/** The environment overlay, once the removed services' tasks have left it (up to 60 s). */
async function removeOverlay(deps: SwarmDeps, network: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await deps.manager.removeNetwork(network);
      return;
    } catch (error) {
      if (attempt >= 120) throw error;
      await sleep(500);
    }
  }
}
