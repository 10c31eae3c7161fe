import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { SCOPES, SECRET_NAME, type SecretScope } from '../secrets/sealed-format.js';
import { currentSession, layoutUser, resolveRepository, type DashboardContext } from './context.js';
import { currentLevel } from './permissions.js';
import { formBody, permitted, requireSessionAndCsrf, signedInOf } from './post-guard.js';
import { repoPath } from './views/html.js';
import { renderSecretsPage } from './views/secrets-page.js';

const MAX_VALUE_BYTES = 64 * 1024;
const NOTICES: Record<string, string> = {
  set: 'Saved. It applies at the next deploy: press Redeploy for the scope below.',
  unset: 'Removed. It applies at the next deploy: press Redeploy for the scope below.',
  redeploy: 'Redeploy queued: every live environment of the scope runs its commit again with the current values.',
};

/** The secrets page: names per scope for readers; set and unset (values write-only) for admins, checked at the time of the change. */
export function secretsRoutes(ctx: DashboardContext): Router {
  const router = Router();

  router.get('/repos/:owner/:repo/secrets', async (req, res) => {
    const signedIn = await currentSession(ctx, req);
    if (!signedIn) return void res.redirect(303, '/');
    const repository = await resolveRepository(signedIn, req, res);
    if (!repository) return;
    const level = (await currentLevel(signedIn.user, repository)) ?? 'read';
    const secrets = ctx.secrets ? await ctx.secrets.list(repository.id, SCOPES) : undefined;
    const notice = typeof req.query.done === 'string' ? NOTICES[req.query.done] : undefined;
    res.type('html').send(renderSecretsPage({ user: layoutUser(signedIn), repository, level, ...(secrets ? { secrets } : {}), ...(notice ? { notice } : {}) }));
  });

  router.post('/repos/:owner/:repo/secrets', formBody, requireSessionAndCsrf(ctx), async (req, res) => {
    const signedIn = signedInOf(res);
    const repository = await resolveRepository(signedIn, req, res);
    if (!repository) return;
    if (!(await permitted(ctx, res, signedIn, repository, 'admin', 'secret change'))) return;
    if (!ctx.secrets) return void res.status(409).type('text').send('this server has no secret store (SEAL_PRIVATE_KEY)');
    const body = req.body as Record<string, unknown>;
    const op = String(body.op ?? '');
    const scope = String(body.scope ?? '') as SecretScope;
    const name = String(body.name ?? '');
    if (!SCOPES.includes(scope) || !SECRET_NAME.test(name) || name.length > 128) return void res.status(400).type('text').send('give a scope (production or previews) and an environment variable name');
    if (op === 'set') {
      const value = typeof body.value === 'string' ? body.value : '';
      if (value === '' || Buffer.byteLength(value) > MAX_VALUE_BYTES) return void res.status(400).type('text').send(`a value of 1 to ${MAX_VALUE_BYTES} bytes`);
      await ctx.secrets.set(repository.id, scope, name, value, `@${signedIn.session.login}`);
    } else if (op === 'unset') {
      await ctx.secrets.unset(repository.id, scope, name);
    } else {
      return void res.status(400).type('text').send('unknown operation');
    }
    ctx.logger.info({ login: signedIn.session.login, repository: repository.fullName, scope, name, op }, 'dashboard secret changed');
    res.redirect(303, `${repoPath(repository, '/secrets')}?done=${op}`);
  });
  // Redeploy a scope: write access (as for any redeploy), asked at the time of the press; the
  // worker asks again and skips fork previews (they get no secrets).
  router.post('/repos/:owner/:repo/secrets/redeploy', formBody, requireSessionAndCsrf(ctx), async (req, res) => {
    const signedIn = signedInOf(res);
    const repository = await resolveRepository(signedIn, req, res);
    if (!repository) return;
    if (!(await permitted(ctx, res, signedIn, repository, 'write', 'redeploy'))) return;
    const scope = String((req.body as Record<string, unknown>).scope ?? '') as SecretScope;
    if (!SCOPES.includes(scope)) return void res.status(400).type('text').send('give a scope: production or previews');
    const { jobId } = await ctx.queue.enqueueCommand({
      command: 'redeploy-scope', scope, actor: signedIn.session.login, installationId: repository.installationId, owner: repository.owner, repo: repository.repo,
      repository: repository.fullName, repositoryId: repository.id, deliveryId: `dashboard-${randomBytes(12).toString('hex')}`, enqueuedAt: Date.now(),
    });
    ctx.logger.info({ login: signedIn.session.login, repository: repository.fullName, scope, jobId }, 'dashboard redeploy of a secret scope queued');
    res.redirect(303, `${repoPath(repository, '/secrets')}?done=redeploy`);
  });
  return router;
}
