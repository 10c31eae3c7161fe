import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

/** The app role's metrics: webhook deliveries by event and answer, plus process metrics. */
export class AppMetrics {
  readonly registry = new Registry();
  readonly deliveries = new Counter({ name: 'helvetia_webhook_deliveries_total', help: 'Webhook deliveries by event and HTTP answer', labelNames: ['event', 'status'] as const, registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'helvetia_app_' });
  }
}
