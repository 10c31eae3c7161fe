import { z } from 'zod';
import { intVar, parseEnv } from '../config/parse-env.js';

/** The few variables the setup server needs: where it listens and which GitHub it registers on. */
const schema = z.object({
  PORT: intVar(3000, 1, 65535),
  HOST: z.string().default('0.0.0.0'),
  APP_BASE_URL: z
    .string({ error: 'is required (the public URL GitHub sends webhooks and the setup callback to)' })
    .regex(/^https?:\/\/[^/]+/, { error: 'must be an absolute http(s) URL' })
    .transform((v) => v.replace(/\/+$/, '')),
  APP_NAME: z.string().max(34).optional(),
  GHE_HOST: z.string().regex(/^[a-zA-Z0-9.-]+(:\d{1,5})?$/).optional(),
  GHE_PROTOCOL: z.enum(['http', 'https']).default('https'),
  ENV_FILE: z.string().default('.env'),
});

export type SetupConfig = z.infer<typeof schema>;

export const loadSetupConfig = (env: Record<string, string | undefined>): SetupConfig => parseEnv(schema, env);

/** Variables only a registered app has; missing (only) these means: run the setup flow. */
export const REGISTRATION_VARIABLES = ['APP_ID', 'PRIVATE_KEY', 'WEBHOOK_SECRET'];
