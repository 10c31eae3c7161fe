import { expect } from 'vitest';
import { PolicyError } from '../../src/proxy/errors.js';

/** Runs `fn`, which must throw an instance of `type`, and returns that error (fails the test otherwise). */
export function thrownBy<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name}, but nothing was thrown`);
}

/** Runs a proxy policy check that must refuse, and returns the name of the rule that refused it. */
export const ruleOf = (fn: () => unknown): string => thrownBy(PolicyError, fn).rule;
