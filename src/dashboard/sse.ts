import { Router } from 'express';
import type { DeployRecord } from '../history/deploy-history.js';
import { sseCorsHeaders } from '../logs/cors-policy.js';
import type { GetSafeOrigin } from '../logs/origins.js';
import { currentSession, resolveRepository, type DashboardContext } from './context.js';
import { findUserRepository } from './permissions.js';

/** The fields a page shows: nothing else of a record leaves the server. */
function pageFields(r: DeployRecord): Partial<DeployRecord> {
  const { jobId, repository, environment, sha, trigger, rollback, image, outcome, title, url, logUrl, startedAt, finishedAt, buildMs, healthMs } = r;
  return { jobId, repository, environment, sha, trigger, rollback, image, outcome, title, url, logUrl, startedAt, finishedAt, buildMs, healthMs };
}

/**
 * GET /repos/:owner/:repo/events: the repository's deploy records as they change (`event: record`),
 * only to a session that can read the repository: checked at connect, the session again at every
 * heartbeat (signed out or expired, the stream ends) and the access every accessRecheckMs.
 */
export function sseRoutes(ctx: DashboardContext, getSafeOrigin: GetSafeOrigin): Router {
  const router = Router();
  router.get('/repos/:owner/:repo/events', async (req, res) => {
    const signedIn = await currentSession(ctx, req);
    if (!signedIn) return void res.status(401).type('text').send('sign in first');
    const repository = await resolveRepository(signedIn, req, res);
    if (!repository) return;
    let closed = false;
    let unsubscribe: (() => void) | undefined;
    let heartbeat: NodeJS.Timeout | undefined;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe?.();
      if (!res.writableEnded) res.end();
    };
    res.once('close', close);
    res.writeHead(200, {
      ...sseCorsHeaders(getSafeOrigin, req.headers.origin),
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    // Each heartbeat asks whether the session still lives; every accessRecheckMs it also asks GitHub
    // whether the user still reaches the repository (access taken away mid-stream ends it).
    let accessCheckedAt = Date.now();
    let beating = false;
    const beat = async () => {
      if (beating) return;
      beating = true;
      try {
        if (!(await ctx.sessions.get(signedIn.id))) return close();
        if (Date.now() - accessCheckedAt >= ctx.accessRecheckMs) {
          accessCheckedAt = Date.now();
          if (!(await findUserRepository(signedIn.user, repository.owner, repository.repo))) {
            ctx.logger.info({ login: signedIn.session.login, repository: repository.fullName }, 'dashboard live updates ended: no access any more');
            return close();
          }
        }
        if (!closed) res.write(': heartbeat\n\n');
      } catch (error) {
        ctx.logger.warn({ err: (error as Error).message }, 'dashboard live updates ended: the session or access check failed');
        close();
      } finally {
        beating = false;
      }
    };
    heartbeat = setInterval(() => void beat(), ctx.heartbeatMs);
    try {
      const off = await ctx.feed.subscribe(repository.fullName, (record) => {
        if (!closed) res.write(`event: record\ndata: ${JSON.stringify(pageFields(record))}\n\n`);
      });
      if (closed) off();
      else unsubscribe = off;
      res.write(': subscribed\n\n');
    } catch (error) {
      ctx.logger.warn({ err: (error as Error).message }, 'dashboard live updates unavailable');
      close();
    }
  });
  return router;
}
