import { createHash } from 'node:crypto';
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { corsMiddleware, originGate } from '../logs/cors-policy.js';
import type { GetSafeOrigin } from '../logs/origins.js';
import { DASHBOARD_SCRIPT } from './assets/dashboard-script.js';
import { DASHBOARD_STYLE } from './assets/dashboard-style.js';
import { authRoutes } from './auth-routes.js';
import type { DashboardContext } from './context.js';
import { GitHubUserError } from './github-user.js';
import { OAuthError } from './oauth.js';
import { repoRoutes } from './repo-routes.js';
import { secretsRoutes } from './secrets-routes.js';
import { sseRoutes } from './sse.js';
import { renderMessagePage, renderSignInPage } from './views/simple-pages.js';

/** No inline script or style: the dashboard's JS and CSS come from /dashboard/_assets. Forms post to this origin only. */
export const DASHBOARD_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' data:",
  "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // same-origin, not no-referrer: with no-referrer, Chromium sends `Origin: null` on the dashboard's own form POSTs.
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
  next();
};

function asset(body: string, type: string): (req: Request, res: Response) => void {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return (req, res) => {
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'public, max-age=300, must-revalidate');
    if (req.headers['if-none-match'] === etag) return void res.status(304).end();
    res.type(type).send(body);
  };
}

/** The paths the dashboard owns; everything else (webhooks, /logs, /healthz…) passes by untouched. */
const PATHS = ['/auth', '/repos', '/dashboard'];

/** The dashboard's routes: security headers and the CORS policy of the security guidelines (allowlist, no reflection) on each. */
export function createDashboardRouter(ctx: DashboardContext, getSafeOrigin: GetSafeOrigin): Router {
  const router = Router({ strict: true });
  const guard = [securityHeaders, originGate(getSafeOrigin), corsMiddleware(getSafeOrigin)];
  router.use(PATHS, ...guard);
  router.get('/', ...guard);
  router.get('/dashboard/_assets/dashboard.js', asset(DASHBOARD_SCRIPT, 'application/javascript; charset=utf-8'));
  router.get('/dashboard/_assets/dashboard.css', asset(DASHBOARD_STYLE, 'text/css; charset=utf-8'));
  router.use(authRoutes(ctx), repoRoutes(ctx), secretsRoutes(ctx), sseRoutes(ctx, getSafeOrigin));

  const onError: ErrorRequestHandler = (error: Error, req, res, next) => {
    if (!PATHS.some((p) => req.path.startsWith(p)) && req.path !== '/') return next(error);
    if (res.headersSent) return void res.destroy();
    if (error instanceof GitHubUserError && error.status === 401) {
      // The GitHub token expired or was revoked: sign in again.
      return void res.status(401).type('html').send(renderSignInPage('Your GitHub sign-in expired. Sign in again.'));
    }
    const github = error instanceof GitHubUserError || error instanceof OAuthError;
    ctx.logger.error({ err: error.message, path: req.path }, 'dashboard request failed');
    res.status(github ? 502 : 500).type('html').send(renderMessagePage(github ? 'GitHub did not answer' : 'Something went wrong', github ? 'GitHub did not answer as expected; try again in a moment.' : 'The request failed; try again.'));
  };
  router.use(onError);
  return router;
}
