/**
 * Build logs in Redis: one hash (meta) and one stream (lines, status changes, end marker) per log.
 * All state lives in Redis, so the worker can write and the app can serve from different processes.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { InvalidLogArgumentError } from './errors.js';
import { assertLogId } from './log-id.js';
import { LOG_SOURCES, LOG_STATUSES, parseEntry, parseMeta } from './log-entry.js';
import type { LogEntry, LogMeta, LogMetaInput, LogSource, LogStatus, RawStreamEntry } from './log-entry.js';
import type { LogConfig } from './log-config.js';
import { prepareLines } from './prepare-lines.js';
import { redactLine } from './redactor.js';
import { APPEND_SCRIPT, END_SCRIPT, OPEN_SCRIPT, STATUS_SCRIPT } from './redis-scripts.js';
import { stripControlSequences, stripSgr } from './sanitize-line.js';
import { SecretRegistry } from './secret-registry.js';
import { StreamTailer, type EntryListener } from './stream-tailer.js';
import { SerialQueue } from './serial-queue.js';

export interface BuildLogStoreOptions {
  redis: Redis;
  config: Pick<LogConfig, 'LOG_RETENTION_DAYS' | 'LOG_MAX_LINES' | 'LOG_MAX_BYTES'>;
  logger: Logger;
  /** Redis key prefix; default 'helvetia:log:'. */
  prefix?: string;
  /** Longest blocking read of the shared tail loop; default 2000 ms. */
  tailBlockMs?: number;
  /** CLIENT SETNAME of the one duplicated connection used for live tails. */
  tailConnectionName?: string;
  /** How long per-log secrets stay in memory after end(); default 10 minutes. */
  secretGraceMs?: number;
}

const BATCH_LINES = 1000;
const BATCH_BYTES = 512 * 1024;
const isHttpUrl = (v: string): boolean => /^https?:\/\//i.test(v) && URL.canParse(v);
const clean = (v: string, max = 300): string => stripSgr(stripControlSequences(String(v))).slice(0, max);

export class BuildLogStore {
  private readonly redis: Redis;
  private readonly log: Logger;
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly secrets = new SecretRegistry();
  private readonly queue = new SerialQueue();
  private readonly tailer: StreamTailer;

  constructor(private readonly opts: BuildLogStoreOptions) {
    this.redis = opts.redis;
    this.log = opts.logger.child({ component: 'build-logs' });
    this.prefix = opts.prefix ?? 'helvetia:log:';
    this.ttl = opts.config.LOG_RETENTION_DAYS * 86_400;
    this.tailer = new StreamTailer({
      redis: opts.redis,
      logger: this.log,
      blockMs: opts.tailBlockMs ?? 2000,
      connectionName: opts.tailConnectionName ?? 'helvetia-log-tail',
    });
  }

  /** Creates (or starts afresh) log `id` with status `queued`; `secrets` stay in this process's memory. */
  async open(id: string, meta: LogMetaInput): Promise<void> {
    assertLogId(id);
    if (meta.commitUrl !== undefined && !isHttpUrl(meta.commitUrl)) throw new InvalidLogArgumentError('commitUrl must be an http(s) URL');
    this.secrets.add(id, meta.secrets ?? []);
    const fields = ['repository', clean(meta.repository), 'sha', clean(meta.sha, 64), 'environment', clean(meta.environment)];
    if (meta.commitUrl) fields.push('commitUrl', meta.commitUrl);
    await this.queue.run(id, () => OPEN_SCRIPT.run(this.redis, this.keys(id), [this.ttl, Date.now(), ...fields]));
  }

  /** Registers more values to redact in log `id` (for example a token minted after open). */
  addSecrets(id: string, secrets: string[]): void {
    this.secrets.add(assertLogId(id), secrets);
  }

  /** Splits, sanitises, redacts and stores `text` (lines beyond the caps are dropped after one notice). */
  async append(id: string, text: string, source: LogSource = 'build'): Promise<void> {
    await this.appendCounted(id, text, source);
  }

  /** Like append; resolves to the number of lines stored. */
  async appendCounted(id: string, text: string, source: LogSource = 'build'): Promise<number> {
    assertLogId(id);
    if (!LOG_SOURCES.includes(source)) throw new InvalidLogArgumentError(`unknown log source ${String(source)}`);
    const lines = prepareLines(String(text), this.secrets.matcher(id));
    if (lines.length === 0) return 0;
    const t = Date.now();
    return this.queue.run(id, async () => {
      let stored = 0;
      for (let start = 0; start < lines.length; ) {
        let end = start;
        for (let bytes = 0; end < lines.length && end - start < BATCH_LINES && bytes < BATCH_BYTES; end++) bytes += lines[end]!.length;
        const result = Number(await APPEND_SCRIPT.run(this.redis, this.keys(id), [this.ttl, t, source, this.opts.config.LOG_MAX_LINES, this.opts.config.LOG_MAX_BYTES, this.truncationNotice(), ...lines.slice(start, end)]));
        if (result < 0) {
          this.log.warn({ logId: id, reason: result === -1 ? 'not open' : 'ended' }, 'build log append dropped');
          return stored;
        }
        stored += result;
        if (result < end - start) return stored; // cap reached
        start = end;
      }
      return stored;
    });
  }

  async setStatus(id: string, status: LogStatus, extra: { url?: string } = {}): Promise<void> {
    assertLogId(id);
    if (!LOG_STATUSES.includes(status)) throw new InvalidLogArgumentError(`unknown status ${String(status)}`);
    if (extra.url !== undefined && !isHttpUrl(extra.url)) throw new InvalidLogArgumentError('url must be an http(s) URL');
    const done = await this.queue.run(id, () => STATUS_SCRIPT.run(this.redis, this.keys(id), [this.ttl, Date.now(), status, extra.url ?? '']));
    if (Number(done) === 0) this.log.warn({ logId: id, status }, 'status for a build log that does not exist');
  }

  /** Marks the log ended; live viewers receive `end` with the conclusion. Later appends are dropped. */
  async end(id: string, conclusion: string): Promise<void> {
    assertLogId(id);
    const text = redactLine(clean(conclusion, 200), this.secrets.matcher(id));
    await this.queue.run(id, () => END_SCRIPT.run(this.redis, this.keys(id), [this.ttl, Date.now(), text]));
    this.secrets.forgetLater(id, this.opts.secretGraceMs ?? 600_000);
  }

  /** Hides GitHub tokens and this log's registered secrets in any text (e.g. a check-run summary). */
  redact(id: string, text: string): string {
    return redactLine(String(text), this.secrets.matcher(id));
  }

  async getMeta(id: string): Promise<LogMeta | null> {
    return parseMeta(await this.redis.hgetall(this.keys(assertLogId(id))[0]));
  }

  /** Up to `count` entries strictly after entry id `after` ('0-0' for the beginning). */
  async readEntries(id: string, after: string, count: number): Promise<LogEntry[]> {
    const raw = (await this.redis.xrange(this.keys(assertLogId(id))[1], `(${after}`, '+', 'COUNT', count)) as RawStreamEntry[];
    return raw.map(parseEntry).filter((e): e is LogEntry => e !== undefined);
  }

  /** Live entries of log `id` added after this resolves, from the process-wide shared tail loop. */
  subscribe(id: string, listener: EntryListener): Promise<() => void> {
    return this.tailer.subscribe(this.keys(assertLogId(id))[1], listener);
  }

  async delete(id: string): Promise<void> {
    await this.redis.del(...this.keys(assertLogId(id)));
    this.secrets.forget(id);
  }

  stats(): { tailedLogs: number; listeners: number; connectionOpen: boolean; secretsHeld: number } {
    return { ...this.tailer.stats(), secretsHeld: this.secrets.size };
  }

  /** Closes the tail connection this store duplicated; the caller's Redis client stays open. */
  async close(): Promise<void> {
    this.secrets.clear();
    await this.tailer.close();
  }

  private keys(id: string): [meta: string, stream: string] {
    return [`${this.prefix}${id}`, `${this.prefix}${id}:stream`];
  }

  private truncationNotice(): string {
    const { LOG_MAX_LINES: lines, LOG_MAX_BYTES: bytes } = this.opts.config;
    return `[helvetia] log truncated: the limit of ${lines} lines or ${bytes} bytes was reached; further output is dropped`;
  }
}
