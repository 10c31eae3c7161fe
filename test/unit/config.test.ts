import { describe, expect, it } from 'vitest';
import { thrownBy } from '../helpers/thrown.js';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/config/errors.js';
import { TEST_PRIVATE_KEY_PATH, validEnv } from '../helpers/env.js';

const errorOf = (env: Record<string, string | undefined>): ConfigError => thrownBy(ConfigError, () => loadConfig(env));

describe('loadConfig', () => {
  it('accepts a complete environment and applies defaults', () => {
    const config = loadConfig(validEnv());
    expect(config.APP_ID).toBe('12345');
    expect(config.PORT).toBe(3000);
    expect(config.GHE_PROTOCOL).toBe('https');
    expect(config.githubApiUrl).toBe('https://api.github.com');
    expect(config.privateKey).toContain('PRIVATE KEY');
    expect(config.EDGE_NETWORK).toBe('helvetia-edge');
    expect(config.WORKER_NICE).toBe(10);
  });

  it('is frozen', () => {
    const config = loadConfig(validEnv());
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
  });

  it.each([
    ['APP_ID', undefined, /APP_ID: is required/],
    ['APP_ID', 'abc', /APP_ID: must be the numeric GitHub App id/],
    ['WEBHOOK_SECRET', undefined, /WEBHOOK_SECRET: is required/],
    ['REDIS_URL', 'http://localhost', /REDIS_URL: must be a redis/],
    ['PORT', '70000', /PORT: must be at most 65535/],
    ['PORT', 'eighty', /PORT: must be a number/],
    ['PREVIEW_DOMAIN', 'not a domain', /PREVIEW_DOMAIN: must be a DNS domain/],
    ['APP_BASE_URL', 'ftp://x', /APP_BASE_URL: must start with http/],
    ['GHE_PROTOCOL', 'gopher', /GHE_PROTOCOL: must be http or https/],
    ['DOCKER_HOST', '/var/run/docker.sock', /DOCKER_HOST: must be unix/],
    ['WORKER_NICE', '20', /WORKER_NICE: must be at most 19/],
  ])('names %s when it is %s', (variable, value, message) => {
    expect(errorOf(validEnv({ [variable]: value })).message).toMatch(message);
  });

  it('reports every bad variable at once', () => {
    const error = errorOf(validEnv({ APP_ID: undefined, REDIS_URL: undefined }));
    expect(error.issues.map((i) => i.variable).sort()).toEqual(['APP_ID', 'REDIS_URL']);
  });

  it('requires a private key, from PRIVATE_KEY or PRIVATE_KEY_PATH', () => {
    expect(errorOf(validEnv({ PRIVATE_KEY: undefined })).message).toMatch(/PRIVATE_KEY: is required/);
    expect(errorOf(validEnv({ PRIVATE_KEY: 'hello' })).message).toMatch(/PRIVATE_KEY: must be a PEM/);
    expect(errorOf(validEnv({ PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: '/nope.pem' })).message).toMatch(
      /PRIVATE_KEY_PATH: cannot read \/nope.pem/,
    );
    const fromPath = loadConfig(validEnv({ PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: TEST_PRIVATE_KEY_PATH }));
    expect(fromPath.privateKey).toMatch(/BEGIN/);
  });

  it('accepts escaped newlines in PRIVATE_KEY', () => {
    const escaped = validEnv().PRIVATE_KEY!.replace(/\n/g, '\\n');
    expect(loadConfig(validEnv({ PRIVATE_KEY: escaped })).privateKey).toContain('\n');
  });

  it('derives the GitHub API URL from GHE_HOST and GHE_PROTOCOL', () => {
    const config = loadConfig(validEnv({ GHE_HOST: '127.0.0.1:4567', GHE_PROTOCOL: 'http' }));
    expect(config.githubApiUrl).toBe('http://127.0.0.1:4567/api/v3');
  });
});
