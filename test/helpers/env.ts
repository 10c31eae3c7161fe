import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A throwaway RSA key generated for tests only; it signs JWTs for the local GitHub double. */
export const TEST_PRIVATE_KEY_PATH = fileURLToPath(new URL('../fixtures/test-private-key.pem', import.meta.url));
export const TEST_PRIVATE_KEY = readFileSync(TEST_PRIVATE_KEY_PATH, 'utf8');

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A complete, valid environment for loadConfig; tests override single variables. */
export function validEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    APP_ID: '12345',
    PRIVATE_KEY: TEST_PRIVATE_KEY,
    WEBHOOK_SECRET: 'test-webhook-secret',
    REDIS_URL,
    PREVIEW_DOMAIN: 'preview.example.test',
    APP_BASE_URL: 'http://127.0.0.1:3000',
    LOG_SIGNING_KEY: 'test-log-signing-key-0123456789abcdef',
    ...overrides,
  };
}
