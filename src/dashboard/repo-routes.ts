import { Router, type Request, type Response } from 'express';
import { enqueueEnvironmentAction, ENVIRONMENT_ACTIONS, type EnvironmentAction } from './actions.js';
import { currentSession, layoutUser, resolveRepository, sendNotFound, type DashboardContext, type SignedIn } from './context.js';
import { environmentExists, environmentHistory, environmentRows } from './environment-data.js';
import { currentLevel, REQUIRED_LEVEL } from './permissions.js';
import { formBody, permitted, requireSessionAndCsrf, signedInOf } from './post-guard.js';
import { environmentPath } from './views/html.js';
import { renderEnvironmentsPage } from './views/environments-page.js';
import { renderHistoryPage } from './views/history-page.js';
import { renderRepositoriesPage, renderSignInPage } from './views/simple-pages.js';

const ENVIRONMENT = /^(production|pr-\d{1,9})$/;
const NOTICES: Record<string, string> = {
  redeploy: 'Redeploy queued: the worker checks your permission again and rebuilds.',
  rollback: 'Rollback queued: the worker checks your permission again and swaps to the kept image.',
  destroy: 'Destroy queued: the worker checks your permission again and removes the preview.',
};

/** Pages need a session; without one the browser goes to the sign-in page. */
async function pageSession(ctx: DashboardContext, req: Request, res: Response): Promise<SignedIn | undefined> {
  const signedIn = await currentSession(ctx, req);
  if (!signedIn) res.redirect(303, '/');
  return signedIn;
}

/** The repositories list, environments, an environment's history, and its actions. */
export function repoRoutes(ctx: DashboardContext): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const signedIn = await currentSession(ctx, req);
    if (!signedIn) return void res.type('html').send(renderSignInPage());
    res.type('html').send(renderRepositoriesPage(layoutUser(signedIn), await signedIn.user.repositories()));
  });

  router.get('/repos/:owner/:repo', async (req, res) => {
    const signedIn = await pageSession(ctx, req, res);
    const repository = signedIn && (await resolveRepository(signedIn, req, res));
    if (!signedIn || !repository) return;
    const level = (await currentLevel(signedIn.user, repository)) ?? 'read';
    const rows = await environmentRows(ctx.data, repository.fullName);
    res.type('html').send(renderEnvironmentsPage({ user: layoutUser(signedIn), web: ctx.endpoints.web, repository, level, rows }));
  });

  router.get('/repos/:owner/:repo/environments/:environment', async (req, res) => {
    const signedIn = await pageSession(ctx, req, res);
    const repository = signedIn && (await resolveRepository(signedIn, req, res));
    if (!signedIn || !repository) return;
    const environment = String(req.params.environment);
    if (!ENVIRONMENT.test(environment) || !(await environmentExists(ctx.data, repository.fullName, environment))) return sendNotFound(res, signedIn);
    const level = (await currentLevel(signedIn.user, repository)) ?? 'read';
    const history = await environmentHistory(ctx.data, repository.fullName, environment);
    const notice = typeof req.query.queued === 'string' ? NOTICES[req.query.queued] : undefined;
    res.type('html').send(renderHistoryPage({ user: layoutUser(signedIn), web: ctx.endpoints.web, repository, environment, level, ...history, ...(notice ? { notice } : {}) }));
  });

  router.post('/repos/:owner/:repo/environments/:environment/actions', formBody, requireSessionAndCsrf(ctx), async (req, res) => {
    const signedIn = signedInOf(res);
    const repository = await resolveRepository(signedIn, req, res);
    if (!repository) return;
    const environment = String(req.params.environment);
    if (!ENVIRONMENT.test(environment) || !(await environmentExists(ctx.data, repository.fullName, environment))) return sendNotFound(res, signedIn);
    const body = req.body as Record<string, unknown>;
    const action = String(body.action ?? '') as EnvironmentAction;
    if (!ENVIRONMENT_ACTIONS.includes(action)) return void res.status(400).type('text').send('unknown action');
    if (!(await permitted(ctx, res, signedIn, repository, REQUIRED_LEVEL[action], action, { environment, action }))) return;
    const result = await enqueueEnvironmentAction(
      { queue: ctx.queue, data: ctx.data },
      { repository, environment, action, sha: String(body.sha ?? ''), actor: signedIn.session.login },
    );
    if (!result.ok) return void res.status(result.status).type('text').send(result.message);
    ctx.logger.info({ login: signedIn.session.login, repository: repository.fullName, environment, action, jobId: result.jobId }, 'dashboard action queued');
    res.redirect(303, `${environmentPath(repository, environment)}?queued=${action}`);
  });
  return router;
}
