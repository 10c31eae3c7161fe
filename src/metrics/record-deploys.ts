import type { DeployEvents } from '../worker/deploy-events.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** Metrics subscribe to the deploy jobs' events: outcomes and the durations of successful deploys. */
export function recordDeploys(events: DeployEvents, metrics: WorkerMetrics): void {
  events.subscribe((event) => {
    if (event.type !== 'finished') return;
    metrics.deploys.inc({ kind: event.kind, outcome: event.outcome });
    if (event.outcome !== 'success') return;
    if (event.buildMs !== undefined) metrics.build.observe({ kind: event.kind }, event.buildMs / 1000);
    if (event.healthMs !== undefined) metrics.healthGate.observe({ kind: event.kind }, event.healthMs / 1000);
    if (event.servingMs !== undefined) metrics.pushToServing.observe({ kind: event.kind }, event.servingMs / 1000);
  });
}
