/**
 * Capability links for build logs: `<expiry seconds>.<base64url HMAC-SHA256>` bound to one log id.
 * A token signed by another deployment (other key), for another id, altered or expired is refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { assertLogId } from './log-id.js';

const VERSION = 'helvetia-log-v1';
const TOKEN_SHAPE = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export type LogTokenCheck =
  | { valid: true; expiresAt: Date }
  | { valid: false; reason: 'missing' | 'malformed' | 'signature' | 'expired' };

const mac = (key: string, id: string, expSeconds: number): Buffer =>
  createHmac('sha256', key).update(`${VERSION}\n${id}\n${expSeconds}`).digest();

const toSeconds = (at: Date | number): number => Math.floor((at instanceof Date ? at.getTime() : at) / 1000);

/** Signs a token for `id` that stops working at `expiresAt` (Date or epoch milliseconds). */
export function signLogToken(key: string, id: string, expiresAt: Date | number): string {
  assertLogId(id);
  const exp = toSeconds(expiresAt);
  if (!Number.isFinite(exp) || exp < 0) throw new RangeError('expiresAt must be a valid time');
  return `${exp}.${mac(key, id, exp).toString('base64url')}`;
}

/** Checks `token` for `id` with a constant-time comparison; `now` is epoch milliseconds. */
export function verifyLogToken(key: string, id: string, token: unknown, now: number = Date.now()): LogTokenCheck {
  if (typeof token !== 'string' || token === '') return { valid: false, reason: 'missing' };
  const match = TOKEN_SHAPE.exec(token);
  if (!match) return { valid: false, reason: 'malformed' };
  const exp = Number(match[1]);
  // Compare the canonical text form, so no two spellings of one MAC are both accepted.
  const given = Buffer.from(match[2]!, 'ascii');
  const expected = Buffer.from(mac(key, id, exp).toString('base64url'), 'ascii');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { valid: false, reason: 'signature' };
  if (exp * 1000 <= now) return { valid: false, reason: 'expired' };
  return { valid: true, expiresAt: new Date(exp * 1000) };
}

/** `${baseUrl}/logs/<id>?token=...`, valid for `ttlHours` hours from `now`. */
export function logUrl(baseUrl: string, key: string, id: string, ttlHours: number, now: number = Date.now()): string {
  const token = signLogToken(key, id, now + ttlHours * 3_600_000);
  return `${baseUrl.replace(/\/+$/, '')}/logs/${encodeURIComponent(id)}?token=${encodeURIComponent(token)}`;
}
