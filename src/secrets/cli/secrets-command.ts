import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load-config.js';
import { GitHubApp } from '../../github/client.js';
import { createLogger } from '../../logger.js';
import { DeployQueue } from '../../queue/deploy-queue.js';
import { connectRedis, createProducerConnection } from '../../queue/redis.js';
import { DeployState } from '../../worker/deploy-state.js';
import { Keyring } from '../keyring.js';
import { redeployScope } from '../redeploy.js';
import { SCOPES, SECRET_NAME, type SecretScope } from '../sealed-format.js';
import { SecretStore } from '../secret-store.js';
import { readSecretValue } from './read-secret.js';
import { UsageError } from './usage.js';

export const SECRETS_USAGE = `usage (on the server: it reads the same environment as helvetia start):
  helvetia secrets set owner/name --scope production|previews NAME [--redeploy]   (the value on stdin)
  helvetia secrets unset owner/name --scope production|previews NAME [--redeploy]
  helvetia secrets list owner/name [--scope production|previews]                   (names, never values)
  helvetia secrets reencrypt            re-encrypt every stored value to the current SEAL_PRIVATE_KEY
  --redeploy redeploys what the scope covers (production, or the open same-repository previews)`;

/** `helvetia secrets …`: the server-side store, encrypted at rest in Redis. */
export async function secretsCommand(argv: string[], env: NodeJS.ProcessEnv, out: NodeJS.WritableStream): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { scope: { type: 'string' }, redeploy: { type: 'boolean' } } });
  const [verb, repository, name] = positionals;
  if (!['set', 'unset', 'list', 'reencrypt'].includes(verb ?? '')) throw new UsageError('give set, unset, list or reencrypt');
  const config = loadConfig(env);
  const keyring = await Keyring.load(config.seal);
  if (!keyring) throw new UsageError('the secret store needs SEAL_PRIVATE_KEY (`helvetia keys generate`)');
  const redis = await connectRedis(createProducerConnection(config.REDIS_URL));
  try {
    const store = new SecretStore(redis, config.QUEUE_PREFIX, keyring);
    if (verb === 'reencrypt') return void out.write(`re-encrypted ${await store.reencryptAll()} value(s) to key ${keyring.current.id}\n`);
    const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(repository ?? '');
    if (!match) throw new UsageError('give the repository as owner/name');
    const [owner, repo] = [match[1]!, match[2]!];
    const scope = values.scope as SecretScope | undefined;
    if (scope !== undefined && !SCOPES.includes(scope)) throw new UsageError('--scope must be production or previews');
    const github = new GitHubApp(config, createLogger({ level: 'silent' }));
    const found = await github.repository(owner, repo);
    if (verb === 'list') {
      for (const s of await store.list(found.id, scope ? [scope] : SCOPES)) out.write(`${s.scope}\t${s.name}\t${new Date(s.updatedAt).toISOString()}${s.by ? `\t${s.by}` : ''}\n`);
      return;
    }
    if (!scope) throw new UsageError('--scope production|previews is required');
    if (!name || !SECRET_NAME.test(name) || positionals.length !== 3) throw new UsageError('give exactly one secret NAME (an environment variable name)');
    if (verb === 'set') {
      await store.set(found.id, scope, name, await readSecretValue(`${name} for ${found.fullName} (${scope}, input hidden): `), env.USER);
      out.write(`set ${scope} secret ${name} of ${found.fullName}\n`);
    } else {
      out.write(`${(await store.unset(found.id, scope, name)) ? 'removed' : 'there was no'} ${scope} secret ${name} of ${found.fullName}\n`);
    }
    if (values.redeploy) {
      const queue = new DeployQueue(redis, { prefix: config.QUEUE_PREFIX });
      const { octokit } = await github.installation(found.installationId);
      const target = { owner, repo, repositoryId: found.id, installationId: found.installationId };
      const enqueued = await redeployScope({ queue, state: new DeployState(redis, config.QUEUE_PREFIX), octokit }, target, scope, `secret ${name} changed`);
      out.write(enqueued.length ? `redeploying ${enqueued.join(', ')}\n` : `nothing live in the ${scope} scope to redeploy\n`);
      await queue.close();
    }
  } finally {
    redis.disconnect();
  }
}
