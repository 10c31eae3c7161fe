import { hkdfSync } from 'node:crypto';
import type { SealConfig } from './seal-config.js';
import { keyFromPrivate, type SealKey } from './sealing.js';

/**
 * The server's sealing keys: the current one seals and opens, previous ones (after a rotation)
 * only open. The secret store's encryption keys are derived from the same material (HKDF-SHA256),
 * one per sealing key, so a rotation keeps stored values readable while the old key is listed.
 */
export class Keyring {
  readonly byId: ReadonlyMap<string, SealKey>;

  private constructor(readonly current: Required<SealKey>, previous: Required<SealKey>[]) {
    this.byId = new Map([current, ...previous].map((k) => [k.id, k]));
  }

  /** undefined when the server has no SEAL_PRIVATE_KEY (secrets are off). */
  static async load(config: SealConfig): Promise<Keyring | undefined> {
    if (!config.current) return undefined;
    return new Keyring(await keyFromPrivate(config.current), await Promise.all(config.previous.map(keyFromPrivate)));
  }

  /** The AES-256-GCM key of the secret store that belongs to sealing key `id`. */
  storeKey(id: string): Buffer | undefined {
    const key = this.byId.get(id);
    if (!key?.privateKey) return undefined;
    return Buffer.from(hkdfSync('sha256', key.privateKey, 'helvetia', 'helvetia secret store v1', 32));
  }
}
