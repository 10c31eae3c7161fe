import express, { type NextFunction, type Request, type Response } from 'express';
import { currentSession, type DashboardContext, type SignedIn } from './context.js';
import { csrfValid } from './csrf.js';
import type { UserRepository } from './github-user.js';
import { allows, currentLevel, type AccessLevel } from './permissions.js';

/** Form bodies of state-changing requests: small, urlencoded only. */
export const formBody = express.urlencoded({ extended: false, limit: '80kb', parameterLimit: 20 });

/**
 * Every state-changing request: a live session and its CSRF token (constant-time compare), or 403
 * before anything else happens. The signed-in user is left in res.locals.signedIn.
 */
export function requireSessionAndCsrf(ctx: DashboardContext) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const signedIn = await currentSession(ctx, req);
    if (!signedIn) return void res.status(403).type('text').send('sign in first');
    if (!csrfValid(req, signedIn.session.csrf)) {
      ctx.logger.warn({ login: signedIn.session.login, path: req.path }, 'dashboard request refused: missing or wrong CSRF token');
      return void res.status(403).type('text').send('invalid or missing CSRF token');
    }
    res.locals.signedIn = signedIn;
    next();
  };
}

export const signedInOf = (res: Response): SignedIn => res.locals.signedIn as SignedIn;

/**
 * The user's permission on the repository, asked from GitHub now (a permission taken away after
 * the page loaded counts): true when it reaches `needed`; otherwise logs `what` refused and answers
 * 403 "<what> needs <needed> access to <repository>".
 */
export async function permitted(ctx: DashboardContext, res: Response, signedIn: SignedIn, repository: UserRepository, needed: AccessLevel, what: string, log: Record<string, unknown> = {}): Promise<boolean> {
  const level = await currentLevel(signedIn.user, repository);
  if (allows(level, needed)) return true;
  ctx.logger.warn({ login: signedIn.session.login, repository: repository.fullName, ...log, level: level ?? 'none' }, `dashboard ${what} refused: permission`);
  res.status(403).type('text').send(`${what} needs ${needed} access to ${repository.fullName}`);
  return false;
}
