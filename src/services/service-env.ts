import type { SecretStore } from '../secrets/secret-store.js';
import { SERVICE_REF, type ServiceConfig } from './service-schema.js';

/** A service problem no retry fixes (bad image, never ready, no key for generated values): the check fails naming it. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
}

export interface ServiceEnv {
  /** Each service's environment, generated values filled in. */
  byService: Record<string, Record<string, string>>;
  /** The generated values: secrets, for the log redactor. */
  generated: string[];
}

/** Fills in `{ generate: true }` values (random once per environment, kept encrypted in the store). */
export async function resolveServiceEnv(
  services: Record<string, ServiceConfig>,
  input: { store?: SecretStore; repositoryId: number; environment: string },
): Promise<ServiceEnv> {
  const wanted = Object.entries(services).flatMap(([name, s]) => Object.entries(s.env).flatMap(([key, v]) => (typeof v === 'string' ? [] : [`${name}.${key}`])));
  if (wanted.length > 0 && !input.store) throw new ServiceError(`generated values (${wanted.join(', ')}) are kept encrypted, and this server has no SEAL_PRIVATE_KEY`);
  const generated = wanted.length ? await input.store!.generated(input.repositoryId, input.environment, wanted) : {};
  const byService = Object.fromEntries(
    Object.entries(services).map(([name, s]) => [name, Object.fromEntries(Object.entries(s.env).map(([key, v]) => [key, typeof v === 'string' ? v : generated[`${name}.${key}`]!]))]),
  );
  return { byService, generated: Object.values(generated) };
}

/** The app's env with every `${services.<name>.env.<VAR>}` replaced by that service's value. */
export function interpolateAppEnv(env: Record<string, string>, services: ServiceEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value.replace(SERVICE_REF, (_, service: string, variable: string) => services.byService[service]?.[variable] ?? '')]));
}
