import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keyring } from './keyring.js';
import type { SecretScope } from './sealing.js';

/** One stored value as Redis holds it: AES-256-GCM ciphertext, never the value. */
interface StoredValue {
  v: 1;
  /** The sealing key the encryption key was derived from. */
  kid: string;
  iv: string;
  tag: string;
  ct: string;
  /** When it was set (ms) and by whom. */
  at: number;
  by?: string;
}

export interface StoredSecretInfo {
  name: string;
  scope: SecretScope;
  updatedAt: number;
  by?: string;
}

/** A stored value this server cannot decrypt (key rotated out, or the record was altered). */
export class SecretStoreError extends Error {
  override readonly name = 'SecretStoreError';
}

/**
 * Server-side secrets, for values that must not be committed even sealed: one Redis hash per
 * repository and scope, each value AES-256-GCM encrypted with a fresh 96-bit nonce, bound to its
 * repository, scope and name as additional data (a value moved to another field does not open).
 */
export class SecretStore {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly keyring: Keyring) {}

  private key(repositoryId: number, scope: SecretScope): string {
    return `${this.prefix}:secrets:${repositoryId}:${scope}`;
  }

  /** What a stored value is bound to: a value moved to another field or key does not decrypt. */
  private static aad(repositoryId: number, scope: string, name: string): Buffer {
    return Buffer.from(`helvetia-secret\0${repositoryId}\0${scope}\0${name}`);
  }

  private encrypt(repositoryId: number, scope: string, name: string, value: string, by?: string): StoredValue {
    const kid = this.keyring.current.id;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keyring.storeKey(kid)!, iv);
    cipher.setAAD(SecretStore.aad(repositoryId, scope, name));
    const ct = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return { v: 1, kid, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64'), at: Date.now(), ...(by ? { by } : {}) };
  }

  private decrypt(repositoryId: number, scope: string, name: string, raw: string): string {
    const stored = JSON.parse(raw) as StoredValue;
    const key = this.keyring.storeKey(stored.kid);
    if (!key) throw new SecretStoreError(`${name}: stored with key ${stored.kid}, which this server no longer has (add it to SEAL_PREVIOUS_KEYS)`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(stored.iv, 'base64'));
      decipher.setAAD(SecretStore.aad(repositoryId, scope, name));
      decipher.setAuthTag(Buffer.from(stored.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(stored.ct, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretStoreError(`${name}: the stored value does not decrypt (altered, or moved from another repository, scope or name)`);
    }
  }

  async set(repositoryId: number, scope: SecretScope, name: string, value: string, by?: string): Promise<void> {
    await this.redis.hset(this.key(repositoryId, scope), name, JSON.stringify(this.encrypt(repositoryId, scope, name, value, by)));
  }

  /** True when there was a value. */
  async unset(repositoryId: number, scope: SecretScope, name: string): Promise<boolean> {
    return (await this.redis.hdel(this.key(repositoryId, scope), name)) > 0;
  }

  /** Names, scopes and when each changed; never a value. */
  async list(repositoryId: number, scopes: readonly SecretScope[]): Promise<StoredSecretInfo[]> {
    const out: StoredSecretInfo[] = [];
    for (const scope of scopes) {
      for (const [name, raw] of Object.entries(await this.redis.hgetall(this.key(repositoryId, scope)))) {
        const stored = JSON.parse(raw) as StoredValue;
        out.push({ name, scope, updatedAt: stored.at, ...(stored.by ? { by: stored.by } : {}) });
      }
    }
    return out.sort((a, b) => a.scope.localeCompare(b.scope) || a.name.localeCompare(b.name));
  }

  /** Every value of one repository and scope, decrypted (in the worker, just before a container is created). */
  async values(repositoryId: number, scope: SecretScope): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [name, raw] of Object.entries(await this.redis.hgetall(this.key(repositoryId, scope)))) out[name] = this.decrypt(repositoryId, scope, name, raw);
    return out;
  }

  private generatedKey(repositoryId: number, environment: string): string {
    return `${this.prefix}:generated:${repositoryId}:${environment}`;
  }

  /**
   * Values a service asks to have generated (`{ generate: true }`): random once per environment,
   * then the same on every deploy; stored encrypted like a secret. `names` are `<service>.<VAR>`.
   */
  async generated(repositoryId: number, environment: string, names: readonly string[]): Promise<Record<string, string>> {
    if (names.length === 0) return {};
    const key = this.generatedKey(repositoryId, environment);
    const bound = `generated:${environment}`;
    for (const name of names) {
      // HSETNX: two deploys generating at once keep one value, whichever came first.
      await this.redis.hsetnx(key, name, JSON.stringify(this.encrypt(repositoryId, bound, name, randomBytes(24).toString('base64url'))));
    }
    const stored = await this.redis.hmget(key, ...names);
    return Object.fromEntries(names.map((name, i) => [name, this.decrypt(repositoryId, bound, name, stored[i]!)]));
  }

  /** A removed preview's generated values go with it. */
  async forgetGenerated(repositoryId: number, environment: string): Promise<void> {
    await this.redis.del(this.generatedKey(repositoryId, environment));
  }

  /** Re-encrypts every stored value under the current key (after a rotation); returns how many. */
  async reencryptAll(): Promise<number> {
    let count = 0;
    for await (const keys of this.redis.scanStream({ match: `${this.prefix}:*`, count: 500 }) as AsyncIterable<string[]>) {
      for (const key of keys) {
        const match = /:(?:secrets:(\d+):(production|previews)|generated:(\d+):([^:]+))$/.exec(key.slice(this.prefix.length));
        if (!match) continue;
        const [repositoryId, scope] = match[1] ? [Number(match[1]), match[2]!] : [Number(match[3]), `generated:${match[4]}`];
        for (const [name, raw] of Object.entries(await this.redis.hgetall(key))) {
          const stored = JSON.parse(raw) as StoredValue;
          if (stored.kid === this.keyring.current.id) continue;
          const fresh = { ...this.encrypt(repositoryId, scope, name, this.decrypt(repositoryId, scope, name, raw), stored.by), at: stored.at };
          await this.redis.hset(key, name, JSON.stringify(fresh));
          count++;
        }
      }
    }
    return count;
  }
}
