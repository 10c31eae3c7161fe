import { randomBytes } from 'node:crypto';
import { repoId } from './webhooks.js';

export type UserAccess = 'admin' | 'write' | 'read' | 'none';

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

const PERMISSIONS: Record<Exclude<UserAccess, 'none'>, { admin: boolean; maintain: boolean; push: boolean; triage: boolean; pull: boolean }> = {
  admin: { admin: true, maintain: true, push: true, triage: true, pull: true },
  write: { admin: false, maintain: false, push: true, triage: true, pull: true },
  read: { admin: false, maintain: false, push: false, triage: false, pull: true },
};

/**
 * The GitHub double's users: the app's user authorization (OAuth web flow: /login/oauth/authorize
 * answers as if `signedIn` confirmed, /login/oauth/access_token turns the code into a `ghu_` token)
 * and what a user token sees (GET /user, /user/installations, /user/installations/{id}/repositories,
 * /repos/{o}/{r} with `permissions`). Access is per user and repository, changeable mid-test.
 */
export class GitHubDoubleUsers {
  clientId = 'Iv1.double';
  clientSecret = 'double-client-secret';
  /** Who "confirms" on GitHub's authorization page. */
  signedIn = 'octocat';
  /** Access of each user ("login" → "owner/repo" → level); missing: none. */
  readonly access = new Map<string, Map<string, UserAccess>>();
  /** Tokens handed out, by token. */
  readonly tokens = new Map<string, string>();
  /** Authorize requests received (their query), for assertions. */
  readonly authorizeRequests: URLSearchParams[] = [];
  private readonly codes = new Map<string, { login: string; redirectUri: string }>();

  /** `installations`: the double's repository → installation id map (the app's installations). */
  constructor(private readonly installations: Map<string, number>) {}

  grant(login: string, repository: string, level: UserAccess): void {
    if (!this.access.has(login)) this.access.set(login, new Map());
    this.access.get(login)!.set(repository, level);
  }

  levelOf(login: string, repository: string): UserAccess {
    for (const [name, level] of this.access.get(login) ?? []) if (name.toLowerCase() === repository.toLowerCase()) return level;
    return 'none';
  }

  /** A token for `login` without the browser flow (unit tests). */
  issueToken(login: string): string {
    const token = `ghu_${randomBytes(18).toString('hex')}`;
    this.tokens.set(token, login);
    return token;
  }

  private visible(login: string): string[] {
    return [...this.installations.keys()].filter((repository) => this.levelOf(login, repository) !== 'none');
  }

  private repoBody(full: string) {
    const [owner, name] = full.split('/') as [string, string];
    return { id: repoId(full), name, full_name: full, private: true, owner: { login: owner }};
  }

  /** Answers the routes above, or undefined to let the double go on. */
  handle(method: string, url: URL, body: any, authorization: string | undefined): Answer | undefined {
    const path = url.pathname;
    if (path === '/login/oauth/authorize' && method === 'GET') {
      this.authorizeRequests.push(url.searchParams);
      if (url.searchParams.get('client_id') !== this.clientId) return { status: 404, body: { message: 'unknown client_id' } };
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      const code = `ucode${randomBytes(8).toString('hex')}`;
      this.codes.set(code, { login: this.signedIn, redirectUri });
      const state = url.searchParams.get('state') ?? '';
      return { status: 302, headers: { location: `${redirectUri}?code=${code}&state=${encodeURIComponent(state)}` } };
    }
    if (path === '/login/oauth/access_token' && method === 'POST') {
      const found = this.codes.get(String(body?.code ?? ''));
      this.codes.delete(String(body?.code ?? ''));
      if (body?.client_id !== this.clientId || body?.client_secret !== this.clientSecret) return { status: 200, body: { error: 'incorrect_client_credentials' } };
      if (!found || (body?.redirect_uri && body.redirect_uri !== found.redirectUri)) return { status: 200, body: { error: 'bad_verification_code' } };
      return { status: 200, body: { access_token: this.issueToken(found.login), token_type: 'bearer', expires_in: 28800, scope: '' } };
    }
    const token = /^(?:token|bearer) (ghu_\w+)$/i.exec(authorization ?? '')?.[1];
    if (!path.startsWith('/api/v3/user') && !(token && /^\/api\/v3\/repos\/[^/]+\/[^/]+$/.test(path))) return undefined;
    const login = token ? this.tokens.get(token) : undefined;
    if (!login) return { status: 401, body: { message: 'Bad credentials' } };
    if (path === '/api/v3/user') return { status: 200, body: { login, id: repoId(`user:${login}`), type: 'User' } };
    const page = Number(url.searchParams.get('page') ?? '1');
    const perPage = Number(url.searchParams.get('per_page') ?? '30');
    const slice = <T>(all: T[]) => all.slice((page - 1) * perPage, page * perPage);
    if (path === '/api/v3/user/installations') {
      const ids = [...new Set(this.visible(login).map((r) => this.installations.get(r)!))].sort((a, b) => a - b);
      return { status: 200, body: { total_count: ids.length, installations: slice(ids).map((id) => ({ id, account: { login: `account${id}` }, app_id: 777 })) } };
    }
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/api\/v3\/user\/installations\/(\d+)\/repositories$/))) {
      const repos = this.visible(login).filter((r) => this.installations.get(r) === Number(m![1])).sort();
      return { status: 200, body: { total_count: repos.length, repositories: slice(repos).map((r) => this.repoBody(r)) } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+)\/([^/]+)$/))) {
      const full = `${m[1]}/${m[2]}`;
      const level = this.levelOf(login, full);
      if (level === 'none') return { status: 404, body: { message: 'Not Found' } };
      return { status: 200, body: { ...this.repoBody(full), permissions: PERMISSIONS[level] } };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }
}
