import { createHash } from 'node:crypto';

const MAX_LABEL = 63;
const HASH_LEN = 8;

/** Lowercases and maps anything outside [a-z0-9-] to "-", collapsing runs and trimming the ends. */
function sanitizePart(part: string): string {
  return part
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The DNS label for an environment: `<repo>--<owner>` for production, `pr-<n>--<repo>--<owner>` for
 * previews. Always a valid DNS label (≤ 63 chars, [a-z0-9-], no leading or trailing hyphen).
 *
 * Collision-free: when no part needed sanitizing and the result fits, the label is the plain join,
 * which splits back into its parts unambiguously (parts never contain "--"). Otherwise the label is
 * cut to fit and ends in a hash of the exact identity, so two different repositories never share one.
 */
export function environmentLabel(owner: string, repo: string, environment: string): string {
  const envPart = environment === 'production' ? [] : [environment];
  const raw = [...envPart, repo, owner];
  const parts = raw.map(sanitizePart);
  const joined = parts.join('--');
  const lossless = parts.every((p, i) => p.length > 0 && p === raw[i]!.toLowerCase());
  if (lossless && joined.length <= MAX_LABEL) return joined;
  const identity = `${owner.toLowerCase()}/${repo.toLowerCase()}@${environment}`;
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, HASH_LEN);
  const head = joined.replace(/^-+/, '').slice(0, MAX_LABEL - HASH_LEN - 1).replace(/-+$/, '');
  return head ? `${head}-${hash}` : `h-${hash}`;
}

/** The full preview/production hostname under PREVIEW_DOMAIN. */
export function environmentHostname(owner: string, repo: string, environment: string, domain: string): string {
  return `${environmentLabel(owner, repo, environment)}.${domain.toLowerCase()}`;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const isDnsLabel = (label: string): boolean => DNS_LABEL.test(label);
