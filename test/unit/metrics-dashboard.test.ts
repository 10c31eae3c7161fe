import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppMetrics } from '../../src/metrics/app-metrics.js';
import { ProxyMetrics } from '../../src/metrics/proxy-metrics.js';
import { WorkerMetrics } from '../../src/metrics/worker-metrics.js';

describe('deploy/grafana-dashboard.json', () => {
  it('queries only metrics helvetia exports', async () => {
    const worker = new WorkerMetrics({ jobCounts: async () => ({ waiting: 0 }), previewCount: async () => 0, githubWriteQueue: () => 0 });
    const names = new Set<string>();
    for (const registry of [new AppMetrics().registry, worker.registry, new ProxyMetrics().registry]) {
      for (const metric of await registry.getMetricsAsJSON()) {
        names.add(metric.name);
        if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
      }
    }
    const dashboard = JSON.parse(readFileSync(new URL('../../deploy/grafana-dashboard.json', import.meta.url), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\bhelvetia_[a-z_]+/g)].map((m) => m[0])));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((name) => !names.has(name))).toEqual([]);
  });
});
