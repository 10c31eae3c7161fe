import { createLogger } from '../logger.js';
import { readAppYml } from '../setup/manifest.js';
import { loadSetupConfig } from '../setup/setup-config.js';
import { createSetupServer } from '../setup/setup-server.js';

/**
 * First run without a GitHub App: only the setup server, at APP_BASE_URL/setup, until the app
 * is registered; then helvetia is restarted with the credentials the flow wrote.
 */
export async function runSetup(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadSetupConfig(env);
  const logger = createLogger({ level: env.LOG_LEVEL === 'silent' ? 'silent' : 'info' });
  const server = createSetupServer(config, readAppYml(), logger.child({ component: 'setup' }));
  await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));
  logger.warn({ url: `${config.APP_BASE_URL}/setup` }, `no GitHub App configured (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET): open ${config.APP_BASE_URL}/setup to register one`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
