/**
 * Origin handling for CORS: parsing configured origins strictly, and the one `getSafeOrigin`
 * used by both the cors middleware and the SSE handler.
 */

/** Returns the normalised origin, or an error message when `entry` is not exactly an http(s) origin. */
export function parseOrigin(entry: string): { origin: string } | { error: string } {
  if (entry === '*' || entry.includes('*')) return { error: `wildcard "${entry}" is not allowed; list exact origins` };
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return { error: `"${entry}" is not a valid origin (expected scheme://host[:port])` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { error: `"${entry}" must use http:// or https://` };
  }
  if (url.origin.toLowerCase() !== entry.toLowerCase()) {
    return { error: `"${entry}" is not a bare origin (no path, query, credentials or default port; did you mean ${url.origin}?)` };
  }
  return { origin: url.origin };
}

/** Maps a request's Origin header to itself when whitelisted, otherwise undefined. Never `*`, never a reflection. */
export type GetSafeOrigin = (origin: string | undefined) => string | undefined;

export function createGetSafeOrigin(allowedOrigins: readonly string[]): GetSafeOrigin {
  const allowed = new Map<string, string>();
  for (const entry of allowedOrigins) {
    const parsed = parseOrigin(entry);
    if ('origin' in parsed) allowed.set(parsed.origin, parsed.origin);
  }
  // The value returned is always the configured string, never the request's own bytes.
  return (origin) => (origin === undefined ? undefined : allowed.get(origin));
}
