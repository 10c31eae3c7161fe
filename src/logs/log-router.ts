/**
 * Express routes of the build log: viewer page, plain text, SSE stream and the viewer's assets.
 * Mount at the app root: `app.use(createLogRouter({ store, config, logger }))`.
 */
import { createHash } from 'node:crypto';
import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import type { Logger } from '../logger.js';
import { checkAccess, sendNotFound } from './access.js';
import type { BuildLogStore } from './build-log-store.js';
import { corsMiddleware, originGate, sseCorsHeaders } from './cors-policy.js';
import type { LogConfig } from './log-config.js';
import { createGetSafeOrigin } from './origins.js';
import { securityHeaders } from './security-headers.js';
import { runSseSession } from './sse-session.js';
import { sendTextLog } from './text-export.js';
import { renderViewerPage } from './viewer/viewer-page.js';
import { VIEWER_SCRIPT } from './viewer/viewer-script.js';
import { VIEWER_STYLE } from './viewer/viewer-style.js';

export interface LogRouterOptions {
  store: BuildLogStore;
  config: Pick<LogConfig, 'LOG_SIGNING_KEY' | 'ALLOWED_ORIGINS'>;
  logger: Logger;
  /** SSE comment-line interval; default 15 s. */
  heartbeatMs?: number;
}

function asset(body: string, type: string): (req: Request, res: Response) => void {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return (req, res) => {
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'public, max-age=300, must-revalidate');
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    res.type(type).send(body);
  };
}

export function createLogRouter(options: LogRouterOptions): Router {
  const { store, config } = options;
  const logger = options.logger.child({ component: 'build-log-http' });
  const getSafeOrigin = createGetSafeOrigin(config.ALLOWED_ORIGINS);
  const router = Router({ strict: true });

  router.use('/logs', securityHeaders, originGate(getSafeOrigin), corsMiddleware(getSafeOrigin));
  router.get('/logs/_assets/viewer.js', asset(VIEWER_SCRIPT, 'application/javascript; charset=utf-8'));
  router.get('/logs/_assets/viewer.css', asset(VIEWER_STYLE, 'text/css; charset=utf-8'));

  router.get('/logs/:id/stream', async (req, res) => {
    const access = checkAccess(config.LOG_SIGNING_KEY, req.params.id, req, res);
    if (!access.ok) return;
    if (!(await store.getMeta(access.id))) return sendNotFound(res);
    await runSseSession(req, res, {
      store,
      id: access.id,
      logger,
      heartbeatMs: options.heartbeatMs ?? 15_000,
      headers: sseCorsHeaders(getSafeOrigin, req.headers.origin),
    });
  });

  router.get('/logs/:file', async (req, res) => {
    const asText = req.params.file.endsWith('.txt');
    const id = asText ? req.params.file.slice(0, -4) : req.params.file;
    const access = checkAccess(config.LOG_SIGNING_KEY, id, req, res);
    if (!access.ok) return;
    const meta = await store.getMeta(access.id);
    if (!meta) return sendNotFound(res);
    if (asText) return sendTextLog(res, store, access.id, meta);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(renderViewerPage(access.id, meta));
  });

  const onError: ErrorRequestHandler = (error: Error, _req, res, _next) => {
    logger.error({ err: error.message }, 'build log request failed');
    if (res.headersSent) res.destroy();
    else res.status(500).type('text/plain').send('internal error');
  };
  router.use('/logs', onError);
  return router;
}
