import type { DockerEngine } from '../docker/engine.js';
import type { Logger } from '../logger.js';
import { Periodic } from './periodic.js';
import type { DeployState } from '../worker/deploy-state.js';
import type { StatsStore } from './environment-stats.js';

/**
 * Samples the CPU and memory of every environment's live container (the Docker stats API, through
 * the worker's DOCKER_HOST, so through the proxy, which allows it for owned containers only) into
 * the StatsStore the dashboard reads; environments no longer live lose their sample. One sample per
 * container per tick, one container at a time: a busy host is not asked for more.
 */
export class StatsSampler {
  private readonly periodic = new Periodic(() => this.tick(), (err) => this.deps.logger.warn({ err }, 'could not sample the live containers'));

  constructor(private readonly deps: { engine: DockerEngine; state: DeployState; stats: StatsStore; logger: Logger }) {}

  async tick(): Promise<void> {
    const live = await this.deps.state.liveContainers();
    await this.deps.stats.retain(new Set(live.map((l) => `${l.repository}@${l.environment}`)));
    for (const { repository, environment, containerId } of live) {
      try {
        const usage = await this.deps.engine.containerStats(containerId);
        await this.deps.stats.set(repository, environment, { containerId, ...usage, at: Date.now() });
      } catch (err) {
        // A container replaced between the listing and its sample: the next tick sees the new one.
        this.deps.logger.debug({ err, repository, environment, containerId }, 'could not sample a live container');
      }
    }
  }

  /** Samples every `everyMs` until stopped. */
  start(everyMs: number): void {
    this.periodic.start(everyMs);
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }
}
