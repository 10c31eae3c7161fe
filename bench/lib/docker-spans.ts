/**
 * What Docker itself spent on one deploy, from dockerd's own event timestamps: the build (first
 * build-step container → image tag), the app container (create → start) and the health probe
 * (probe container create → die). The rest of webhook → healthy is orchestration.
 */
import type { DockerEvent, DockerEvents } from './docker-events.js';

export interface DeploySpans {
  build: [number, number];
  container: [number, number];
  probe: [number, number];
  /** When the probe got its answer: the environment was serving. */
  healthyAt: number;
}

const role = (e: DockerEvent) => e.attributes['cloud.helvetia.role'];

/** The spans of the deploy of `sha` that started at `t0` (epoch ms), once its probe succeeded. */
export function deploySpans(events: DockerEvents, opts: { sha: string; t0: number; buildLabel: string }): DeploySpans | undefined {
  const after = (e: DockerEvent) => e.time >= opts.t0;
  const probeCreate = events.first((e) => after(e) && e.type === 'container' && e.action === 'create' && role(e) === 'probe' && e.attributes['cloud.helvetia.sha'] === opts.sha);
  const probeDie = probeCreate && events.first((e) => e.id === probeCreate.id && e.action === 'die');
  if (!probeCreate || !probeDie || probeDie.attributes.exitCode !== '0') return undefined;
  const tag = events.first((e) => after(e) && e.type === 'image' && e.action === 'tag' && (e.attributes.name ?? '').endsWith(`:${opts.sha}`));
  const buildStart = events.first(
    (e) => after(e) && e.type === 'container' && e.action === 'create' && e.attributes['hvbench.tmp'] === opts.buildLabel && role(e) !== 'app' && role(e) !== 'probe' && (!tag || e.time <= tag.time),
  );
  const appCreate = events.first((e) => after(e) && e.type === 'container' && e.action === 'create' && role(e) === 'app' && e.attributes['cloud.helvetia.sha'] === opts.sha);
  const appStart = appCreate && events.first((e) => e.id === appCreate.id && e.action === 'start');
  if (!tag || !buildStart || !appCreate || !appStart) return undefined;
  return { build: [buildStart.time, tag.time], container: [appCreate.time, appStart.time], probe: [probeCreate.time, probeDie.time], healthyAt: probeDie.time };
}

/** Length of the union of `spans`, each clipped to [from, to]. */
export function unionMs(spans: readonly [number, number][], from: number, to: number): number {
  const clipped = spans.map(([a, b]) => [Math.max(a, from), Math.min(b, to)] as const).filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of clipped) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}
