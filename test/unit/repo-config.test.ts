import { describe, expect, it } from 'vitest';
import { parseRepoConfig, REPO_CONFIG_MAX_BYTES, REPO_CONFIG_MAX_KEYS, RepoConfigError } from '../../src/config/repo-config.js';

const limits = { memoryMb: 512, cpus: 1, port: 8080 };
const fail = (text: string) => {
  try {
    parseRepoConfig(text, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(RepoConfigError);
    return (error as Error).message;
  }
  throw new Error('accepted an invalid config');
};

describe('.helvetia.yml', () => {
  it('uses defaults when the file is absent or empty', () => {
    const expected = { dockerfile: 'Dockerfile', context: '.', port: 8080, healthcheck: '/', env: {}, previews: true, memoryMb: 512, cpus: 1, secrets: { production: {}, previews: {}, required: [] }, volumes: {}, services: {}, strategy: 'rolling', replicas: 1 };
    expect(parseRepoConfig(undefined, limits)).toEqual(expected);
    expect(parseRepoConfig('', limits)).toEqual(expected);
  });

  it('reads every setting', () => {
    const config = parseRepoConfig(
      ['dockerfile: docker/web.Dockerfile', 'context: app', 'port: 3000', 'healthcheck: /health', 'env:', '  MODE: preview', '  WORKERS: 2', 'previews: false', 'resources:', '  memory_mb: 256', '  cpus: 0.5', 'replicas: 3'].join('\n'),
      limits,
    );
    expect(config).toEqual({ dockerfile: 'docker/web.Dockerfile', context: 'app', port: 3000, healthcheck: '/health', env: { MODE: 'preview', WORKERS: '2' }, previews: false, memoryMb: 256, cpus: 0.5, secrets: { production: {}, previews: {}, required: [] }, volumes: {}, services: {}, strategy: 'rolling', replicas: 3 });
  });

  it('names the line and the problem', () => {
    expect(fail('dockerfile: Dockerfile\nport: 99999\n')).toBe('.helvetia.yml line 2: port: Too big: expected number to be <=65535');
    expect(fail('port: 3000\nresources:\n  memory_mb: 4096\n')).toBe(".helvetia.yml line 3: resources.memory_mb: 4096 is over this server's maximum of 512");
    expect(fail('port: 3000\nbogus: 1\n')).toBe('.helvetia.yml line 2: bogus: is not a known setting');
    expect(fail('- just\n- a list\n')).toMatch(/^\.helvetia\.yml line 1: \(top level\): /);
    expect(fail('context: ../../etc\n')).toBe('.helvetia.yml line 1: context: must be a relative path inside the repository');
    expect(fail('secrets:\n  production:\n    KEY: plain-text-value\n')).toBe('.helvetia.yml line 3: secrets.production.KEY: must be a sealed:v1: value from `helvetia seal`');
    expect(fail('secrets:\n  staging: {}\n')).toBe('.helvetia.yml line 2: secrets.staging: is not a known setting');
    expect(fail('env:\n  1BAD: x\n')).toMatch(/^\.helvetia\.yml line 2: env\.1BAD: must be a valid environment variable name/);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(fail('port: 3000\nenv: [unclosed\n')).toMatch(/^\.helvetia\.yml line \d: /);
    expect(fail('port: 1\nport: 2\n')).toBe('.helvetia.yml line 2: duplicate key "port"');
    expect(fail('env:\n  A: 1\n  B: 2\n  A: 3\n')).toBe('.helvetia.yml line 4: duplicate key "A"');
  });

  it('refuses a file over 64 KiB before parsing it', () => {
    const text = `env:\n${Array.from({ length: 7000 }, (_, i) => `  K${i}: v`).join('\n')}\n`;
    expect(Buffer.byteLength(text)).toBeGreaterThan(REPO_CONFIG_MAX_BYTES);
    expect(fail(text)).toBe(`.helvetia.yml is ${Buffer.byteLength(text)} bytes, over the 65536-byte limit`);
  });

  it('refuses more keys than the limit', () => {
    const keys = (n: number) => `env:\n${Array.from({ length: n }, (_, i) => `  K${i}: 1`).join('\n')}\n`;
    expect(Object.keys(parseRepoConfig(keys(REPO_CONFIG_MAX_KEYS - 1), limits).env)).toHaveLength(REPO_CONFIG_MAX_KEYS - 1);
    expect(fail(keys(REPO_CONFIG_MAX_KEYS))).toBe(`.helvetia.yml line ${REPO_CONFIG_MAX_KEYS + 1}: more than ${REPO_CONFIG_MAX_KEYS} keys in the file (the limit is ${REPO_CONFIG_MAX_KEYS})`);
  });

  it('refuses alias expansion beyond a small count (billion laughs)', () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'env: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]'];
    expect(fail(laughs.join('\n'))).toMatch(/^\.helvetia\.yml: Excessive alias count/);
  });
});

describe('.helvetia.yml services, volumes, release, seed, strategy', () => {
  const server = { ...limits, serviceCapAdd: ['CHOWN', 'SETUID', 'SETGID', 'DAC_OVERRIDE', 'FOWNER'], serviceImages: ['postgres:*', 'helvetia-redis:*'] };
  const failWith = (text: string) => {
    try {
      parseRepoConfig(text, server);
    } catch (error) {
      expect(error).toBeInstanceOf(RepoConfigError);
      return (error as Error).message;
    }
    throw new Error('accepted an invalid config');
  };
  const full = [
    'volumes:',
    '  uploads: /app/uploads',
    'services:',
    '  db:',
    '    image: postgres:16-alpine',
    '    env:',
    '      POSTGRES_PASSWORD: { generate: true }',
    '      POSTGRES_DB: app',
    '    volumes: { pgdata: /var/lib/postgresql/data }',
    '    port: 5432',
    '    cap_add: [CHOWN, SETUID, SETGID, DAC_OVERRIDE, FOWNER]',
    'env:',
    '  DATABASE_URL: postgres://postgres:${services.db.env.POSTGRES_PASSWORD}@db:5432/app',
    'release: ./migrate.sh',
    'seed: ./seed.sh',
    'strategy: recreate',
  ].join('\n');

  it('reads the issue\'s example', () => {
    const config = parseRepoConfig(full, server);
    expect(config.volumes).toEqual({ uploads: '/app/uploads' });
    expect(config.services).toEqual({
      db: { image: 'postgres:16-alpine', env: { POSTGRES_PASSWORD: { generate: true }, POSTGRES_DB: 'app' }, volumes: { pgdata: '/var/lib/postgresql/data' }, port: 5432, capAdd: ['CHOWN', 'SETUID', 'SETGID', 'DAC_OVERRIDE', 'FOWNER'], memoryMb: 512, cpus: 1 },
    });
    expect(config).toMatchObject({ release: './migrate.sh', seed: './seed.sh', strategy: 'recreate', env: { DATABASE_URL: 'postgres://postgres:${services.db.env.POSTGRES_PASSWORD}@db:5432/app' } });
  });

  it('names the file, line and problem', () => {
    expect(failWith(full.replace('cap_add: [CHOWN, SETUID', 'cap_add: [SYS_ADMIN, SETUID'))).toBe(
      '.helvetia.yml line 11: services.db.cap_add: SYS_ADMIN not allowed on this server (SERVICE_CAP_ADD_ALLOWED: CHOWN, SETUID, SETGID, DAC_OVERRIDE, FOWNER)',
    );
    expect(failWith(full.replace('image: postgres:16-alpine', 'image: evil/miner:latest'))).toBe(
      '.helvetia.yml line 5: services.db.image: evil/miner:latest is not allowed on this server (SERVICE_IMAGES: postgres:*, helvetia-redis:*)',
    );
    expect(failWith(full.replace('${services.db.env.POSTGRES_PASSWORD}', '${services.cache.env.X}'))).toBe('.helvetia.yml line 13: env.DATABASE_URL: refers to service cache, which .helvetia.yml does not define');
    expect(failWith(full.replace('${services.db.env.POSTGRES_PASSWORD}', '${services.db.env.NOPE}'))).toBe('.helvetia.yml line 13: env.DATABASE_URL: refers to NOPE, which service db does not set in its env');
    expect(failWith(full.replace('uploads: /app/uploads', 'uploads: relative/path'))).toBe('.helvetia.yml line 2: volumes.uploads: must be an absolute path inside the container');
    expect(failWith(full.replace('    port: 5432\n', ''))).toBe('.helvetia.yml line 5: services.db: needs a port (probed over TCP) or a healthcheck command, so the app starts only once it is up');
    expect(failWith(full.replace('strategy: recreate', 'strategy: yolo'))).toMatch(/^\.helvetia\.yml line 16: strategy: must be rolling or recreate/);
    expect(failWith(`${full}\nreplicas: 0`)).toBe('.helvetia.yml line 17: replicas: must be at least 1');
    expect(failWith(full.replace('  db:', '  DB:'))).toMatch(/^\.helvetia\.yml line 5: services\.DB: must be a service name/);
    expect(failWith(full.replace('POSTGRES_PASSWORD: { generate: true }', 'POSTGRES_PASSWORD: { generate: false }'))).toMatch(/^\.helvetia\.yml line 7: services\.db\.env\.POSTGRES_PASSWORD/);
  });
});
