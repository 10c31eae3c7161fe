import { pino } from 'pino';
import { createLogger } from '../logger.js';
import { FLAG_NAMES, loadProxyConfig } from './config.js';
import { createProxyServer } from './server.js';

/** Entrypoint of `helvetia proxy`: the Docker socket proxy as its own process. */
export async function runProxy(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadProxyConfig(env);
  // One line per request: buffer them (written synchronously every 4 KiB, and at least once a
  // second) instead of paying a write and a thread hand-off per request.
  const destination = pino.destination({ dest: 1, sync: true, minLength: 4096 });
  const flusher = setInterval(() => destination.flush(), 1000);
  flusher.unref();
  const logger = createLogger({ level: config.logLevel, name: 'helvetia-proxy' }, destination);
  const proxy = createProxyServer(config, logger);
  const address = await proxy.listen();
  logger.info(
    {
      listen: address.family === 'unix' ? `unix:${address.address}` : `${address.address}:${address.port}`,
      dockerSocket: config.dockerSocket,
      profile: config.profile,
      open: FLAG_NAMES.filter((f) => config.flags[f]),
      workspaceDir: config.workspaceDir,
      allowedNetworks: config.allowedNetworks,
    },
    'docker socket proxy listening',
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'docker socket proxy stopping');
      void proxy.close().then(() => {
        clearInterval(flusher);
        destination.flushSync();
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
