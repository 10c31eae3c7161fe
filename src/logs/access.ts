/**
 * Token check for the three log routes. The token is checked before the log is looked up, so an
 * unknown id and a known id answer the same to anyone without a valid link.
 */
import type { Request, Response } from 'express';
import { isValidLogId } from './log-id.js';
import { verifyLogToken } from './log-token.js';

export type AccessResult = { ok: true; id: string } | { ok: false };

export function checkAccess(signingKey: string, id: string, req: Request, res: Response): AccessResult {
  const token = typeof req.query.token === 'string' ? req.query.token : undefined;
  const check = verifyLogToken(signingKey, id, token);
  if (!check.valid) {
    if (check.reason === 'missing') res.status(401).type('text/plain').send('a log link token is required');
    else res.status(403).type('text/plain').send('this log link is invalid or has expired');
    return { ok: false };
  }
  // A valid signature implies a valid id (tokens are only signed for valid ids), but check anyway.
  if (!isValidLogId(id)) {
    sendNotFound(res);
    return { ok: false };
  }
  return { ok: true, id };
}

export function sendNotFound(res: Response): void {
  res.status(404).type('text/plain').send('log not found');
}
