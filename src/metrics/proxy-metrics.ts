import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

/** The socket proxy's metrics: every decision by rule and verdict, plus process metrics. */
export class ProxyMetrics {
  readonly registry = new Registry();
  readonly decisions = new Counter({ name: 'helvetia_proxy_decisions_total', help: 'Docker API requests by rule and decision (allow, deny, error)', labelNames: ['rule', 'decision'] as const, registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'helvetia_proxy_' });
  }
}
