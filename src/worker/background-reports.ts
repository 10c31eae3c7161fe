import type { Logger } from '../logger.js';

/**
 * GitHub reports a job hands off so that its worker slot is free at once: a superseded deploy's
 * "cancelled" waits behind the live deploy's writes (see WriteQueue), and must not hold up the
 * live deploy's build while it waits. A report that fails is logged; its check run stays tracked
 * and the next reconcile concludes it. Shutdown drains what is pending.
 */
export class BackgroundReports {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  get size(): number {
    return this.pending.size;
  }

  run(context: Record<string, unknown>, report: () => Promise<void>): void {
    const done: Promise<void> = report()
      .catch((err: unknown) => this.logger.error({ err, ...context }, 'could not report to GitHub; the check run stays tracked for the next reconcile'))
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  /** Waits for pending reports, at most `timeoutMs`; returns how many were still pending then. */
  async drain(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.pending]), timeout]);
    clearTimeout(timer);
    return this.pending.size;
  }
}
