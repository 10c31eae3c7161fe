import { describe, expect, it } from 'vitest';
import { limitStep } from '../../src/docker/dockerode-build.js';
import { labelInstruction } from '../../src/github/dockerfile-append.js';

/** dockerode's error shape for an Engine API answer. */
const apiError = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message}`), { statusCode });

async function outcome(answer: Error | null): Promise<string[]> {
  const lines: string[] = [];
  const docker = { getContainer: () => ({ update: () => (answer ? Promise.reject(answer) : Promise.resolve({})) }) };
  await limitStep(docker as never, 'abc123', 512, (line) => lines.push(line));
  return lines;
}

describe('pids limit of a build step', () => {
  it.each([
    ['applied', null],
    ['gone (404)', apiError(404, 'No such container: abc123')],
    ['being removed (409)', apiError(409, 'removal of container abc123 is already in progress')],
    ['stopped under the update (500)', apiError(500, 'Cannot update container abc123: cannot update a stopped container: unknown')],
    ['not running any more (500)', apiError(500, 'Container abc123 is not running')],
  ])('a step that is %s is no warning', async (_what, answer) => {
    expect(await outcome(answer)).toEqual([]);
  });

  it.each([
    ['refused by the API (403)', apiError(403, 'refused by helvetia proxy'), /WITHOUT its limit of 512 processes: the Docker API refused it/],
    ['a failed update of a running step (500)', apiError(500, 'Cannot update container abc123: failed to write to pids.max: permission denied'), /WITHOUT its limit of 512 processes: the update failed: .*pids\.max/],
    ['a lost connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), /WITHOUT its limit.*socket hang up/],
  ])('%s still warns in the build log', async (_what, answer, warning) => {
    const lines = await outcome(answer);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(warning);
  });
});

describe('the labels as one LABEL instruction', () => {
  it('writes every label in one instruction, quoted', () => {
    expect(labelInstruction({ 'cloud.helvetia.repository': 'octo/app', 'cloud.helvetia.sha': 'abc' })).toBe('LABEL "cloud.helvetia.repository"="octo/app" "cloud.helvetia.sha"="abc"');
  });

  it.each(['$HOME', 'a"b', 'a\\b', 'a`b', 'a b', 'a\nb', "a'b"])('refuses a value the Dockerfile would interpret: %j', (value) => {
    expect(() => labelInstruction({ k: value })).toThrow(/has characters a LABEL line would interpret/);
  });
});
