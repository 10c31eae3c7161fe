/** Shared set-up for build-log tests: a unique Redis key prefix, a store, an HTTP server. */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/logger.js';
import { BuildLogStore, type BuildLogStoreOptions } from '../../src/logs/build-log-store.js';
import { loadLogConfig, type LogConfig } from '../../src/logs/log-config.js';
import { createLogRouter } from '../../src/logs/log-router.js';
import { REDIS_URL } from './env.js';

export const TEST_SIGNING_KEY = 'test-log-signing-key-0123456789abcdef';
export const silentLogger = createLogger({ level: 'silent' });

export function testLogConfig(overrides: Record<string, string | undefined> = {}): LogConfig {
  return loadLogConfig({ LOG_SIGNING_KEY: TEST_SIGNING_KEY, APP_BASE_URL: 'http://127.0.0.1:3000', ...overrides });
}

export const uniquePrefix = (): string => `helvetia:test:logs:${randomUUID()}:`;
export const newRedis = (): Redis => new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

export function newStore(redis: Redis, prefix: string, extra: Partial<BuildLogStoreOptions> = {}, config = testLogConfig()): BuildLogStore {
  return new BuildLogStore({ redis, config, logger: silentLogger, prefix, tailConnectionName: `t-${prefix.slice(-12, -1)}`, ...extra });
}

export interface TestServer {
  server: Server;
  baseUrl: string;
  config: LogConfig;
  close(): Promise<void>;
}

/** Express app on 127.0.0.1:0 with the log router; APP_BASE_URL is the server's own address. */
export async function startLogServer(
  store: BuildLogStore,
  env: Record<string, string | undefined> = {},
  heartbeatMs?: number,
): Promise<TestServer> {
  const app = express();
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = testLogConfig({ APP_BASE_URL: baseUrl, ...env });
  app.use(createLogRouter({ store, config, logger: silentLogger, ...(heartbeatMs ? { heartbeatMs } : {}) }));
  return {
    server,
    baseUrl,
    config,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `check` until it is true or `timeoutMs` passes (then throws with `what`). Not a timing assertion. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
