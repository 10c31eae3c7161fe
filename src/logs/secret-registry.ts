/** Per-log secret values, held only in this process's memory and compiled into one matcher. */
import { compileSecrets } from './redactor.js';

export class SecretRegistry {
  private readonly values = new Map<string, { secrets: Set<string>; matcher: RegExp | undefined }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  add(id: string, secrets: Iterable<string> = []): void {
    const entry = this.values.get(id) ?? { secrets: new Set<string>(), matcher: undefined };
    for (const secret of secrets) if (typeof secret === 'string') entry.secrets.add(secret);
    entry.matcher = compileSecrets(entry.secrets);
    this.values.set(id, entry);
    this.cancelForget(id);
  }

  matcher(id: string): RegExp | undefined {
    return this.values.get(id)?.matcher;
  }

  /** Drops the secrets after `delayMs` (the worker may still redact a summary right after end). */
  forgetLater(id: string, delayMs: number): void {
    this.cancelForget(id);
    const timer = setTimeout(() => this.forget(id), delayMs);
    timer.unref();
    this.timers.set(id, timer);
  }

  forget(id: string): void {
    this.cancelForget(id);
    this.values.delete(id);
  }

  clear(): void {
    for (const id of [...this.timers.keys()]) this.cancelForget(id);
    this.values.clear();
  }

  get size(): number {
    return this.values.size;
  }

  private cancelForget(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }
}
