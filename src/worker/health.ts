import type { DockerEngine } from '../docker/engine.js';
import { probeContainerSpec } from '../docker/container-spec.js';
import { LABEL } from '../docker/labels.js';
import { deadReason, waitDockerHealthy } from '../docker/readiness.js';

export class UnhealthyError extends Error {
  override readonly name = 'UnhealthyError';
}

export interface HealthOptions {
  containerId: string;
  containerName: string;
  port: number;
  path: string;
  network: string;
  probeImage: string;
  timeoutMs: number;
  labels: Record<string, string>;
  signal: AbortSignal;
  onStep: (message: string) => void;
}

/** Fails fast when the container died or is crash-looping (an unhealthy status alone is not fatal). */
async function assertAlive(engine: DockerEngine, id: string): Promise<void> {
  const { reason } = await deadReason(engine, id);
  if (reason) throw new UnhealthyError(reason);
}

/**
 * Waits until the new container is ready: by Docker's HEALTHCHECK when the image has one (failing
 * checks count as "not ready yet" until the deadline), otherwise by an HTTP probe run from a
 * container on the same network (never from the host). A container that exits, restarts or is
 * OOM-killed fails at once.
 */
export async function waitHealthy(engine: DockerEngine, hasHealthcheck: boolean, opts: HealthOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  if (hasHealthcheck) {
    opts.onStep('waiting for the image HEALTHCHECK to report healthy');
    await waitDockerHealthy(engine, opts.containerId, {
      deadline, signal: opts.signal,
      fail: (reason, atDeadline) => new UnhealthyError(`${atDeadline ? `not healthy after ${opts.timeoutMs / 1000}s: ` : ''}${reason}`),
      onHealthLog: (lines) => lines.forEach((line) => opts.onStep(`health check ${line}`)),
    });
    return;
  }
  opts.onStep(`probing http://${opts.containerName}:${opts.port}${opts.path} from inside ${opts.network}`);
  // A worker that died mid-probe left its probe behind, and reconcile spares in-flight jobs: the
  // re-run of the same job removes it.
  const job = opts.labels[LABEL.job];
  if (job) for (const stale of await engine.listContainers([`${LABEL.job}=${job}`, `${LABEL.role}=probe`])) await engine.removeContainer(stale.id);
  const attempts = Math.max(1, Math.ceil(opts.timeoutMs / 700));
  const probeId = await engine.createContainer(
    probeContainerSpec({
      name: `${opts.containerName}-probe`,
      image: opts.probeImage,
      target: opts.containerName,
      port: opts.port,
      path: opts.path,
      attempts,
      network: opts.network,
      labels: { ...opts.labels, [LABEL.role]: 'probe' },
    }),
  );
  const abort = () => void engine.removeContainer(probeId).catch(() => undefined);
  opts.signal.addEventListener('abort', abort, { once: true });
  // Watch the app while the probe runs: a container that dies fails the deploy at once.
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      await assertAlive(engine, opts.containerId);
      await new Promise((r) => setTimeout(r, 300));
    }
    return -1;
  })();
  watcher.catch(() => undefined); // raced below; a late failure after the probe finished is moot
  try {
    await engine.startContainer(probeId);
    const exitCode = await Promise.race([engine.waitContainer(probeId), watcher]);
    if (opts.signal.aborted) throw opts.signal.reason;
    await assertAlive(engine, opts.containerId);
    if (exitCode !== 0) throw new UnhealthyError(`no HTTP answer on port ${opts.port} after ${opts.timeoutMs / 1000}s`);
  } finally {
    watching = false;
    opts.signal.removeEventListener('abort', abort);
    await engine.removeContainer(probeId);
  }
}
