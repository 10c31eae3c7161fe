import { z } from 'zod';
import { SECRET_NAME } from '../secrets/sealed-format.js';

/** A service's or volume's name: a DNS label (services are reached by it on the environment network). */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,30}$/;
export const VOLUME_NAME = /^[a-z0-9][a-z0-9_-]{0,30}$/;
/** An image reference as `docker pull` takes it: [registry/]name[:tag][@digest]. */
const IMAGE_REF = /^[a-z0-9][a-z0-9._/:-]{0,200}(@sha256:[0-9a-f]{64})?$/;

const mountPath = z
  .string()
  .regex(/^\/[^\0]*$/, { error: 'must be an absolute path inside the container' })
  .refine((p) => p !== '/' && !p.split('/').includes('..'), { error: 'must be an absolute path other than /, without ..' });

/** Named volumes of an environment: name → where it is mounted. */
export const volumeMap = z.record(z.string().regex(VOLUME_NAME, { error: 'must be a volume name (a-z, 0-9, _ and -)' }), mountPath).default({});

const envName = z.string().regex(SECRET_NAME, { error: 'must be a valid environment variable name' });
const literal = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const generated = z.strictObject({ generate: z.literal(true, { error: 'must be true' }) });

export const serviceSchema = z.strictObject({
  image: z.string({ error: 'is required (an image name such as postgres:16-alpine)' }).regex(IMAGE_REF, { error: 'must be an image reference such as postgres:16-alpine' }),
  command: z.array(z.string()).min(1).max(64).optional(),
  env: z.record(envName, z.union([literal, generated])).default({}),
  volumes: volumeMap,
  port: z.number().int().min(1).max(65535).optional(),
  healthcheck: z.array(z.string()).min(1).max(32).optional(),
  cap_add: z.array(z.string().regex(/^[A-Z_]+$/, { error: 'must be a capability name such as CHOWN' })).max(40).default([]),
  resources: z.strictObject({ memory_mb: z.number().int().min(16).optional(), cpus: z.number().positive().optional() }).default({}),
});

export const servicesSchema = z
  .record(z.string().regex(SERVICE_NAME, { error: 'must be a service name (a-z, 0-9 and -, starting with a letter)' }), serviceSchema)
  .refine((s) => Object.keys(s).length <= 8, { error: 'at most 8 services' })
  .default({});

/** One companion service as the worker runs it. */
export interface ServiceConfig {
  image: string;
  command?: string[];
  /** Literal values, or `{ generate: true }`: a random value per environment, stored like a secret. */
  env: Record<string, string | { generate: true }>;
  volumes: Record<string, string>;
  port?: number;
  healthcheck?: string[];
  capAdd: string[];
  memoryMb: number;
  cpus: number;
}

/** `${services.<name>.env.<VAR>}` in the app's env: a service's (possibly generated) value. */
export const SERVICE_REF = /\$\{services\.([a-z][a-z0-9-]*)\.env\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** SERVICE_IMAGES globs (`*` matches anything): an image must match one when the list is set. */
export function imageAllowed(image: string, globs: readonly string[] | undefined): boolean {
  if (!globs || globs.length === 0) return true;
  return globs.some((glob) => new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`).test(image));
}
