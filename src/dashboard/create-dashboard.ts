import type { Redis } from 'ioredis';
import type { Config } from '../config/load-config.js';
import { DeployHistory } from '../history/deploy-history.js';
import { StatsStore } from '../history/environment-stats.js';
import type { Logger } from '../logger.js';
import { createGetSafeOrigin } from '../logs/origins.js';
import type { DeployQueue } from '../queue/deploy-queue.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { DeployState } from '../worker/deploy-state.js';
import type { Router } from 'express';
import { cookieNames } from './cookies.js';
import { githubEndpoints } from './github-endpoints.js';
import { HistoryFeed } from './history-feed.js';
import { createDashboardRouter } from './router.js';
import { SessionStore } from './session-store.js';

export type DashboardConfig = Pick<Config, 'GITHUB_CLIENT_ID' | 'GITHUB_CLIENT_SECRET' | 'APP_BASE_URL' | 'GHE_HOST' | 'GHE_PROTOCOL' | 'githubApiUrl' | 'QUEUE_PREFIX' | 'DASHBOARD_SESSION_HOURS'> & {
  logs: Pick<Config['logs'], 'ALLOWED_ORIGINS'>;
};

/** True when the dashboard can run: the app's OAuth client id and secret are both configured. */
export const dashboardEnabled = (config: Pick<Config, 'GITHUB_CLIENT_ID' | 'GITHUB_CLIENT_SECRET'>): boolean => Boolean(config.GITHUB_CLIENT_ID && config.GITHUB_CLIENT_SECRET);

/**
 * The dashboard at APP_BASE_URL/: sign-in with GitHub, repositories, environments, history,
 * actions, secrets and live updates. `redis` serves sessions and reads; the live feed subscribes
 * on a duplicate of it. Returns undefined when the OAuth client is not configured.
 */
export function createDashboard(deps: {
  config: DashboardConfig;
  redis: Redis;
  queue: Pick<DeployQueue, 'enqueueCommand'>;
  secrets?: SecretStore;
  logger: Logger;
  fetchImpl?: typeof fetch;
  heartbeatMs?: number;
  accessRecheckMs?: number;
}): { router: Router; close: () => Promise<void> } | undefined {
  const { config, redis } = deps;
  if (!config.GITHUB_CLIENT_ID || !config.GITHUB_CLIENT_SECRET) return undefined;
  const prefix = config.QUEUE_PREFIX;
  const secure = config.APP_BASE_URL.startsWith('https://');
  const baseOrigin = new URL(config.APP_BASE_URL).origin;
  const logger = deps.logger.child({ component: 'dashboard' });
  const feed = new HistoryFeed(redis, prefix, logger);
  const router = createDashboardRouter(
    {
      sessions: new SessionStore(redis, prefix, config.DASHBOARD_SESSION_HOURS * 3600_000),
      data: { history: new DeployHistory(redis, prefix), stats: new StatsStore(redis, prefix), state: new DeployState(redis, prefix) },
      queue: deps.queue,
      ...(deps.secrets ? { secrets: deps.secrets } : {}),
      feed,
      endpoints: githubEndpoints(config),
      oauth: { clientId: config.GITHUB_CLIENT_ID, clientSecret: config.GITHUB_CLIENT_SECRET, redirectUri: `${config.APP_BASE_URL}/auth/callback` },
      secure,
      cookies: cookieNames(secure),
      logger,
      fetchImpl: deps.fetchImpl ?? fetch,
      heartbeatMs: deps.heartbeatMs ?? 15_000,
      accessRecheckMs: deps.accessRecheckMs ?? 60_000,
    },
    // The dashboard's own origin is always allowed, with the configured allowlist.
    createGetSafeOrigin([...new Set([baseOrigin, ...config.logs.ALLOWED_ORIGINS])]),
  );
  return { router, close: () => feed.close() };
}
