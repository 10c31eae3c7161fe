import { z } from 'zod';
import { ConfigError } from './errors.js';

type Env = Record<string, string | undefined>;

/** Deeply freezes a plain configuration object so nothing can change it after boot. */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as Record<string, unknown>)) deepFreeze(inner);
  }
  return value;
}

/**
 * Validates `env` against a zod object schema whose keys are the variable names.
 * Empty strings count as unset. Throws ConfigError naming every bad variable.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env): z.infer<S> {
  const cleaned: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const raw = env[key];
    cleaned[key] = raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  return result.data;
}

/** Integer variable with bounds and a default. */
export const intVar = (def: number, min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
    .default(def);

/** Boolean flag: 1/0, true/false, yes/no. */
export const flagVar = (def: boolean) =>
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no'], { error: 'must be 1 or 0 (true/false)' })
    .optional()
    .transform((v) => (v === undefined ? def : ['1', 'true', 'yes'].includes(v)));
