import { Router } from 'express';
import { currentSession, type DashboardContext } from './context.js';
import { readCookies, serializeCookie } from './cookies.js';
import { csrfValid } from './csrf.js';
import { GitHubUser } from './github-user.js';
import { authorizeUrl, exchangeCode } from './oauth.js';
import { formBody } from './post-guard.js';
import { renderSignInPage } from './views/simple-pages.js';

/**
 * Sign-in with GitHub (the app's user authorization, OAuth web flow): /auth/login sends the browser
 * to GitHub with a one-time state bound to a cookie; /auth/callback checks both, exchanges the code,
 * and starts a new session (a new id: any session the browser had is destroyed). /auth/logout ends it.
 */
export function authRoutes(ctx: DashboardContext): Router {
  const router = Router();
  const cookie = (name: string, value: string, maxAge: number) => serializeCookie(name, value, { maxAge, secure: ctx.secure });

  router.get('/auth/login', async (_req, res) => {
    const { state, binding, maxAgeSeconds } = await ctx.sessions.createState();
    res.append('Set-Cookie', cookie(ctx.cookies.oauth, binding, maxAgeSeconds));
    res.redirect(302, authorizeUrl(ctx.endpoints, ctx.oauth, state));
  });

  router.get('/auth/callback', async (req, res) => {
    const cookies = readCookies(req);
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const code = typeof req.query.code === 'string' ? req.query.code : '';
    res.append('Set-Cookie', cookie(ctx.cookies.oauth, '', 0));
    const valid = await ctx.sessions.consumeState(state, cookies.get(ctx.cookies.oauth));
    if (!valid) {
      ctx.logger.warn('dashboard sign-in refused: unknown, used or foreign state');
      return void res.status(400).type('html').send(renderSignInPage('This sign-in link is not valid (unknown or used state). Sign in again.'));
    }
    if (!code || code.length > 200) return void res.status(400).type('html').send(renderSignInPage('GitHub did not authorize the sign-in.'));
    const token = await exchangeCode(ctx.endpoints, ctx.oauth, code, ctx.fetchImpl);
    const who = await new GitHubUser(ctx.endpoints, token, ctx.fetchImpl).user();
    await ctx.sessions.destroy(cookies.get(ctx.cookies.session));
    const { id } = await ctx.sessions.create({ login: who.login, userId: who.id, token });
    res.append('Set-Cookie', cookie(ctx.cookies.session, id, ctx.sessions.ttlMs / 1000));
    ctx.logger.info({ login: who.login }, 'dashboard sign-in');
    res.redirect(303, '/');
  });

  router.post('/auth/logout', formBody, async (req, res) => {
    const signedIn = await currentSession(ctx, req);
    if (!signedIn || !csrfValid(req, signedIn.session.csrf)) return void res.status(403).type('text').send('forbidden');
    await ctx.sessions.destroy(signedIn.id);
    res.append('Set-Cookie', cookie(ctx.cookies.session, '', 0));
    res.redirect(303, '/');
  });
  return router;
}
