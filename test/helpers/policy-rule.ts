import { expect } from 'vitest';
import { PolicyError } from '../../src/proxy/errors.js';

/** Runs a proxy policy check that must refuse, and returns the name of the rule that refused it. */
export function ruleOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).rule;
  }
  throw new Error('expected a PolicyError, but the check accepted');
}
