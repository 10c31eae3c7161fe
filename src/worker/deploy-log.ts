import type { Logger } from '../logger.js';
import type { LogMetaInput, LogStatus } from '../logs/log-entry.js';
import { compileSecrets, redactText } from '../logs/redactor.js';

/** Where deploy output goes beyond the worker: the build-log store, streamed to viewers. */
export interface LogSink {
  open(id: string, meta: LogMetaInput): Promise<void>;
  append(id: string, text: string, source: 'build' | 'run' | 'worker'): Promise<void>;
  setStatus(id: string, status: LogStatus, extra?: { url?: string }): Promise<void>;
  end(id: string, conclusion: string): Promise<void>;
}

/**
 * One deploy's output: build lines, container start, health waits and the worker's own steps.
 * Redacts the installation token (and anything shaped like a GitHub token) before anything is
 * kept, caps build output at `maxBytes`, keeps a tail for the check-run summary.
 */
export class DeployLog {
  private readonly tailLines: string[] = [];
  private bytes = 0;
  private capped = false;
  private pending: Promise<void> = Promise.resolve();
  private secrets: RegExp | undefined;
  private readonly secretValues: Set<string>;

  constructor(
    private readonly id: string,
    private readonly opts: { maxBytes: number; tailSize?: number; secrets: string[]; sink?: LogSink; logger: Logger },
  ) {
    this.secretValues = new Set(opts.secrets);
    this.secrets = compileSecrets(this.secretValues);
  }

  /** Values opened for this deploy (its secrets): from now on every line shows them as `***`. */
  addSecrets(values: Iterable<string>): void {
    for (const value of values) this.secretValues.add(value);
    this.secrets = compileSecrets(this.secretValues);
  }

  redact(text: string): string {
    return redactText(text, this.secrets);
  }

  /** A worker step, timestamped. */
  step(message: string): void {
    this.write('worker', `[${new Date().toISOString()}] ${message}`, false);
  }

  build(line: string): void {
    this.write('build', line, true);
  }

  run(line: string): void {
    this.write('run', line, true);
  }

  tail(): string[] {
    return [...this.tailLines];
  }

  /** Waits until everything appended so far reached the sink. */
  async flush(): Promise<void> {
    await this.pending;
  }

  private write(source: 'build' | 'run' | 'worker', raw: string, counted: boolean): void {
    if (counted) {
      if (this.capped) return;
      this.bytes += Buffer.byteLength(raw) + 1;
      if (this.bytes > this.opts.maxBytes) {
        this.capped = true;
        raw = `[log truncated: output exceeded ${this.opts.maxBytes} bytes; further lines are dropped]`;
        source = 'worker';
      }
    }
    const line = this.redact(raw);
    this.tailLines.push(line);
    if (this.tailLines.length > (this.opts.tailSize ?? 200)) this.tailLines.shift();
    const sink = this.opts.sink;
    if (sink) {
      this.pending = this.pending
        .then(() => sink.append(this.id, line, source))
        .catch((error: unknown) => this.opts.logger.warn({ err: error }, 'could not store a log line'));
    }
  }
}
