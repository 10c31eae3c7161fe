import { Router } from 'express';
import type { DeployRecord } from '../history/deploy-history.js';
import { sseCorsHeaders } from '../logs/cors-policy.js';
import type { GetSafeOrigin } from '../logs/origins.js';
import { currentSession, resolveRepository, type DashboardContext } from './context.js';

/** The fields a page shows: nothing else of a record leaves the server. */
function pageFields(r: DeployRecord): Partial<DeployRecord> {
  const { jobId, repository, environment, sha, trigger, rollback, image, outcome, title, url, logUrl, startedAt, finishedAt, buildMs, healthMs } = r;
  return { jobId, repository, environment, sha, trigger, rollback, image, outcome, title, url, logUrl, startedAt, finishedAt, buildMs, healthMs };
}

/**
 * GET /repos/:owner/:repo/events: the repository's deploy records as they change (`event: record`),
 * only to a session that can read the repository (checked at connect, and the session again at
 * every heartbeat: signed out or expired, the stream ends).
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
    heartbeat = setInterval(() => {
      ctx.sessions.get(signedIn.id).then(
        (session) => (session ? res.write(': heartbeat\n\n') : close()),
        () => close(),
      );
    }, ctx.heartbeatMs);
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
