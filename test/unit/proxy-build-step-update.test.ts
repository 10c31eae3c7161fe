import { describe, expect, it } from 'vitest';
import { BUILD_STEP_PIDS_MAX, checkBuildStepUpdate } from '../../src/proxy/body-policy/build-step-update.js';
import { PolicyError } from '../../src/proxy/errors.js';
import { parseStrictJson } from '../../src/proxy/json-strict.js';
import { ruleOf, thrownBy } from '../helpers/thrown.js';

const check = (body: string, current = 0) => checkBuildStepUpdate(parseStrictJson(body), current);

describe('update body of a build step container', () => {
  it('allows exactly {"PidsLimit": n}, in any letter case, forwarded canonically', () => {
    expect(check('{"PidsLimit":512}')).toEqual({ PidsLimit: 512 });
    expect(check('{"pidslimit":32}')).toEqual({ PidsLimit: 32 });
    expect(check(`{"PIDSLIMIT":${BUILD_STEP_PIDS_MAX}}`)).toEqual({ PidsLimit: BUILD_STEP_PIDS_MAX });
  });

  it('refuses every other key, alone or next to PidsLimit', () => {
    for (const body of ['{"PidsLimit":32,"Memory":0}', '{"Memory":1}', '{"PidsLimit":32,"RestartPolicy":{"Name":"always"}}', '{"CpuQuota":-1}', '{"PidsLimit":32,"Devices":[]}']) {
      expect(ruleOf(() => check(body)), body).toBe('build-step-update');
    }
  });

  it('refuses duplicates, in the same or another case', () => {
    expect(() => check('{"PidsLimit":32,"PidsLimit":64}')).toThrow(PolicyError);
    expect(ruleOf(() => check('{"PidsLimit":32,"pidsLimit":64}'))).toBe('build-step-update');
  });

  it('refuses missing, empty, unlimited, fractional, huge and non-number limits and non-object bodies', () => {
    for (const body of ['{}', 'null', '[]', '"PidsLimit"', '{"PidsLimit":0}', '{"PidsLimit":-1}', '{"PidsLimit":1.5}', `{"PidsLimit":${BUILD_STEP_PIDS_MAX + 1}}`, '{"PidsLimit":"32"}', '{"PidsLimit":null}', '{"PidsLimit":1e400}']) {
      expect(ruleOf(() => check(body)), body).toBe('build-step-update');
    }
  });

  it('only tightens: never above the step\'s current limit', () => {
    expect(check('{"PidsLimit":32}', 64)).toEqual({ PidsLimit: 32 });
    expect(check('{"PidsLimit":64}', 64)).toEqual({ PidsLimit: 64 });
    const error = thrownBy(PolicyError, () => check('{"PidsLimit":65}', 64));
    expect(error.rule).toBe('build-step-update');
    expect(error.message).toContain('raise the current limit of 64');
    expect(check('{"PidsLimit":65}', -1)).toEqual({ PidsLimit: 65 });
  });
});
