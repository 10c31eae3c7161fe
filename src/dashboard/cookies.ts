import type { IncomingMessage } from 'node:http';

/** The cookies of a request, by name (first value wins; malformed pairs are skipped). */
export function readCookies(req: Pick<IncomingMessage, 'headers'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (out.has(name)) continue;
    try {
      out.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // not a cookie we set
    }
  }
  return out;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  secure: boolean;
}

/** A Set-Cookie value: always HttpOnly, SameSite=Lax, Path=/; Secure when the dashboard is served over https. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${Math.max(0, Math.floor(options.maxAge))}`];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Cookie names: the `__Host-` prefix (Secure, Path=/, no Domain, enforced by browsers) when served over https. */
export function cookieNames(secure: boolean): { session: string; oauth: string } {
  const prefix = secure ? '__Host-' : '';
  return { session: `${prefix}hv_session`, oauth: `${prefix}hv_oauth` };
}
