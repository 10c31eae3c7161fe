interface DeployEventBase {
  repository: string;
  environment: string;
  kind: 'production' | 'preview';
  sha: string;
  jobId: string;
  /** When it happened (ms). */
  at: number;
}

/** A deploy job began its work (past the gate): a build, or a rollback to a kept image. */
export interface DeployStarted extends DeployEventBase {
  type: 'started';
  /** `push`, `redeploy by @x`, `rollback by @x`… */
  trigger: string;
  rollback?: boolean;
  logUrl?: string;
}

/** The image to run is ready: built, or (rollback) the kept one, with no build. */
export interface DeployBuilt extends DeployEventBase {
  type: 'built';
  image: string;
  buildMs: number;
  rollback?: boolean;
}

/** The new version serves at `url` (the health-gated swap is done; the previous one still drains). */
export interface DeployLive extends DeployEventBase {
  type: 'live';
  url: string;
  image: string;
  healthMs: number;
}

/** An attempt failed with attempts left: the job runs again, its reports stay open. */
export interface DeployRetrying extends DeployEventBase {
  type: 'retrying';
  reason: string;
}

/** How a deploy job ended; everything a reporter shows about it. */
export interface DeployFinished extends DeployEventBase {
  type: 'finished';
  outcome: 'success' | 'failure' | 'timed_out' | 'cancelled' | 'neutral' | 'action_required';
  /** One line on how it ended (the check run's title). */
  title?: string;
  url?: string;
  image?: string;
  buildMs?: number;
  healthMs?: number;
  /** From the delivery being stored (enqueuedAt) until the new version served. */
  servingMs?: number;
  /** Facts as label / value rows, then notes (markdown), then the log's last lines (failures). */
  details?: { rows: [string, string][]; notes?: string[]; logTail?: string[] };
  /** What people are told, in a sentence (the PR comment's note). */
  note?: string;
  /** The environment's companion services, in a line. */
  services?: string;
}

/** The job is over: the previous containers are retired and its log has no more output. */
export interface DeployRetired extends DeployEventBase {
  type: 'retired';
}

export type DeployEvent = DeployStarted | DeployBuilt | DeployLive | DeployRetrying | DeployFinished | DeployRetired;

/** An event as the job emits it: its subject (repository, sha, job…) and time are added for it. */
export type DeployEventInput = DeployEvent extends infer E ? (E extends DeployEvent ? Omit<E, keyof DeployEventBase> & { at?: number } : never) : never;

/**
 * Typed events of the deploy pipeline, for observers across all jobs (metrics, history, the
 * dashboard): the job publishes, observers subscribe, so a new one never touches the steps. A
 * failing observer is logged, never fails the deploy.
 */
export class DeployEvents {
  private readonly listeners: ((event: DeployEvent) => void)[] = [];

  constructor(private readonly onError: (error: unknown) => void = () => undefined) {}

  subscribe(listener: (event: DeployEvent) => void): void {
    this.listeners.push(listener);
  }

  publish(event: DeployEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}

/** A reporter of one job's progress (GitHub, the build-log store): awaited, in order. */
export type ProgressReporter = (event: DeployEvent) => Promise<void> | void;

/**
 * One deploy job's progress stream. The job emits typed events; its reporters (GitHub, the log
 * store) handle each in subscription order and are awaited, so their failures are the job's (a
 * GitHub outage retries the job, as a direct call did); then the observers across all jobs hear it.
 */
export class JobProgress {
  private readonly reporters: ProgressReporter[] = [];

  constructor(
    private readonly subject: Omit<DeployEventBase, 'at'>,
    private readonly observers?: DeployEvents,
  ) {}

  subscribe(reporter: ProgressReporter): this {
    this.reporters.push(reporter);
    return this;
  }

  async emit(input: DeployEventInput): Promise<void> {
    const event = { ...this.subject, at: Date.now(), ...input } as DeployEvent;
    for (const reporter of this.reporters) await reporter(event);
    this.observers?.publish(event);
  }
}
