import { describe, expect, it } from 'vitest';
import { asDockerUnavailable, DockerUnavailableError } from '../../src/docker/engine.js';
import { classify } from '../../src/worker/deploy-errors.js';

describe('asDockerUnavailable', () => {
  it('words socket failures as an unreachable or lost Docker daemon, retryable', () => {
    const refused = asDockerUnavailable(Object.assign(new Error('connect ECONNREFUSED /run/docker.sock'), { code: 'ECONNREFUSED' }), 'during the build');
    expect(refused).toBeInstanceOf(DockerUnavailableError);
    expect((refused as Error).message).toBe('the Docker daemon is unreachable during the build (connect ECONNREFUSED /run/docker.sock)');
    const cut = asDockerUnavailable(new Error('aborted'), 'during the build');
    expect((cut as Error).message).toMatch(/connection to the Docker daemon was lost during the build/);
    expect(classify(cut)).toMatchObject({ conclusion: 'failure', title: 'Docker daemon unavailable', final: false });
  });

  it('leaves other errors alone', () => {
    const other = Object.assign(new Error('no such image'), { statusCode: 404 });
    expect(asDockerUnavailable(other, 'during the build')).toBe(other);
  });
});
