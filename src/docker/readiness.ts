import type { ContainerState, DockerEngine, HealthCheckRun } from './engine.js';

/**
 * Why a container can never become ready, or undefined while it runs: it is gone, was OOM-killed,
 * exited, or was restarted by its restart policy (the exit code then comes from its `die` event,
 * since a restarted container's State shows 0). `unhealthy` is not on this list: a health check
 * that fails while the container runs means "not ready yet" (Kubernetes' and Swarm's readiness),
 * until the caller's deadline.
 */
export async function deadReason(engine: DockerEngine, id: string): Promise<{ reason?: string; state?: ContainerState }> {
  const state = await engine.inspectContainer(id);
  if (!state) return { reason: 'the container disappeared' };
  if (state.oomKilled) return { reason: 'the container was killed for exceeding its memory limit', state };
  if (state.running && state.restartCount === 0) return { state };
  const since = Math.floor(Date.now() / 1000) - 3600;
  const code = state.running ? await engine.lastExitCode(id, since).catch(() => undefined) : state.exitCode;
  const restarts = state.restartCount ? ` and was restarted ${state.restartCount} time(s)` : '';
  return { reason: `the container exited${code === undefined ? '' : ` with code ${code}`}${restarts}`, state };
}

/** The last health-check runs as one line each: "exit 1: <output>", output squeezed and cut. */
export function healthLogLines(log: readonly HealthCheckRun[] | undefined, count = 3): string[] {
  return (log ?? []).slice(-count).map((run) => `exit ${run.exitCode}: ${run.output.replace(/\s+/g, ' ').trim().slice(0, 300) || '(no output)'}`);
}

/**
 * Waits until Docker reports the container's HEALTHCHECK healthy. Fails at once when the container
 * dies (deadReason); an `unhealthy` status only fails at `deadline`, with the last check outputs.
 */
export async function waitDockerHealthy(
  engine: DockerEngine,
  id: string,
  opts: { deadline: number; signal: AbortSignal; fail: (reason: string, atDeadline: boolean) => Error; onHealthLog?: (lines: string[]) => void },
): Promise<void> {
  // Each event of the container (a health_status, a die) wakes the loop at once; the timer is the
  // fallback for a stream that broke, and the pace of the deadline check.
  let pending = false;
  let wake: (() => void) | undefined;
  const stop = await engine.watchContainer(id, () => {
    pending = true;
    wake?.();
  });
  try {
    for (;;) {
      opts.signal.throwIfAborted();
      pending = false;
      const { reason, state } = await deadReason(engine, id);
      if (reason) throw opts.fail(reason, false);
      if (state?.health === 'healthy') return;
      if (Date.now() > opts.deadline) {
        const lines = healthLogLines(state?.healthLog);
        opts.onHealthLog?.(healthLogLines(state?.healthLog, 5));
        throw opts.fail(`its HEALTHCHECK did not pass before the deadline (Docker reports it ${state?.health ?? 'starting'})${lines.length ? `; last check: ${lines.at(-1)}` : ''}`, true);
      }
      if (!pending) await nextWake(opts.signal, Math.min(1000, Math.max(0, opts.deadline - Date.now()) + 10), (fn) => (wake = fn));
    }
  } finally {
    wake = undefined;
    stop();
  }
}

/** Resolves on the next wake-up call or after `ms`; rejects when `signal` aborts. */
function nextWake(signal: AbortSignal, ms: number, setWake: (fn: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => (clearTimeout(timer), reject(signal.reason));
    const done = () => (clearTimeout(timer), signal.removeEventListener('abort', onAbort), resolve());
    const timer = setTimeout(done, ms);
    setWake(done);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
