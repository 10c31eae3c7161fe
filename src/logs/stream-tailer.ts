/**
 * One blocking XREAD loop per store (so per process) on a duplicated connection, fanning entries
 * out to every subscriber of every log. Subscribing to a log nobody tails yet wakes the loop with
 * CLIENT UNBLOCK so the new stream joins the next read at once.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { compareEntryIds, parseEntry, type LogEntry, type RawStreamEntry } from './log-entry.js';

export type EntryListener = (entries: LogEntry[]) => void;

interface Tail {
  cursor: string;
  listeners: Set<EntryListener>;
}

export interface StreamTailerOptions {
  redis: Redis;
  logger: Logger;
  blockMs: number;
  connectionName: string;
  /** Entries per stream per read. */
  count?: number;
}

export class StreamTailer {
  private readonly tails = new Map<string, Tail>();
  private conn: Redis | undefined;
  private connId: number | undefined;
  private loop: Promise<void> | undefined;
  private closed = false;
  private reading = false;
  private readGeneration = 0;

  constructor(private readonly opts: StreamTailerOptions) {}

  /** Delivers every entry added to `key` after this call resolves. Returns the unsubscribe function. */
  async subscribe(key: string, listener: EntryListener): Promise<() => void> {
    if (this.closed) throw new Error('build log store is closed');
    let tail = this.tails.get(key);
    if (!tail) {
      const last = await this.opts.redis.xrevrange(key, '+', '-', 'COUNT', 1);
      tail = this.tails.get(key);
      if (!tail) {
        tail = { cursor: last[0]?.[0] ?? '0-0', listeners: new Set() };
        this.tails.set(key, tail);
        this.wake();
      }
    }
    const joined = tail;
    joined.listeners.add(listener);
    this.loop ??= this.run();
    return () => {
      joined.listeners.delete(listener);
      if (joined.listeners.size === 0 && this.tails.get(key) === joined) this.tails.delete(key);
    };
  }

  stats(): { tailedLogs: number; listeners: number; connectionOpen: boolean } {
    let listeners = 0;
    for (const tail of this.tails.values()) listeners += tail.listeners.size;
    return { tailedLogs: this.tails.size, listeners, connectionOpen: this.conn !== undefined };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.tails.clear();
    this.conn?.disconnect();
    await this.loop;
    this.conn = undefined;
  }

  private connection(): Redis {
    if (!this.conn) {
      const conn = this.opts.redis.duplicate({ connectionName: this.opts.connectionName });
      conn.on('close', () => (this.connId = undefined));
      conn.on('error', (error: Error) => this.opts.logger.warn({ err: error.message }, 'log tail connection error'));
      this.conn = conn;
    }
    return this.conn;
  }

  /**
   * Interrupts the blocking read so that newly tailed streams are included. CLIENT UNBLOCK travels on
   * another connection and may overtake the XREAD it targets, so it is repeated until a new read starts.
   * If CLIENT UNBLOCK is not permitted, the stream joins after at most blockMs.
   */
  private wake(): void {
    const generation = this.readGeneration;
    const attempt = (n: number): void => {
      if (this.closed || !this.reading || this.readGeneration !== generation || this.connId === undefined || n >= 50) return;
      this.opts.redis.client('UNBLOCK', this.connId).then(
        () => setTimeout(() => attempt(n + 1), 10).unref(),
        () => undefined,
      );
    };
    attempt(0);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed && this.tails.size > 0) {
      let reply: [string, RawStreamEntry[]][] | null;
      try {
        const conn = this.connection();
        // Only this loop uses the connection, so CLIENT ID never waits behind a blocking read.
        this.connId ??= Number(await conn.client('ID'));
        const keys = [...this.tails.keys()];
        const cursors = keys.map((k) => this.tails.get(k)!.cursor);
        const args = ['COUNT', this.opts.count ?? 2000, 'BLOCK', this.opts.blockMs, 'STREAMS', ...keys, ...cursors];
        this.readGeneration += 1;
        this.reading = true;
        reply = (await conn.call('XREAD', ...args)) as [string, RawStreamEntry[]][] | null;
        failures = 0;
      } catch (error) {
        if (this.closed) break;
        failures += 1;
        this.opts.logger.warn({ err: (error as Error).message, failures }, 'log tail read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 100 * 2 ** failures)));
        continue;
      } finally {
        this.reading = false;
      }
      if (reply) this.dispatch(reply);
    }
    this.loop = undefined;
  }

  private dispatch(reply: [string, RawStreamEntry[]][]): void {
    for (const [key, raw] of reply) {
      const tail = this.tails.get(key);
      if (!tail || raw.length === 0) continue;
      const fresh = raw.filter(([id]) => compareEntryIds(id, tail.cursor) > 0);
      if (fresh.length === 0) continue;
      tail.cursor = fresh[fresh.length - 1]![0];
      const entries = fresh.map(parseEntry).filter((e): e is LogEntry => e !== undefined);
      for (const listener of [...tail.listeners]) {
        try {
          listener(entries);
        } catch (error) {
          this.opts.logger.error({ err: (error as Error).message }, 'log tail listener failed');
        }
      }
    }
  }
}
