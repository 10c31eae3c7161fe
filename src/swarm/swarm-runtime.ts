import { LABEL, ownedFilters } from '../docker/labels.js';
import type { Runtime } from '../worker/runtime.js';
import type { SwarmEngine } from './swarm-engine.js';
import { swarmRunStep } from './swarm-run-step.js';

/** DEPLOY_BACKEND=swarm: every environment is a Swarm service running the image by digest from `registry`. */
export function swarmRuntime(swarm: SwarmEngine, registry: string): Runtime {
  return {
    run: (input) => swarmRunStep(input, swarm, registry),
    // Removing the service stops its tasks on every node; their containers go with them.
    async removeEnvironment({ instance, repository, environment }) {
      const services = await swarm.listServices(ownedFilters(instance, { [LABEL.repository]: repository, [LABEL.environment]: environment }));
      const removed: string[] = [];
      for (const service of services) if (await swarm.removeService(service.id)) removed.push(service.name);
      return removed;
    },
    listApps: async (instance, extra = {}) => (await swarm.listServices(ownedFilters(instance, { ...extra, [LABEL.role]: 'app' }))).map((s) => s.labels),
  };
}
