import { getPriority, setPriority } from 'node:os';

/**
 * Default nice value of a separate worker process. The app role answers GitHub's webhooks within
 * milliseconds and GitHub waits for it; the worker's own CPU work (turning deliveries into jobs,
 * relaying build logs, talking to GitHub) is background work that nobody waits on to the
 * millisecond, and on a small host it competes with the app for the same cores.
 */
export const DEFAULT_WORKER_NICE = 10;

/**
 * Lowers this process's CPU priority to `nice` (never raises it: that needs privileges) and
 * returns the nice value in effect. On Linux a nice value belongs to a thread: this sets the main
 * thread's, where all of the worker's JavaScript runs.
 */
export function lowerPriority(nice: number): number {
  if (nice > getPriority()) setPriority(nice);
  return getPriority();
}
