/**
 * CORS per the security guidelines: exact-match whitelist, never `*`, never a reflected origin,
 * credentials allowed, `Vary: Origin` always. Requests without Origin pass; a disallowed Origin is
 * refused with 403 before any handler can read the log.
 */
import cors from 'cors';
import type { RequestHandler } from 'express';
import type { GetSafeOrigin } from './origins.js';

export function originGate(getSafeOrigin: GetSafeOrigin): RequestHandler {
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.headers.origin;
    if (origin !== undefined && getSafeOrigin(origin) === undefined) {
      res.status(403).type('text/plain').send('origin not allowed');
      return;
    }
    next();
  };
}

export function corsMiddleware(getSafeOrigin: GetSafeOrigin): RequestHandler {
  return cors({
    origin: (origin, callback) => callback(null, getSafeOrigin(origin) ?? false),
    credentials: true,
    methods: ['GET', 'HEAD', 'OPTIONS'],
    allowedHeaders: ['Last-Event-ID', 'Cache-Control'],
    maxAge: 600,
  });
}

/** CORS headers the SSE handler writes itself (it bypasses res.send), from the same getSafeOrigin. */
export function sseCorsHeaders(getSafeOrigin: GetSafeOrigin, origin: string | undefined): Record<string, string> {
  const safe = getSafeOrigin(origin);
  return safe ? { 'Access-Control-Allow-Origin': safe, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' } : { Vary: 'Origin' };
}
