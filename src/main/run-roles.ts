import { ConfigError } from '../config/errors.js';
import { loadConfig, type Config } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { lowerPriority } from '../worker/priority.js';
import type { Stop } from './role-support.js';

const REGISTRATION = new Set(['APP_ID', 'PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'WEBHOOK_SECRET']);

/** True when the configuration lacks only the GitHub App's credentials (nothing else is wrong). */
const needsRegistration = (error: unknown): boolean =>
  error instanceof ConfigError && error.issues.every((i) => REGISTRATION.has(i.variable) && /is required/.test(i.message));

/**
 * `helvetia start|app|worker`: builds every client once, runs the roles, stops cleanly on SIGTERM.
 * Each role's modules load only when it runs: an app process never holds the worker's (Docker,
 * BullMQ workers) nor a worker the webhook server's, which keeps its heap and its GC pauses small.
 */
export async function runRoles(role: 'start' | 'app' | 'worker', env: NodeJS.ProcessEnv): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    // No GitHub App yet (only its credentials are missing): the app role serves /setup instead.
    if (role === 'worker' || !needsRegistration(error)) throw error;
    const { runSetup } = await import('./run-setup.js');
    return runSetup(env);
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  const stops: Stop[] = [];
  let stopping = false;
  // Stops the roles that have started; one still booting is abandoned with the process (a worker's
  // boot reconcile is idempotent and runs again on the next start).
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    Promise.all(stops.map((stop) => stop()))
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'unclean shutdown');
        process.exit(1);
      });
  };
  // Installed before anything starts: a SIGTERM while booting (docker stop) still shuts down cleanly.
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // A worker of its own yields the CPU to the app's webhook answers (see priority.ts).
  if (role === 'worker') logger.info({ nice: lowerPriority(config.WORKER_NICE) }, 'worker CPU priority lowered');
  if (role !== 'worker') {
    const { startApp } = await import('./start-app.js');
    stops.push(await startApp(config, logger));
  }
  if (role !== 'app' && !stopping) {
    const { startWorker } = await import('./start-worker.js');
    if (!stopping) stops.push(await startWorker(config, logger));
  }
}
