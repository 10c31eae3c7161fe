import { describe, expect, it } from 'vitest';
import { thrownBy } from '../helpers/thrown.js';
import { ConfigError } from '../../src/config/errors.js';
import { loadLogConfig } from '../../src/logs/log-config.js';

const KEY = 'k'.repeat(32);
const base = (extra: Record<string, string | undefined> = {}) => ({ LOG_SIGNING_KEY: KEY, APP_BASE_URL: 'https://helvetia.example.com/', ...extra });

const errorOf = (env: Record<string, string | undefined>): ConfigError => thrownBy(ConfigError, () => loadLogConfig(env));

describe('loadLogConfig', () => {
  it('applies defaults and falls back to the APP_BASE_URL origin', () => {
    const config = loadLogConfig(base());
    expect(config).toMatchObject({
      LOG_RETENTION_DAYS: 14,
      LOG_MAX_LINES: 200_000,
      LOG_MAX_BYTES: 20 * 1024 * 1024,
      LOG_LINK_TTL_HOURS: 168,
      APP_BASE_URL: 'https://helvetia.example.com',
    });
    expect(config.ALLOWED_ORIGINS).toEqual(['https://helvetia.example.com']);
  });

  it('is deeply frozen', () => {
    const config = loadLogConfig(base({ ALLOWED_ORIGINS: 'https://a.example.com' }));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.ALLOWED_ORIGINS)).toBe(true);
    expect(() => (config.ALLOWED_ORIGINS as string[]).push('https://evil.example')).toThrow(TypeError);
  });

  it('parses several exact origins, trimming spaces and dropping duplicates', () => {
    const config = loadLogConfig(base({ ALLOWED_ORIGINS: ' https://a.example.com, http://localhost:3000 ,https://a.example.com' }));
    expect(config.ALLOWED_ORIGINS).toEqual(['https://a.example.com', 'http://localhost:3000']);
  });

  it.each([
    ['*', /ALLOWED_ORIGINS: wildcard "\*"/],
    ['https://*.example.com', /ALLOWED_ORIGINS: wildcard "https:\/\/\*\.example\.com"/],
    ['https://a.example.com/app', /ALLOWED_ORIGINS: "https:\/\/a\.example\.com\/app" is not a bare origin/],
    ['https://a.example.com/', /ALLOWED_ORIGINS: "https:\/\/a\.example\.com\/" is not a bare origin/],
    ['a.example.com', /ALLOWED_ORIGINS: "a\.example\.com" is not a valid origin/],
    ['ftp://a.example.com', /ALLOWED_ORIGINS: "ftp:\/\/a\.example\.com" must use http/],
    ['null', /ALLOWED_ORIGINS: "null" is not a valid origin/],
  ])('refuses ALLOWED_ORIGINS entry %s and names it', (entry, message) => {
    expect(errorOf(base({ ALLOWED_ORIGINS: `https://ok.example.com,${entry}` })).message).toMatch(message);
  });

  it.each([
    ['LOG_SIGNING_KEY', undefined, /LOG_SIGNING_KEY: is required/],
    ['LOG_SIGNING_KEY', 'short', /LOG_SIGNING_KEY: must be at least 32 characters/],
    ['APP_BASE_URL', undefined, /APP_BASE_URL: is required/],
    ['APP_BASE_URL', 'helvetia.example.com', /APP_BASE_URL: must be an absolute http/],
    ['LOG_RETENTION_DAYS', 'zero', /LOG_RETENTION_DAYS: must be a number/],
    ['LOG_MAX_LINES', '1.5', /LOG_MAX_LINES: must be a whole number/],
    ['LOG_LINK_TTL_HOURS', '0', /LOG_LINK_TTL_HOURS: must be at least 1/],
  ])('names %s when it is %s', (variable, value, message) => {
    expect(errorOf(base({ [variable]: value })).message).toMatch(message);
  });

  it('reads overrides', () => {
    const config = loadLogConfig(base({ LOG_RETENTION_DAYS: '3', LOG_MAX_LINES: '500', LOG_MAX_BYTES: '4096', LOG_LINK_TTL_HOURS: '2' }));
    expect([config.LOG_RETENTION_DAYS, config.LOG_MAX_LINES, config.LOG_MAX_BYTES, config.LOG_LINK_TTL_HOURS]).toEqual([3, 500, 4096, 2]);
  });
});
