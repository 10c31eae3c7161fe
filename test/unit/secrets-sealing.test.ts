import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { Keyring } from '../../src/secrets/keyring.js';
import { FORK_WITHHELD, resolveSecrets, scopeOf, SecretsError } from '../../src/secrets/resolve-secrets.js';
import { loadSealConfig } from '../../src/secrets/seal-config.js';
import { encodeKey, generateKey, keyFromPublic, openSealed, seal, SealError, type SealBinding } from '../../src/secrets/sealing.js';

const binding: SealBinding = { repositoryId: 4242, scope: 'production', name: 'STRIPE_KEY' };
const keyringOf = async (current: string, previous: string[] = []) => (await Keyring.load({ current, previous }))!;
const newPrivate = async () => encodeKey((await generateKey()).privateKey);
const refusal = async (p: Promise<unknown>) => {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SealError);
  return (error as Error).message;
};

describe('sealed values (libsodium sealed boxes)', () => {
  it('round-trips, sealed with the public key only', async () => {
    const keyring = await keyringOf(await newPrivate());
    const publicOnly = await keyFromPublic(await encodeKey(keyring.current.publicKey));
    expect(publicOnly.privateKey).toBeUndefined();
    const sealed = await seal('sk_live_123 ünïcode', binding, publicOnly);
    expect(sealed).toMatch(new RegExp(`^sealed:v1:${keyring.current.id}:[A-Za-z0-9_-]+$`));
    expect(sealed).not.toContain('sk_live');
    expect(await openSealed(sealed, binding, keyring.byId)).toBe('sk_live_123 ünïcode');
    // Anonymous sealed boxes: the same value seals differently every time.
    expect(await seal('sk_live_123 ünïcode', binding, publicOnly)).not.toBe(sealed);
  });

  it('does not open when copied to another repository, scope or name', async () => {
    const keyring = await keyringOf(await newPrivate());
    const sealed = await seal('v', binding, keyring.current);
    expect(await refusal(openSealed(sealed, { ...binding, repositoryId: 4243 }, keyring.byId))).toBe('was sealed for another repository');
    expect(await refusal(openSealed(sealed, { ...binding, scope: 'previews' }, keyring.byId))).toBe('was sealed for the production scope, not previews');
    expect(await refusal(openSealed(sealed, { ...binding, name: 'OTHER' }, keyring.byId))).toBe('was sealed for the name STRIPE_KEY');
  });

  it('refuses a tampered ciphertext, an unknown key and garbage', async () => {
    const keyring = await keyringOf(await newPrivate());
    const sealed = await seal('v', binding, keyring.current);
    const body = sealed.split(':')[3]!;
    const flipped = `${sealed.slice(0, -body.length)}${body.slice(0, 20)}${body[20] === 'A' ? 'B' : 'A'}${body.slice(21)}`;
    expect(await refusal(openSealed(flipped, binding, keyring.byId))).toMatch(/does not open: it was altered/);
    const other = await keyringOf(await newPrivate());
    expect(await refusal(openSealed(sealed, binding, other.byId))).toMatch(/which this server does not have/);
    // The key id cannot be swapped to make another key try it.
    const relabelled = sealed.replace(keyring.current.id, other.current.id);
    expect(await refusal(openSealed(relabelled, binding, other.byId))).toMatch(/does not open/);
    expect(await refusal(openSealed('plain text', binding, keyring.byId))).toBe('is not a sealed:v1: value');
  });

  it('opens values sealed to a previous key after a rotation, and seals to the new one', async () => {
    const old = await newPrivate();
    const before = await keyringOf(old);
    const sealed = await seal('kept', binding, before.current);
    const rotated = await keyringOf(await newPrivate(), [old]);
    expect(rotated.current.id).not.toBe(before.current.id);
    expect(await openSealed(sealed, binding, rotated.byId)).toBe('kept');
    expect(rotated.storeKey(before.current.id)).toEqual(before.storeKey(before.current.id));
  });

  it('names the variable of a malformed key', () => {
    expect(() => loadSealConfig({ SEAL_PRIVATE_KEY: 'short' })).toThrow(ConfigError);
    expect(() => loadSealConfig({ SEAL_PRIVATE_KEY: 'short' })).toThrow(/SEAL_PRIVATE_KEY: must be a base64 X25519 private key/);
    expect(() => loadSealConfig({ SEAL_PREVIOUS_KEYS: 'x' })).toThrow(/SEAL_PREVIOUS_KEYS/);
    expect(loadSealConfig({})).toEqual({ current: undefined, previous: [] });
  });
});

describe('which secrets a deploy gets', () => {
  const config = (production: Record<string, string>, previews: Record<string, string> = {}, required: string[] = []) => ({ secrets: { production, previews, required } });

  it('production gets production, same-repository previews get previews, forks nothing', () => {
    expect(scopeOf({ environment: 'production' })).toBe('production');
    expect(scopeOf({ environment: 'pr-3', fork: false })).toBe('previews');
    expect(scopeOf({ environment: 'pr-3', fork: true })).toBeUndefined();
  });

  it('opens the scope\'s sealed values and nothing of the other scope', async () => {
    const keyring = await keyringOf(await newPrivate());
    const prod = await seal('prod-value', binding, keyring.current);
    const prev = await seal('preview-value', { ...binding, scope: 'previews' }, keyring.current);
    const repoConfig = config({ STRIPE_KEY: prod }, { STRIPE_KEY: prev });
    expect(await resolveSecrets({ data: { environment: 'production' }, repositoryId: 4242, repoConfig, keyring })).toEqual({
      scope: 'production', env: { STRIPE_KEY: 'prod-value' }, applied: [{ name: 'STRIPE_KEY', source: 'sealed' }],
    });
    expect((await resolveSecrets({ data: { environment: 'pr-1' }, repositoryId: 4242, repoConfig, keyring })).env).toEqual({ STRIPE_KEY: 'preview-value' });
    expect(await resolveSecrets({ data: { environment: 'pr-1', fork: true }, repositoryId: 4242, repoConfig, keyring })).toEqual({ env: {}, applied: [], withheld: FORK_WITHHELD });
  });

  it('fails naming every value that does not open and every required name without a value', async () => {
    const keyring = await keyringOf(await newPrivate());
    const elsewhere = await seal('x', { ...binding, repositoryId: 1 }, keyring.current);
    const repoConfig = config({ STRIPE_KEY: elsewhere }, {}, ['DATABASE_URL']);
    const error = await resolveSecrets({ data: { environment: 'production' }, repositoryId: 4242, repoConfig, keyring }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretsError);
    expect((error as Error).message).toBe(
      'secrets.production.STRIPE_KEY was sealed for another repository; required secret DATABASE_URL has no production value (seal one into .helvetia.yml or `helvetia secrets set`)',
    );
    await expect(resolveSecrets({ data: { environment: 'pr-2', fork: true }, repositoryId: 4242, repoConfig })).rejects.toThrow(`required secret DATABASE_URL has no value: ${FORK_WITHHELD}`);
    await expect(resolveSecrets({ data: { environment: 'production' }, repositoryId: 4242, repoConfig: config({ STRIPE_KEY: elsewhere }) })).rejects.toThrow(/this server has no SEAL_PRIVATE_KEY/);
  });
});
