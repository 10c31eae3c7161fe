/**
 * The worker's intake dispatcher alone (no deploy workers), as a child process of the webhook
 * benchmark: it turns the app's stored deliveries into BullMQ jobs while the load runs, as a
 * worker would (at a worker's default priority), so its Redis and CPU cost is part of the
 * measurement. REDIS_URL and QUEUE_PREFIX from the environment; prints "ready" once reading.
 */
import { createLogger } from '../src/logger.js';
import { DeployQueue } from '../src/queue/deploy-queue.js';
import { IntakeDispatcher } from '../src/queue/intake-dispatcher.js';
import { createWorkerConnection } from '../src/queue/redis.js';
import { DEFAULT_WORKER_NICE, lowerPriority } from '../src/worker/priority.js';

// At the priority a `helvetia worker` process runs at by default.
lowerPriority(DEFAULT_WORKER_NICE);
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const connection = createWorkerConnection(url);
const queue = new DeployQueue(connection, { prefix: process.env.QUEUE_PREFIX });
const dispatcher = new IntakeDispatcher({ blocking: createWorkerConnection(url), queue, logger: createLogger({ level: 'warn' }) });
dispatcher.start();
console.log('ready');
process.on('SIGTERM', () => {
  void dispatcher.close().then(() => queue.close()).then(() => process.exit(0));
});
