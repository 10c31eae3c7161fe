import type { RepoConfig } from '../config/repo-config.js';
import type { DeployJobData } from '../queue/job-types.js';
import type { Keyring } from './keyring.js';
import type { SecretScope } from './sealed-format.js';
import { openSealed, SealError } from './sealing.js';
import type { SecretStore } from './secret-store.js';

/** The secrets a deploy gets: values for the container only, and where each came from. */
export interface ResolvedSecrets {
  scope?: SecretScope;
  env: Record<string, string>;
  applied: { name: string; source: 'sealed' | 'server' }[];
  /** Why there are none, when the deploy gets none by rule (a fork). */
  withheld?: string;
}

/** A secret problem no retry fixes: the check fails naming it; nothing is deployed. */
export class SecretsError extends Error {
  override readonly name = 'SecretsError';
}

export const FORK_WITHHELD = 'fork pull requests get no secrets, even once approved';

/** Production gets `production`, same-repository previews `previews`, forks nothing. */
export function scopeOf(data: Pick<DeployJobData, 'environment' | 'fork'>): SecretScope | undefined {
  if (data.fork) return undefined;
  return data.environment === 'production' ? 'production' : 'previews';
}

/**
 * Opens the deploy's secrets in the worker, right before the container is made: the sealed
 * values of its scope from .helvetia.yml, then the server-side store's (which win on a name).
 * Every value that does not open, and every `required` name left without a value, is named in
 * one SecretsError. Values never leave this process except into the container's environment.
 */
export async function resolveSecrets(input: {
  data: Pick<DeployJobData, 'environment' | 'fork'>;
  repositoryId: number;
  repoConfig: Pick<RepoConfig, 'secrets'>;
  keyring?: Keyring;
  store?: SecretStore;
}): Promise<ResolvedSecrets> {
  const { secrets } = input.repoConfig;
  const scope = scopeOf(input.data);
  const missing = (have: Record<string, string>) => secrets.required.filter((name) => !(name in have));
  if (!scope) {
    const left = missing({});
    if (left.length) throw new SecretsError(`required secret ${left.join(', ')} has no value: ${FORK_WITHHELD}`);
    return { env: {}, applied: [], withheld: FORK_WITHHELD };
  }
  const sealed = Object.entries(secrets[scope]);
  if (sealed.length > 0 && !input.keyring) throw new SecretsError(`sealed secrets ${sealed.map(([n]) => n).join(', ')} cannot be opened: this server has no SEAL_PRIVATE_KEY`);
  const env: Record<string, string> = {};
  const source = new Map<string, 'sealed' | 'server'>();
  const problems: string[] = [];
  for (const [name, text] of sealed) {
    try {
      env[name] = await openSealed(text, { repositoryId: input.repositoryId, scope, name }, input.keyring!.byId);
      source.set(name, 'sealed');
    } catch (error) {
      if (!(error instanceof SealError)) throw error;
      problems.push(`secrets.${scope}.${name} ${error.message}`);
    }
  }
  if (input.store) {
    try {
      for (const [name, value] of Object.entries(await input.store.values(input.repositoryId, scope))) {
        env[name] = value;
        source.set(name, 'server');
      }
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'SecretStoreError') throw error;
      problems.push(`server-side ${scope} secret ${error.message}`);
    }
  }
  const left = missing(env);
  if (left.length) problems.push(`required secret ${left.join(', ')} has no ${scope} value (seal one into .helvetia.yml or \`helvetia secrets set\`)`);
  if (problems.length) throw new SecretsError(problems.join('; '));
  return { scope, env, applied: [...source].map(([name, from]) => ({ name, source: from })).sort((a, b) => a.name.localeCompare(b.name)) };
}
