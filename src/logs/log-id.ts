import { InvalidLogIdError } from './errors.js';

/**
 * Log ids appear in URLs (/logs/<id>, /logs/<id>.txt) and Redis keys, so they are restricted to a
 * URL-safe alphabet without dots (no clash with the .txt suffix) and must not start with `_`
 * (reserved for /logs/_assets).
 */
export const LOG_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$/;

export const isValidLogId = (id: string): boolean => LOG_ID_PATTERN.test(id);

export function assertLogId(id: string): string {
  if (typeof id !== 'string' || !isValidLogId(id)) throw new InvalidLogIdError(String(id));
  return id;
}
