/**
 * Secret redaction. GitHub tokens are recognised by shape everywhere; per-log secret values are
 * kept only in this process's memory (never written to Redis) and replaced by `***`.
 */
import { stripSgr } from './sanitize-line.js';

export const REDACTED = '***';

/** ghp_/gho_/ghu_/ghs_/ghr_ and fine-grained github_pat_ tokens, not preceded by a letter or digit. */
const GITHUB_TOKEN = /(?<![A-Za-z0-9])(?:gh[pousr]_|github_pat_)[A-Za-z0-9_]{8,}/g;

/** Secret values shorter than this are not redacted (they would mangle ordinary text). */
export const MIN_SECRET_LENGTH = 4;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Builds one alternation of secret values, longest first so overlapping secrets are fully hidden. */
export function compileSecrets(secrets: Iterable<string>): RegExp | undefined {
  const values = [...new Set([...secrets].filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))];
  if (values.length === 0) return undefined;
  values.sort((a, b) => b.length - a.length);
  return new RegExp(values.map(escapeRegExp).join('|'), 'g');
}

/** Replaces GitHub-token-shaped strings and the given secrets with `***`. */
export function redactText(text: string, secrets?: RegExp): string {
  let out = text.replace(GITHUB_TOKEN, REDACTED);
  if (secrets) out = out.replace(secrets, REDACTED);
  return out;
}

/**
 * Redacts one line that may carry SGR colour codes. If a secret only appears once the colour codes
 * are removed (someone split it with ESC[m), the colour codes of that line are dropped too.
 */
export function redactLine(line: string, secrets?: RegExp): string {
  const redacted = redactText(line, secrets);
  if (!redacted.includes('\x1b')) return redacted;
  const plain = stripSgr(redacted);
  const plainRedacted = redactText(plain, secrets);
  return plainRedacted === plain ? redacted : plainRedacted;
}
