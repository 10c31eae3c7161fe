import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DockerEngine } from '../docker/engine.js';
import { LABEL, ownedFilters } from '../docker/labels.js';
import type { Logger } from '../logger.js';

/**
 * Work on one node's Docker. `environment`: remove what the environment left there (stopped task
 * containers, then its volumes). `service`: remove the stopped containers of a finished job service.
 */
export type NodeChore =
  | { kind: 'environment'; instance: string; repository: string; environment: string }
  | { kind: 'job'; instance: string; service: string };

const queueName = (node: string) => `node-chores-${node}`;

/** The label Swarm puts on a task's container: the service it belongs to. */
const SERVICE_NAME_LABEL = 'com.docker.swarm.service.name';

/**
 * Work only one node can do. Volumes and the containers of finished Swarm jobs stay on their node
 * (Swarm does not remove a removed job's stopped containers), and only that node's proxy can check
 * and remove them: any worker hands the work to that node's worker through a queue of its own
 * (`node-chores-<node id>`), retried while a volume is still in use (a task is stopping) and kept
 * in Redis while that worker is down.
 */
export class NodeChores {
  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  async add(node: string, chore: NodeChore): Promise<void> {
    const queue = new Queue<NodeChore>(queueName(node), { connection: this.connection, prefix: this.prefix });
    try {
      await queue.add(chore.kind, chore, { attempts: 30, backoff: { type: 'fixed', delay: 2000 }, removeOnComplete: 100, removeOnFail: 500 });
    } finally {
      await queue.close();
    }
  }

  /** This node's worker: does the chores through `engine` (its own proxy, which removes only what it owns). */
  start(node: string, engine: DockerEngine, logger: Logger): Worker<NodeChore, string[]> {
    return new Worker<NodeChore, string[]>(
      queueName(node),
      async (job) => {
        const chore = job.data;
        const scope: Record<string, string> = chore.kind === 'job' ? { [SERVICE_NAME_LABEL]: chore.service } : { [LABEL.repository]: chore.repository, [LABEL.environment]: chore.environment };
        const removed: string[] = [];
        for (const container of await engine.listContainers(ownedFilters(chore.instance, scope))) {
          await engine.removeContainer(container.id);
          removed.push(container.name);
        }
        // A volume still in use (a task is stopping) throws: the job is retried.
        if (chore.kind === 'environment') for (const volume of await engine.listVolumes(ownedFilters(chore.instance, scope))) if (await engine.removeVolume(volume.name)) removed.push(volume.name);
        logger.info({ chore, removed }, 'node chore done');
        return removed;
      },
      { connection: this.connection, prefix: this.prefix, concurrency: 1 },
    ).on('failed', (job, err) => logger.warn({ err, attempt: job?.attemptsMade, chore: job?.data }, 'node chore failed; retrying'));
  }
}
