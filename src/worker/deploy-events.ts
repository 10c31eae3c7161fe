/** What a deploy job tells its subscribers (metrics, dashboard) when it ends. */
export interface DeployFinished {
  type: 'finished';
  repository: string;
  environment: string;
  kind: 'production' | 'preview';
  sha: string;
  jobId: string;
  outcome: 'success' | 'failure' | 'timed_out' | 'cancelled' | 'neutral' | 'action_required';
  buildMs?: number;
  healthMs?: number;
  /** From the delivery being stored (enqueuedAt) until the new version served. */
  servingMs?: number;
}

export type DeployEvent = DeployFinished;

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
