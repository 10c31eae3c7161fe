import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/** Constant-time string comparison (over SHA-256 digests, so neither content nor length leaks through timing). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The CSRF token a state-changing request carries: the `_csrf` form field or the `X-CSRF-Token` header. */
export function submittedToken(req: Request): string | undefined {
  const header = req.headers['x-csrf-token'];
  if (typeof header === 'string') return header;
  const field = (req.body as Record<string, unknown> | undefined)?._csrf;
  return typeof field === 'string' ? field : undefined;
}

/** True when the request carries the session's CSRF token (compared in constant time). */
export function csrfValid(req: Request, sessionToken: string): boolean {
  const token = submittedToken(req);
  return token !== undefined && token.length > 0 && safeEqual(token, sessionToken);
}
