import type { Request, Response } from 'express';
import type { Logger } from '../logger.js';
import type { DeployQueue } from '../queue/deploy-queue.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { readCookies } from './cookies.js';
import type { DeployData } from './environment-data.js';
import type { GitHubEndpoints } from './github-endpoints.js';
import { GitHubUser, type UserRepository } from './github-user.js';
import type { HistoryFeed } from './history-feed.js';
import type { OAuthClient } from './oauth.js';
import { findUserRepository } from './permissions.js';
import type { Session, SessionStore } from './session-store.js';
import { renderMessagePage } from './views/simple-pages.js';

/** Everything the dashboard's routes use; built once by createDashboard, passed in (no module state). */
export interface DashboardContext {
  sessions: SessionStore;
  data: DeployData;
  queue: Pick<DeployQueue, 'enqueueCommand'>;
  /** Undefined without SEAL_PRIVATE_KEY. */
  secrets?: SecretStore;
  feed: HistoryFeed;
  endpoints: GitHubEndpoints;
  oauth: OAuthClient;
  /** Secure cookies (APP_BASE_URL is https). */
  secure: boolean;
  cookies: { session: string; oauth: string };
  logger: Logger;
  fetchImpl: typeof fetch;
  heartbeatMs: number;
  /** How often an open live-update stream asks GitHub again whether the user still reaches the repository. */
  accessRecheckMs: number;
}

export interface SignedIn {
  id: string;
  session: Session;
  user: GitHubUser;
}

/** The request's session, if it has a live one. */
export async function currentSession(ctx: DashboardContext, req: Request): Promise<SignedIn | undefined> {
  const id = readCookies(req).get(ctx.cookies.session);
  const session = await ctx.sessions.get(id);
  if (!id || !session) return undefined;
  return { id, session, user: new GitHubUser(ctx.endpoints, session.token, ctx.fetchImpl) };
}

export const layoutUser = (s: SignedIn) => ({ login: s.session.login, csrf: s.session.csrf });

/** The one answer for a repository that does not exist and one the user cannot see. */
export function sendNotFound(res: Response, signedIn?: SignedIn): void {
  res.status(404).type('html').send(renderMessagePage('Not found', 'There is no repository here that you can see.', signedIn && layoutUser(signedIn)));
}

/** The repository named by :owner/:repo as the user reaches it through the app's installations; answers 404 itself otherwise. */
export async function resolveRepository(signedIn: SignedIn, req: Request, res: Response): Promise<UserRepository | undefined> {
  const owner = String(req.params.owner ?? '');
  const repo = String(req.params.repo ?? '');
  const valid = /^[A-Za-z0-9_.-]{1,100}$/;
  const found = valid.test(owner) && valid.test(repo) ? await findUserRepository(signedIn.user, owner, repo) : undefined;
  if (!found) sendNotFound(res, signedIn);
  return found;
}
