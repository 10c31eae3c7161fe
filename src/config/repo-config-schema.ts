import { z } from 'zod';
import { SEALED_PATTERN, SECRET_NAME } from '../secrets/sealed-format.js';
import { servicesSchema, volumeMap, type ServiceConfig } from '../services/service-schema.js';

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), { error: 'must be a relative path inside the repository' });

const envName = z.string().regex(SECRET_NAME, { error: 'must be a valid environment variable name' });
const sealedValues = z.record(envName, z.string({ error: 'must be a sealed:v1: value from `helvetia seal`' }).regex(SEALED_PATTERN, { error: 'must be a sealed:v1: value from `helvetia seal`' })).default({});
const command = z.string().min(1).max(4096);

/** .helvetia.yml as written; parseRepoConfig turns it into a RepoConfig. */
export const repoConfigSchema = z.strictObject({
  dockerfile: relativePath.default('Dockerfile'),
  context: relativePath.default('.'),
  port: z.number().int().min(1).max(65535).optional(),
  healthcheck: z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/, { error: 'must be an HTTP path starting with /' }).default('/'),
  env: z.record(envName, z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  previews: z.boolean().default(true),
  resources: z.strictObject({ memory_mb: z.number().int().min(16).optional(), cpus: z.number().positive().optional() }).default({}),
  secrets: z.strictObject({ production: sealedValues, previews: sealedValues, required: z.array(envName).default([]) }).default({ production: {}, previews: {}, required: [] }),
  volumes: volumeMap,
  services: servicesSchema,
  release: command.optional(),
  seed: command.optional(),
  strategy: z.enum(['rolling', 'recreate'], { error: 'must be rolling or recreate' }).default('rolling'),
  replicas: z.number().int().min(1, { error: 'must be at least 1' }).max(32, { error: 'must be at most 32' }).default(1),
});

export type RawRepoConfig = z.infer<typeof repoConfigSchema>;

export interface RepoConfig {
  dockerfile: string;
  context: string;
  port: number;
  healthcheck: string;
  /** Literal values; `${services.<name>.env.<VAR>}` references are resolved at deploy time. */
  env: Record<string, string>;
  previews: boolean;
  memoryMb: number;
  cpus: number;
  /** Sealed values per scope, and the names every deploy must have a value for. */
  secrets: { production: Record<string, string>; previews: Record<string, string>; required: string[] };
  /** The app's named volumes (name → mount path), kept across deploys of the environment. */
  volumes: Record<string, string>;
  /** Companion services of each environment, by name. */
  services: Record<string, ServiceConfig>;
  /** Run in a one-off container of the new image before the swap; failing fails the deploy. */
  release?: string;
  /** Run once in a fresh preview, after its services are up. */
  seed?: string;
  /** rolling: new next to old (zero downtime); recreate: old stopped before the new starts. */
  strategy: 'rolling' | 'recreate';
  /** DEPLOY_BACKEND=swarm: tasks of the environment's service (one container on a single host). */
  replicas: number;
}
