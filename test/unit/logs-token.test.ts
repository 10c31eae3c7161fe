import { describe, expect, it } from 'vitest';
import { InvalidLogIdError } from '../../src/logs/errors.js';
import { logUrl, signLogToken, verifyLogToken } from '../../src/logs/log-token.js';

const KEY = 'a-signing-key-of-at-least-32-characters!';
const NOW = Date.UTC(2030, 0, 1);
const LATER = NOW + 3_600_000;

describe('log tokens', () => {
  it('verifies a token for its id until it expires', () => {
    const token = signLogToken(KEY, 'build-1', LATER);
    expect(verifyLogToken(KEY, 'build-1', token, NOW)).toEqual({ valid: true, expiresAt: new Date(LATER) });
    expect(verifyLogToken(KEY, 'build-1', token, LATER)).toEqual({ valid: false, reason: 'expired' });
    expect(verifyLogToken(KEY, 'build-1', token, LATER + 1)).toEqual({ valid: false, reason: 'expired' });
  });

  it('refuses a token for another id', () => {
    const token = signLogToken(KEY, 'build-1', LATER);
    expect(verifyLogToken(KEY, 'build-2', token, NOW)).toEqual({ valid: false, reason: 'signature' });
  });

  it('refuses a token of another deployment (other key)', () => {
    const token = signLogToken(`${KEY}-other`, 'build-1', LATER);
    expect(verifyLogToken(KEY, 'build-1', token, NOW)).toEqual({ valid: false, reason: 'signature' });
  });

  it('refuses an extended expiry and every single-character change of the signature', () => {
    const token = signLogToken(KEY, 'build-1', LATER);
    const [exp, sig] = token.split('.') as [string, string];
    expect(verifyLogToken(KEY, 'build-1', `${Number(exp) + 86_400}.${sig}`, NOW).valid).toBe(false);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < sig.length; i++) {
      const other = alphabet[(alphabet.indexOf(sig[i]!) + 1) % alphabet.length]!;
      const tampered = `${exp}.${sig.slice(0, i)}${other}${sig.slice(i + 1)}`;
      expect(verifyLogToken(KEY, 'build-1', tampered, NOW).valid, `position ${i}`).toBe(false);
    }
  });

  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    [['a', 'b'], 'missing'],
    ['garbage', 'malformed'],
    ['123.short', 'malformed'],
  ])('classifies %j as %s', (token, reason) => {
    expect(verifyLogToken(KEY, 'build-1', token, NOW)).toEqual({ valid: false, reason });
  });

  it('will not sign an id that cannot be used in a URL', () => {
    expect(() => signLogToken(KEY, '../etc', LATER)).toThrow(InvalidLogIdError);
    expect(() => signLogToken(KEY, 'a.txt', LATER)).toThrow(InvalidLogIdError);
  });

  it('logUrl links to the viewer with a token valid for ttl hours', () => {
    const url = new URL(logUrl('https://helvetia.example.com/', KEY, 'build-9', 2, NOW));
    expect(`${url.origin}${url.pathname}`).toBe('https://helvetia.example.com/logs/build-9');
    const token = url.searchParams.get('token');
    expect(verifyLogToken(KEY, 'build-9', token, NOW + 2 * 3_600_000 - 1000).valid).toBe(true);
    expect(verifyLogToken(KEY, 'build-9', token, NOW + 2 * 3_600_000).valid).toBe(false);
  });
});
