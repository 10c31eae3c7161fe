import { createLogger } from '../logger.js';
import { FLAG_NAMES, loadProxyConfig } from './config.js';
import { createProxyServer } from './server.js';

/** Entrypoint of `helvetia proxy`: the Docker socket proxy as its own process. */
export async function runProxy(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadProxyConfig(env);
  const logger = createLogger({ level: config.logLevel, name: 'helvetia-proxy' });
  const proxy = createProxyServer(config, logger);
  const address = await proxy.listen();
  logger.info(
    {
      listen: `${address.address}:${address.port}`,
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
      void proxy.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
