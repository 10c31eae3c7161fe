import type { DockerEngine } from '../docker/engine.js';
import { LABEL, ownedFilters } from '../docker/labels.js';
import type { Logger } from '../logger.js';
import { Periodic } from './periodic.js';
import type { DeployState } from '../worker/deploy-state.js';
import { sumStats, type EnvironmentStats, type StatsStore } from './environment-stats.js';

/**
 * DEPLOY_BACKEND=swarm: an environment's tasks run on any node, and a node's Docker API (through
 * its builder proxy) shows only that node's containers. So every worker samples the app tasks on
 * its own node, sums them per environment, and writes that as its node's part; the dashboard adds
 * the fresh parts of every node (StatsStore.get). A node without a worker is not sampled: the
 * dashboard shows how many tasks its figures cover.
 */
export class TaskStatsSampler {
  private readonly periodic = new Periodic(() => this.tick(), (err) => this.deps.logger.warn({ err }, 'could not sample the tasks on this node'));

  constructor(private readonly deps: { engine: DockerEngine; state: DeployState; stats: StatsStore; logger: Logger; instance: string; node: string }) {}

  async tick(): Promise<void> {
    const { engine, stats, state, instance, node } = this.deps;
    const live = await state.liveContainers();
    await stats.retain(new Set(live.map((l) => `${l.repository}@${l.environment}`)));
    const tasks = (await engine.listContainers(ownedFilters(instance, { [LABEL.role]: 'app' }))).filter((c) => c.state === 'running' && c.labels['com.docker.swarm.service.id']);
    const samples = new Map<string, Omit<EnvironmentStats, 'containerId'>[]>();
    for (const task of tasks) {
      const environment = `${task.labels[LABEL.repository]}@${task.labels[LABEL.environment]}`;
      try {
        const usage = await engine.containerStats(task.id);
        samples.set(environment, [...(samples.get(environment) ?? []), { ...usage, at: Date.now() }]);
      } catch (err) {
        // A task replaced between the listing and its sample: the next tick sees the new one.
        this.deps.logger.debug({ err, environment, containerId: task.id }, 'could not sample a task');
      }
    }
    const now = Date.now();
    const parts = new Map([...samples].map(([environment, list]) => [environment, sumStats(list, now)]));
    await stats.setNodeParts(node, parts);
  }

  /** Samples every `everyMs` until stopped. */
  start(everyMs: number): void {
    this.periodic.start(everyMs);
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }
}
