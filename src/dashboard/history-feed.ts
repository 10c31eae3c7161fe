import type { Redis } from 'ioredis';
import { historyChannel, type DeployRecord } from '../history/deploy-history.js';
import type { Logger } from '../logger.js';

type Listener = (record: DeployRecord) => void;

/**
 * One Redis subscription (a duplicated connection, opened on the first listener) to the history
 * channel, fanned out in process to the listeners of each repository.
 */
export class HistoryFeed {
  private subscriber?: Redis;
  private ready?: Promise<void>;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly logger: Logger) {}

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const subscriber = (this.subscriber = this.redis.duplicate());
    subscriber.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'history feed connection error'));
    subscriber.on('message', (_channel: string, message: string) => {
      let record: DeployRecord;
      try {
        record = JSON.parse(message) as DeployRecord;
      } catch {
        return;
      }
      if (typeof record?.repository !== 'string') return;
      for (const listener of this.listeners.get(record.repository.toLowerCase()) ?? []) listener(record);
    });
    this.ready = subscriber.subscribe(historyChannel(this.prefix)).then(() => undefined);
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  /** Calls `listener` with every record of `repository` (owner/name) published from now on; returns the unsubscribe. */
  async subscribe(repository: string, listener: Listener): Promise<() => void> {
    const key = repository.toLowerCase();
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    const off = () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(key) === set) this.listeners.delete(key);
    };
    try {
      await this.start();
    } catch (error) {
      off();
      throw error;
    }
    return off;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    this.ready = undefined;
  }
}
