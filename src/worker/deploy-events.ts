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

/** What a deploy job tells its subscribers (metrics, history, dashboard) when it ends. */
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
}

export type DeployEvent = DeployStarted | DeployFinished;

/**
 * Typed events of the deploy pipeline: the job publishes, reporters subscribe, so a new reporter
 * never touches the steps. A failing subscriber is logged, never fails the deploy.
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
