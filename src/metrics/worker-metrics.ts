import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const SECONDS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200];

/** What the worker's metrics read at scrape time. */
export interface WorkerGauges {
  jobCounts(): Promise<Record<string, number>>;
  previewCount(): Promise<number>;
  githubWriteQueue(): number;
}

/**
 * The worker role's metrics: deploys by environment kind and outcome, build / health-gate /
 * push→serving durations, queue depth, previews, GitHub write queue and rate limit, process.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly deploys = new Counter({ name: 'helvetia_deploys_total', help: 'Deploys by environment kind (production, preview) and outcome', labelNames: ['kind', 'outcome'] as const, registers: [this.registry] });
  readonly build = new Histogram({ name: 'helvetia_build_seconds', help: 'Image build time of successful deploys', labelNames: ['kind'] as const, buckets: SECONDS, registers: [this.registry] });
  readonly healthGate = new Histogram({ name: 'helvetia_health_gate_seconds', help: 'From container start until it answered (health gate)', labelNames: ['kind'] as const, buckets: SECONDS, registers: [this.registry] });
  readonly pushToServing = new Histogram({ name: 'helvetia_push_to_serving_seconds', help: 'From the delivery being stored until the new version serves', labelNames: ['kind'] as const, buckets: SECONDS, registers: [this.registry] });
  readonly rateLimitRemaining = new Gauge({ name: 'helvetia_github_rate_limit_remaining', help: 'x-ratelimit-remaining of the last GitHub answer, per installation', labelNames: ['installation'] as const, registers: [this.registry] });

  constructor(gauges: WorkerGauges) {
    const registry = this.registry;
    new Gauge({
      name: 'helvetia_queue_jobs', help: 'Pipeline jobs by state', labelNames: ['state'] as const, registers: [registry],
      async collect() {
        for (const [state, count] of Object.entries(await gauges.jobCounts())) this.set({ state }, count);
      },
    });
    new Gauge({ name: 'helvetia_previews', help: 'Live preview environments', registers: [registry], async collect() { this.set(await gauges.previewCount()); } });
    new Gauge({ name: 'helvetia_github_write_queue', help: 'GitHub writes waiting for their turn', registers: [registry], collect() { this.set(gauges.githubWriteQueue()); } });
    collectDefaultMetrics({ register: registry, prefix: 'helvetia_worker_' });
  }
}
