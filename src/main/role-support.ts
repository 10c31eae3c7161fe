import type { Config } from '../config/load-config.js';
import { createWorkerConnection } from '../queue/redis.js';

/** A role's way back to its clients: stops them and closes its connections. */
export type Stop = () => Promise<void>;

/** Build logs get their own connection: commands queue briefly while Redis reconnects. */
export function createLogConnection(config: Config) {
  return createWorkerConnection(config.REDIS_URL, { maxRetriesPerRequest: 3 });
}
