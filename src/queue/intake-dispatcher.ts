import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { DeployQueue, IntakeEntry } from './deploy-queue.js';

const GROUP = 'dispatchers';
const KINDS = new Set(['deploy', 'teardown', 'command']);

export interface DispatcherOptions {
  /** A connection of its own: it blocks on XREADGROUP. Disconnected by close(). */
  blocking: Redis;
  queue: DeployQueue;
  logger: Logger;
  /** Entries another dispatcher read but has not settled for this long are taken over (a crashed worker's). */
  claimIdleMs?: number;
  /** How long one read blocks; also bounds how late a take-over runs. */
  blockMs?: number;
  /**
   * After a read that found entries, wait this long before the next one, so a stream of deliveries
   * is dispatched in batches (fewer round trips for Redis and this process). A delivery arriving
   * at an idle dispatcher is dispatched at once.
   */
  lingerMs?: number;
  batch?: number;
}

type StreamEntry = [id: string, fields: string[]];

/** Reads an intake stream entry's fields back into an IntakeEntry; undefined when they are not one. */
export function parseIntakeEntry(fields: string[]): IntakeEntry | undefined {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const kind = map.get('kind');
  const jobId = map.get('jobId');
  if (!kind || !KINDS.has(kind) || !jobId) return undefined;
  try {
    const data: unknown = JSON.parse(map.get('data') ?? '');
    return data && typeof data === 'object' ? ({ kind, jobId, data } as IntakeEntry) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The worker side of the intake: a consumer group on the intake stream turns each stored delivery
 * into its BullMQ jobs (DeployQueue.materialize), then acknowledges and deletes the entry. An entry
 * is settled only after its jobs exist, so a worker killed in between leaves it pending, and
 * another dispatcher (or this one after a restart) takes it over once it has been idle for
 * claimIdleMs; materialize is idempotent. An entry that is not an intake entry is moved to
 * `<stream>:dead` with an error log, never retried forever or dropped silently.
 */
export class IntakeDispatcher {
  private readonly consumer = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly claimIdleMs: number;
  private readonly blockMs: number;
  private readonly batch: number;
  private readonly lingerMs: number;
  private readonly log: Logger;
  private running?: Promise<void>;
  private closing = false;
  private reading = false;
  private nextTakeOver = 0;

  constructor(private readonly options: DispatcherOptions) {
    this.claimIdleMs = options.claimIdleMs ?? 15_000;
    this.blockMs = options.blockMs ?? 2_000;
    this.batch = options.batch ?? 100;
    this.lingerMs = options.lingerMs ?? 20;
    this.log = options.logger.child({ component: 'intake', consumer: this.consumer });
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Stops reading; entries being dispatched finish first (one read but not dispatched is taken over later). */
  async close(): Promise<void> {
    this.closing = true;
    if (this.reading) this.options.blocking.disconnect();
    await this.running;
    this.options.blocking.disconnect();
  }

  private async loop(): Promise<void> {
    let groupReady = false;
    let failures = 0;
    while (!this.closing) {
      try {
        if (!groupReady) {
          await this.ensureGroup();
          groupReady = true;
        }
        if (Date.now() >= this.nextTakeOver) await this.takeOver();
        if (this.closing) break;
        this.reading = true;
        const reply = (await this.options.blocking.xreadgroup('GROUP', GROUP, this.consumer, 'COUNT', this.batch, 'BLOCK', this.blockMs, 'STREAMS', this.options.queue.intake.stream, '>').finally(() => (this.reading = false))) as [string, StreamEntry[]][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        await this.dispatchAll(entries);
        failures = 0;
        if (entries.length > 0 && this.lingerMs > 0 && !this.closing) await new Promise((resolve) => setTimeout(resolve, this.lingerMs));
      } catch (error) {
        if (this.closing) break;
        // A Redis that lost its data (restarted without persistence) lost the group too.
        if (error instanceof Error && error.message.includes('NOGROUP')) groupReady = false;
        failures++;
        this.log.error({ err: error }, 'intake dispatch failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(200 * failures, 2_000)));
      }
    }
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.options.blocking.xgroup('CREATE', this.options.queue.intake.stream, GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('BUSYGROUP')) throw error;
    }
  }

  /** Claims entries other consumers left idle (a killed worker's) and dispatches them. */
  private async takeOver(): Promise<void> {
    this.nextTakeOver = Date.now() + Math.max(1_000, this.claimIdleMs / 3);
    let cursor = '0-0';
    do {
      const [next, entries] = (await this.options.blocking.xautoclaim(this.options.queue.intake.stream, GROUP, this.consumer, this.claimIdleMs, cursor, 'COUNT', this.batch)) as [string, (StreamEntry | null)[]];
      // Entries deleted since they were read come back as null (XAUTOCLAIM also drops them from the PEL).
      const live = entries.filter((e): e is StreamEntry => e !== null);
      if (live.length > 0) this.log.warn({ entries: live.length }, 'took over intake entries another dispatcher left unsettled');
      await this.dispatchAll(live);
      cursor = next;
    } while (cursor !== '0-0' && !this.closing);
  }

  /**
   * Materializes a batch, then settles it in one transaction; entries that are not intake entries
   * go to the dead letters. When BullMQ refuses the batch, its entries are retried one by one, so
   * one entry it refuses stays pending (logged, taken over again later) without holding back the rest.
   */
  private async dispatchAll(entries: StreamEntry[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.dispatchBatch(entries);
    } catch (error) {
      if (entries.length === 1 || this.closing) throw error;
      for (const entry of entries) {
        await this.dispatchBatch([entry]).catch((err: unknown) => this.log.error({ err, streamId: entry[0] }, 'intake entry not dispatched; it stays pending'));
      }
    }
  }

  private async dispatchBatch(entries: StreamEntry[]): Promise<void> {
    const { stream, pending } = this.options.queue.intake;
    const good: IntakeEntry[] = [];
    const settle = this.options.blocking.multi();
    for (const [id, fields] of entries) {
      const entry = parseIntakeEntry(fields);
      if (entry) good.push(entry);
      else {
        this.log.error({ streamId: id, fields: fields.slice(0, 6) }, 'not an intake entry: moved to the dead-letter stream');
        settle.xadd(`${stream}:dead`, '*', ...fields);
      }
    }
    await this.options.queue.materialize(good);
    const ids = entries.map(([id]) => id);
    settle.xack(stream, GROUP, ...ids).xdel(stream, ...ids);
    if (good.length > 0) settle.hdel(pending, ...good.map((e) => e.jobId));
    await settle.exec();
    this.log.debug({ jobIds: good.map((e) => e.jobId) }, 'intake entries dispatched');
  }
}
