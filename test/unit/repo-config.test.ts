import { describe, expect, it } from 'vitest';
import { parseRepoConfig, RepoConfigError } from '../../src/config/repo-config.js';

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
    const expected = { dockerfile: 'Dockerfile', context: '.', port: 8080, healthcheck: '/', env: {}, previews: true, memoryMb: 512, cpus: 1 };
    expect(parseRepoConfig(undefined, limits)).toEqual(expected);
    expect(parseRepoConfig('', limits)).toEqual(expected);
  });

  it('reads every setting', () => {
    const config = parseRepoConfig(
      ['dockerfile: docker/web.Dockerfile', 'context: app', 'port: 3000', 'healthcheck: /health', 'env:', '  MODE: preview', '  WORKERS: 2', 'previews: false', 'resources:', '  memory_mb: 256', '  cpus: 0.5'].join('\n'),
      limits,
    );
    expect(config).toEqual({ dockerfile: 'docker/web.Dockerfile', context: 'app', port: 3000, healthcheck: '/health', env: { MODE: 'preview', WORKERS: '2' }, previews: false, memoryMb: 256, cpus: 0.5 });
  });

  it('names the line and the problem', () => {
    expect(fail('dockerfile: Dockerfile\nport: 99999\n')).toBe('.helvetia.yml line 2: port: Too big: expected number to be <=65535');
    expect(fail('port: 3000\nresources:\n  memory_mb: 4096\n')).toBe(".helvetia.yml line 3: resources.memory_mb: 4096 is over this server's maximum of 512");
    expect(fail('port: 3000\nbogus: 1\n')).toBe('.helvetia.yml line 2: bogus: is not a known setting');
    expect(fail('- just\n- a list\n')).toMatch(/^\.helvetia\.yml line 1: \(top level\): /);
    expect(fail('context: ../../etc\n')).toBe('.helvetia.yml line 1: context: must be a relative path inside the repository');
    expect(fail('env:\n  1BAD: x\n')).toMatch(/^\.helvetia\.yml line 2: env\.1BAD: must be a valid environment variable name/);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(fail('port: 3000\nenv: [unclosed\n')).toMatch(/^\.helvetia\.yml line \d: /);
    expect(fail('port: 1\nport: 2\n')).toMatch(/^\.helvetia\.yml line 2: Map keys must be unique/);
  });
});
