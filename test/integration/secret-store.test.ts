import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../src/secrets/keyring.js';
import { resolveSecrets } from '../../src/secrets/resolve-secrets.js';
import { encodeKey, generateKey, seal } from '../../src/secrets/sealing.js';
import { SecretStore } from '../../src/secrets/secret-store.js';
import { REDIS_URL } from '../helpers/env.js';

const newPrivate = async () => encodeKey((await generateKey()).privateKey);

describe('server-side secret store (real Redis)', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = `hvsecrets${randomBytes(3).toString('hex')}`;
  const value = `pw-${randomBytes(12).toString('hex')}`;

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('stores only ciphertext, with a fresh nonce per value, and reads it back', async () => {
    const store = new SecretStore(redis, prefix, (await Keyring.load({ current: await newPrivate(), previous: [] }))!);
    await store.set(7, 'production', 'DB_PASSWORD', value, 'alice');
    await store.set(7, 'production', 'DB_PASSWORD_COPY', value);
    const raw = await redis.hgetall(`${prefix}:secrets:7:production`);
    const dump = JSON.stringify(raw);
    expect(dump).not.toContain(value);
    expect(dump).not.toContain(Buffer.from(value).toString('base64'));
    expect(JSON.parse(raw.DB_PASSWORD!).iv).not.toBe(JSON.parse(raw.DB_PASSWORD_COPY!).iv);
    expect(await store.values(7, 'production')).toEqual({ DB_PASSWORD: value, DB_PASSWORD_COPY: value });
    expect(await store.values(7, 'previews')).toEqual({});
  });

  it('lists names, scopes and times, never values', async () => {
    const store = new SecretStore(redis, prefix, (await Keyring.load({ current: await newPrivate(), previous: [] }))!);
    await store.set(8, 'previews', 'API_TOKEN', value, 'bob');
    const listed = await store.list(8, ['production', 'previews']);
    expect(listed).toEqual([{ name: 'API_TOKEN', scope: 'previews', updatedAt: expect.any(Number), by: 'bob' }]);
    expect(JSON.stringify(listed)).not.toContain(value);
    expect(await store.unset(8, 'previews', 'API_TOKEN')).toBe(true);
    expect(await store.unset(8, 'previews', 'API_TOKEN')).toBe(false);
  });

  it('a value moved to another repository, scope or name does not decrypt', async () => {
    const store = new SecretStore(redis, prefix, (await Keyring.load({ current: await newPrivate(), previous: [] }))!);
    await store.set(9, 'production', 'A', value);
    const raw = (await redis.hget(`${prefix}:secrets:9:production`, 'A'))!;
    await redis.hset(`${prefix}:secrets:10:production`, 'A', raw);
    await expect(store.values(10, 'production')).rejects.toThrow(/A: the stored value does not decrypt/);
    await redis.hset(`${prefix}:secrets:9:production`, 'B', raw);
    await expect(store.values(9, 'production')).rejects.toThrow(/B: the stored value does not decrypt/);
  });

  it('keeps reading after a key rotation, and re-encrypts to the new key', async () => {
    const own = `${prefix}-rotation`;
    const old = await newPrivate();
    await new SecretStore(redis, own, (await Keyring.load({ current: old, previous: [] }))!).set(11, 'production', 'K', value);
    await new SecretStore(redis, own, (await Keyring.load({ current: old, previous: [] }))!).set(11, 'previews', 'K', value);
    const rotated = (await Keyring.load({ current: await newPrivate(), previous: [old] }))!;
    const store = new SecretStore(redis, own, rotated);
    expect(await store.values(11, 'production')).toEqual({ K: value });
    // Without the old key listed, its values cannot be read (and the error says what to do).
    const forgetful = new SecretStore(redis, own, (await Keyring.load({ current: await newPrivate(), previous: [] }))!);
    await expect(forgetful.values(11, 'production')).rejects.toThrow(/K: stored with key [0-9a-f]{16}, which this server no longer has \(add it to SEAL_PREVIOUS_KEYS\)/);
    expect(await store.reencryptAll()).toBe(2);
    expect(JSON.parse((await redis.hget(`${own}:secrets:11:production`, 'K'))!).kid).toBe(rotated.current.id);
    expect(await new SecretStore(redis, own, (await Keyring.load({ current: await encodeKey(rotated.current.privateKey), previous: [] }))!).values(11, 'previews')).toEqual({ K: value });
    await redis.del(`${own}:secrets:11:production`, `${own}:secrets:11:previews`);
  });

  it('a server-side value overrides a sealed one of the same name', async () => {
    const keyring = (await Keyring.load({ current: await newPrivate(), previous: [] }))!;
    const store = new SecretStore(redis, prefix, keyring);
    await store.set(12, 'production', 'TOKEN', 'from-the-server');
    const sealed = await seal('from-git', { repositoryId: 12, scope: 'production', name: 'TOKEN' }, keyring.current);
    const other = await seal('sealed-only', { repositoryId: 12, scope: 'production', name: 'OTHER' }, keyring.current);
    const resolved = await resolveSecrets({ data: { environment: 'production' }, repositoryId: 12, repoConfig: { secrets: { production: { TOKEN: sealed, OTHER: other }, previews: {}, required: ['TOKEN'] } }, keyring, store });
    expect(resolved.env).toEqual({ TOKEN: 'from-the-server', OTHER: 'sealed-only' });
    expect(resolved.applied).toEqual([{ name: 'OTHER', source: 'sealed' }, { name: 'TOKEN', source: 'server' }]);
  });
});
