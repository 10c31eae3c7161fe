import { createHash } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { SEALED_PATTERN, type SecretScope } from './sealed-format.js';

export { SCOPES, SEALED_PATTERN, type SecretScope } from './sealed-format.js';

/** What a sealed value is bound to: it opens only for this repository, scope and name. */
export interface SealBinding {
  repositoryId: number;
  scope: SecretScope;
  name: string;
}

/** A sealing key: the public half always, the private half on the server only. */
export interface SealKey {
  id: string;
  publicKey: Uint8Array;
  privateKey?: Uint8Array;
}

/** A sealed value that does not open; the message says why, never the value. */
export class SealError extends Error {
  override readonly name = 'SealError';
}

const B64 = () => sodium.base64_variants.ORIGINAL;
const B64URL = () => sodium.base64_variants.URLSAFE_NO_PADDING;

/** A short, stable id of a public key (the first 8 bytes of its SHA-256), carried in every sealed value. */
export const keyIdOf = (publicKey: Uint8Array): string => createHash('sha256').update(publicKey).digest('hex').slice(0, 16);

export async function generateKey(): Promise<Required<SealKey>> {
  await sodium.ready;
  const pair = sodium.crypto_box_keypair();
  return { id: keyIdOf(pair.publicKey), publicKey: pair.publicKey, privateKey: pair.privateKey };
}

/** The key of a base64 private key (SEAL_PRIVATE_KEY), its public half derived. */
export async function keyFromPrivate(base64: string): Promise<Required<SealKey>> {
  await sodium.ready;
  const privateKey = sodium.from_base64(base64, B64());
  const publicKey = sodium.crypto_scalarmult_base(privateKey);
  return { id: keyIdOf(publicKey), publicKey, privateKey };
}

export async function keyFromPublic(base64: string): Promise<SealKey> {
  await sodium.ready;
  const publicKey = sodium.from_base64(base64, B64());
  if (publicKey.length !== sodium.crypto_box_PUBLICKEYBYTES) throw new SealError('a sealing public key is 32 bytes of base64');
  return { id: keyIdOf(publicKey), publicKey };
}

export const encodeKey = async (bytes: Uint8Array): Promise<string> => (await sodium.ready, sodium.to_base64(bytes, B64()));

/**
 * Seals `value` to `key` with an anonymous sealed box (X25519 + XSalsa20-Poly1305, libsodium's
 * crypto_box_seal). The plaintext carries the binding, so the result opens only for it.
 */
export async function seal(value: string, binding: SealBinding, key: SealKey): Promise<string> {
  await sodium.ready;
  const plaintext = JSON.stringify({ v: 1, repository: binding.repositoryId, scope: binding.scope, name: binding.name, value });
  return `sealed:v1:${key.id}:${sodium.to_base64(sodium.crypto_box_seal(sodium.from_string(plaintext), key.publicKey), B64URL())}`;
}

/** The id of the key a sealed value was sealed to, or undefined when it is not one. */
export const sealedKeyId = (text: string): string | undefined => SEALED_PATTERN.exec(text)?.[1];

/** Opens a sealed value with the matching private key, and checks it was sealed for `binding`. */
export async function openSealed(text: string, binding: SealBinding, keys: ReadonlyMap<string, SealKey>): Promise<string> {
  await sodium.ready;
  const match = SEALED_PATTERN.exec(text);
  if (!match) throw new SealError('is not a sealed:v1: value');
  const key = keys.get(match[1]!);
  if (!key?.privateKey) throw new SealError(`was sealed to key ${match[1]}, which this server does not have (rotated out, or another server's)`);
  let opened: { v?: unknown; repository?: unknown; scope?: unknown; name?: unknown; value?: unknown };
  try {
    const plaintext = sodium.crypto_box_seal_open(sodium.from_base64(match[2]!, B64URL()), key.publicKey, key.privateKey);
    opened = JSON.parse(sodium.to_string(plaintext)) as typeof opened;
  } catch {
    throw new SealError('does not open: it was altered or is not a sealed value');
  }
  if (opened.v !== 1 || typeof opened.value !== 'string') throw new SealError('does not open: unknown sealed format');
  if (opened.repository !== binding.repositoryId) throw new SealError('was sealed for another repository');
  if (opened.scope !== binding.scope) throw new SealError(`was sealed for the ${String(opened.scope)} scope, not ${binding.scope}`);
  if (opened.name !== binding.name) throw new SealError(`was sealed for the name ${String(opened.name)}`);
  return opened.value;
}
