import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isMap, isScalar, parseDocument } from 'yaml';
import { REPO_CONFIG_FILE } from '../../config/repo-config.js';
import { Keyring } from '../keyring.js';
import { loadSealConfig } from '../seal-config.js';
import { SCOPES, SEAL_KEY_PATH, SECRET_NAME, type SecretScope } from '../sealed-format.js';
import { keyFromPublic, openSealed, seal, sealedKeyId, type SealKey } from '../sealing.js';
import { readSecretValue } from './read-secret.js';
import { UsageError } from './usage.js';

export const SEAL_USAGE = `usage:
  helvetia seal --repo owner/name --scope production|previews NAME   (the value on stdin)
      --url URL       the helvetia server (default: $APP_BASE_URL); its public key and the repository id come from
                      URL${SEAL_KEY_PATH}?repository=owner/name
      --key FILE      seal offline to this public key (base64, or the JSON the server answers); needs --repo-id
      --repo-id N     GitHub's id of the repository (skips the look-up)
  helvetia seal --reseal [FILE] --repo owner/name   re-seal FILE's values (default ${REPO_CONFIG_FILE}) to the
                      current key; on the server (SEAL_PRIVATE_KEY, SEAL_PREVIOUS_KEYS)`;

interface Target {
  key: SealKey;
  repositoryId: number;
}

/** The public key and the repository id: from the server's endpoint, or offline from --key / --repo-id. */
async function target(values: { repo?: string; url?: string; key?: string; 'repo-id'?: string }, env: NodeJS.ProcessEnv): Promise<Target> {
  const repoId = values['repo-id'] === undefined ? undefined : Number(values['repo-id']);
  if (repoId !== undefined && !(Number.isInteger(repoId) && repoId > 0)) throw new UsageError('--repo-id must be a positive number');
  if (values.key) {
    const text = readFileSync(values.key, 'utf8').trim();
    const json = text.startsWith('{') ? (JSON.parse(text) as { publicKey?: string; repository?: { id?: number } }) : undefined;
    const key = await keyFromPublic(json?.publicKey ?? text);
    const id = repoId ?? json?.repository?.id;
    if (!id) throw new UsageError('--key needs --repo-id (GitHub\'s id of the repository)');
    return { key, repositoryId: id };
  }
  const base = (values.url ?? env.APP_BASE_URL ?? '').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) throw new UsageError('give --url (or set APP_BASE_URL), or seal offline with --key FILE --repo-id N');
  if (!values.repo) throw new UsageError('--repo owner/name is required');
  const response = await fetch(`${base}${SEAL_KEY_PATH}?repository=${encodeURIComponent(values.repo)}`);
  const body = (await response.json().catch(() => ({}))) as { publicKey?: string; keyId?: string; repository?: { id: number }; error?: string };
  if (!response.ok || !body.publicKey) throw new Error(`${base}${SEAL_KEY_PATH}: ${response.status} ${body.error ?? response.statusText}`);
  const key = await keyFromPublic(body.publicKey);
  if (key.id !== body.keyId) throw new Error(`the server's key id ${body.keyId} does not match its key (${key.id})`);
  return { key, repositoryId: repoId ?? body.repository!.id };
}

/** `helvetia seal`: prints the line to paste under secrets.<scope> in .helvetia.yml. */
export async function sealCommand(argv: string[], env: NodeJS.ProcessEnv, out: NodeJS.WritableStream): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { repo: { type: 'string' }, scope: { type: 'string' }, url: { type: 'string' }, key: { type: 'string' }, 'repo-id': { type: 'string' }, reseal: { type: 'boolean' } },
  });
  if (values.reseal) return void (await resealFile(positionals[0] ?? REPO_CONFIG_FILE, values, env, out));
  const [name] = positionals;
  if (!name || positionals.length !== 1 || !SECRET_NAME.test(name)) throw new UsageError('give exactly one secret NAME (an environment variable name)');
  if (!SCOPES.includes(values.scope as SecretScope)) throw new UsageError('--scope must be production or previews');
  const scope = values.scope as SecretScope;
  const { key, repositoryId } = await target(values, env);
  const value = await readSecretValue(`${name} (${scope}, input hidden): `);
  out.write(`${name}: ${await seal(value, { repositoryId, scope, name }, key)}\n`);
}

/** Re-seals every sealed value in FILE that is not sealed to the current key; comments and layout stay. */
async function resealFile(file: string, values: { repo?: string; url?: string; key?: string; 'repo-id'?: string }, env: NodeJS.ProcessEnv, out: NodeJS.WritableStream): Promise<void> {
  const keyring = await Keyring.load(loadSealConfig(env));
  if (!keyring) throw new UsageError('--reseal runs on the server: SEAL_PRIVATE_KEY (and SEAL_PREVIOUS_KEYS) must be set');
  const { repositoryId } = values['repo-id'] ? { repositoryId: Number(values['repo-id']) } : await target(values, env);
  const doc = parseDocument(readFileSync(file, 'utf8'));
  let resealed = 0;
  let current = 0;
  for (const scope of SCOPES) {
    const map = doc.getIn(['secrets', scope], true);
    if (!isMap(map)) continue;
    for (const pair of map.items) {
      if (!isScalar(pair.key) || !isScalar(pair.value) || typeof pair.value.value !== 'string') continue;
      const name = String(pair.key.value);
      if (sealedKeyId(pair.value.value) === keyring.current.id) {
        current++;
        continue;
      }
      const binding = { repositoryId, scope, name };
      pair.value.value = await seal(await openSealed(pair.value.value, binding, keyring.byId).catch((error: Error) => Promise.reject(new Error(`secrets.${scope}.${name} ${error.message}`))), binding, keyring.current);
      resealed++;
    }
  }
  writeFileSync(file, doc.toString());
  out.write(`resealed ${resealed} value(s) in ${file} to key ${keyring.current.id}; ${current} already used it\n`);
}
