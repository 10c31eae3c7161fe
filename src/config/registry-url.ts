import { ConfigError } from './errors.js';

/** host[:port] as it appears first in an image reference (a dot, a colon or "localhost" marks a registry). */
const REGISTRY_HOST = /^(localhost|[a-z0-9-]+(\.[a-z0-9-]+)*\.?[a-z0-9-]*|\[[0-9a-f:]+\])(:\d{1,5})?$/i;

/**
 * REGISTRY_URL (`registry.example.com:5000`, optionally with http:// or https://, no path) to the
 * host[:port] image references start with; null when unset. The same variable the worker reads, so
 * one .env serves both.
 */
export function parseRegistry(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const host = raw.replace(/^https?:\/\//i, '').replace(/\/$/, '');
  const looksLikeRegistry = host === 'localhost' || host.includes('.') || host.includes(':');
  if (!REGISTRY_HOST.test(host) || !looksLikeRegistry) {
    throw new ConfigError([{ variable: 'REGISTRY_URL', message: `${raw} is not a registry address such as registry.example.com:5000 (no path)` }]);
  }
  return host.toLowerCase();
}
