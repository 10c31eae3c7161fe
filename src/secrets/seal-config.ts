import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';

/** The server's sealing keys as configured: base64 X25519 private keys (32 bytes each). */
export interface SealConfig {
  /** SEAL_PRIVATE_KEY (or the file SEAL_PRIVATE_KEY_PATH names); unset: secrets are off. */
  current?: string;
  /** SEAL_PREVIOUS_KEYS: older keys, kept for opening only after a rotation. */
  previous: string[];
}

const isKey = (value: string): boolean => /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, 'base64').length === 32;

/** Reads and checks the sealing keys; a malformed one stops boot naming its variable. */
export function loadSealConfig(env: Record<string, string | undefined>): SealConfig {
  const issues: { variable: string; message: string }[] = [];
  let current = env.SEAL_PRIVATE_KEY?.trim() || undefined;
  let variable = 'SEAL_PRIVATE_KEY';
  const path = env.SEAL_PRIVATE_KEY_PATH?.trim();
  if (!current && path) {
    variable = 'SEAL_PRIVATE_KEY_PATH';
    try {
      current = readFileSync(path, 'utf8').trim();
    } catch (error) {
      issues.push({ variable, message: `cannot read ${path}: ${(error as Error).message}` });
    }
  }
  if (current && !isKey(current)) issues.push({ variable, message: 'must be a base64 X25519 private key of 32 bytes (`helvetia keys generate`)' });
  const previous = (env.SEAL_PREVIOUS_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  if (previous.some((k) => !isKey(k))) issues.push({ variable: 'SEAL_PREVIOUS_KEYS', message: 'must be a comma list of base64 X25519 private keys of 32 bytes' });
  if (previous.length > 0 && !current) issues.push({ variable: 'SEAL_PRIVATE_KEY', message: 'is required when SEAL_PREVIOUS_KEYS is set' });
  if (issues.length) throw new ConfigError(issues);
  return { current, previous };
}
