import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DockerEngine } from '../docker/engine.js';
import { LABEL, ownedFilters } from '../docker/labels.js';
import type { Logger } from '../logger.js';

/** Remove the volumes one environment left on this node. */
export interface VolumeChore {
  instance: string;
  repository: string;
  environment: string;
}

const queueName = (node: string) => `node-chores-${node}`;

/**
 * Work only one node can do. A volume lives on its node, and only that node's proxy can check and
 * remove it: a teardown on any worker hands the removal to the pinned node's worker through a
 * queue of its own (`node-chores-<node id>`), retried while the volume is still in use (the
 * removed service's task is stopping) and kept in Redis while that worker is down.
 */
export class NodeChores {
  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  async removeVolumes(node: string, chore: VolumeChore): Promise<void> {
    const queue = new Queue<VolumeChore>(queueName(node), { connection: this.connection, prefix: this.prefix });
    try {
      await queue.add('remove-volumes', chore, { attempts: 30, backoff: { type: 'fixed', delay: 2000 }, removeOnComplete: 100, removeOnFail: 500 });
    } finally {
      await queue.close();
    }
  }

  /** This node's worker: removes the environment's owned volumes through `engine` (its own proxy). */
  start(node: string, engine: DockerEngine, logger: Logger): Worker<VolumeChore, string[]> {
    return new Worker<VolumeChore, string[]>(
      queueName(node),
      async (job) => {
        const { instance, repository, environment } = job.data;
        const removed: string[] = [];
        // A volume still in use (its task is stopping) throws: the job is retried.
        for (const volume of await engine.listVolumes(ownedFilters(instance, { [LABEL.repository]: repository, [LABEL.environment]: environment }))) {
          if (await engine.removeVolume(volume.name)) removed.push(volume.name);
        }
        logger.info({ repository, environment, removed }, 'removed the environment\'s volumes on this node');
        return removed;
      },
      { connection: this.connection, prefix: this.prefix, concurrency: 1 },
    );
  }
}
