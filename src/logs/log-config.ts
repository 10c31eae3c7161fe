import { z } from 'zod';
import { deepFreeze, intVar, parseEnv } from '../config/parse-env.js';
import { parseOrigin } from './origins.js';

const baseUrl = z
  .string({ error: 'is required' })
  .refine((v) => /^https?:\/\/[^/\s]+/i.test(v) && URL.canParse(v), { error: 'must be an absolute http(s) URL' })
  .transform((v) => v.replace(/\/+$/, ''));

const originList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return undefined;
    const origins: string[] = [];
    for (const entry of value.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
      const parsed = parseOrigin(entry);
      if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error, input: entry });
      else if (!origins.includes(parsed.origin)) origins.push(parsed.origin);
    }
    return origins;
  });

export const LOG_CONFIG_VARIABLES = (): string[] => Object.keys(schema.shape);

const schema = z.object({
  LOG_SIGNING_KEY: z.string({ error: 'is required' }).min(32, { error: 'must be at least 32 characters' }),
  LOG_RETENTION_DAYS: intVar(14, 1, 3650),
  LOG_MAX_LINES: intVar(200_000, 10, 50_000_000),
  LOG_MAX_BYTES: intVar(20 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
  ALLOWED_ORIGINS: originList,
  APP_BASE_URL: baseUrl,
  LOG_LINK_TTL_HOURS: intVar(168, 1, 24 * 366),
});

export type LogConfig = Readonly<{
  LOG_SIGNING_KEY: string;
  LOG_RETENTION_DAYS: number;
  LOG_MAX_LINES: number;
  LOG_MAX_BYTES: number;
  /** Effective CORS whitelist: ALLOWED_ORIGINS, or APP_BASE_URL's origin when that is unset. */
  ALLOWED_ORIGINS: readonly string[];
  /** Without trailing slash. */
  APP_BASE_URL: string;
  LOG_LINK_TTL_HOURS: number;
}>;

/** Reads the build-log settings; throws ConfigError naming each bad variable (and the bad origin entry). */
export function loadLogConfig(env: Record<string, string | undefined> = process.env): LogConfig {
  const data = parseEnv(schema, env);
  const allowed = data.ALLOWED_ORIGINS?.length ? data.ALLOWED_ORIGINS : [new URL(data.APP_BASE_URL).origin];
  return deepFreeze({ ...data, ALLOWED_ORIGINS: allowed });
}
