import type { GitHubEndpoints } from './github-endpoints.js';

/** A repository the user reaches through one of the app's installations. */
export interface UserRepository {
  id: number;
  owner: string;
  repo: string;
  /** owner/name as GitHub spells it. */
  fullName: string;
  installationId: number;
  private: boolean;
}

export interface RepositoryPermissions {
  admin: boolean;
  maintain?: boolean;
  push: boolean;
  triage?: boolean;
  pull: boolean;
}

export class GitHubUserError extends Error {
  override readonly name = 'GitHubUserError';
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

const PAGE = 100;
const MAX_PAGES = 20;

/**
 * GitHub API calls made with the signed-in user's token (GitHub App user authorization): who
 * they are, which of the app's installations and repositories they can see, and their permission
 * on a repository. Every call is fresh; nothing is cached across requests.
 */
export class GitHubUser {
  constructor(private readonly endpoints: GitHubEndpoints, private readonly token: string, private readonly fetchImpl: typeof fetch = fetch) {}

  private async get<T>(path: string): Promise<T> {
    const answer = await this.fetchImpl(`${this.endpoints.api}${path}`, {
      headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${this.token}`, 'x-github-api-version': '2022-11-28', 'user-agent': 'helvetia-dashboard' },
      signal: AbortSignal.timeout(10_000),
    });
    if (!answer.ok) throw new GitHubUserError(`GitHub answered ${answer.status} to GET ${path.split('?')[0]}`, answer.status);
    return (await answer.json()) as T;
  }

  async user(): Promise<{ login: string; id: number }> {
    const body = await this.get<{ login: string; id: number }>('/user');
    return { login: body.login, id: body.id };
  }

  /** The app's installations this user can access (GET /user/installations, every page). */
  async installations(): Promise<{ id: number; account: string }[]> {
    const out: { id: number; account: string }[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const body = await this.get<{ installations: { id: number; account?: { login?: string } | null }[] }>(`/user/installations?per_page=${PAGE}&page=${page}`);
      out.push(...body.installations.map((i) => ({ id: i.id, account: i.account?.login ?? '' })));
      if (body.installations.length < PAGE) break;
    }
    return out;
  }

  /** Repositories of one installation the user can access (every page). */
  async installationRepositories(installationId: number): Promise<UserRepository[]> {
    const out: UserRepository[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      type Repo = { id: number; name: string; full_name: string; private?: boolean; owner: { login: string } };
      const body = await this.get<{ repositories: Repo[] }>(`/user/installations/${installationId}/repositories?per_page=${PAGE}&page=${page}`);
      out.push(...body.repositories.map((r) => ({ id: r.id, owner: r.owner.login, repo: r.name, fullName: r.full_name, installationId, private: Boolean(r.private) })));
      if (body.repositories.length < PAGE) break;
    }
    return out;
  }

  /** Every repository the user reaches through the app's installations, sorted by name. */
  async repositories(): Promise<UserRepository[]> {
    const lists = await Promise.all((await this.installations()).map((i) => this.installationRepositories(i.id)));
    return lists.flat().sort((a, b) => a.fullName.localeCompare(b.fullName));
  }

  /** The user's permissions on a repository, asked now; undefined when GitHub says 404 (no access). */
  async permissions(owner: string, repo: string): Promise<RepositoryPermissions | undefined> {
    try {
      const body = await this.get<{ permissions?: RepositoryPermissions }>(`/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`);
      return body.permissions ?? { admin: false, push: false, pull: false };
    } catch (error) {
      if (error instanceof GitHubUserError && (error.status === 404 || error.status === 403)) return undefined;
      throw error;
    }
  }
}
