import type { Logger } from '../logger.js';

/** A worker's claim on a check run's pending report (see DeployState.leaseReport). */
export interface ReportLease {
  renew(): Promise<void>;
  release(): Promise<void>;
}

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

  /**
   * Runs `report` off the job's slot. With a `lease` (already taken by the caller), the lease is
   * renewed every `renewMs` while the report waits and released when it settles, sent or failed:
   * a failed report's check run is then the reconciler's to conclude.
   */
  run(context: Record<string, unknown>, report: () => Promise<void>, lease?: ReportLease, renewMs = 30_000): void {
    const renewal = lease ? setInterval(() => lease.renew().catch((err: unknown) => this.logger.warn({ err, ...context }, 'could not renew a report lease')), renewMs) : undefined;
    const done: Promise<void> = report()
      .catch((err: unknown) => this.logger.error({ err, ...context }, 'could not report to GitHub; the check run stays tracked for the next reconcile'))
      .finally(async () => {
        clearInterval(renewal);
        await lease?.release().catch((err: unknown) => this.logger.warn({ err, ...context }, 'could not release a report lease; it expires'));
        this.pending.delete(done);
      });
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
