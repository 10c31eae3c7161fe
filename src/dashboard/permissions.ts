import type { GitHubUser, RepositoryPermissions, UserRepository } from './github-user.js';

/** What a user may do on a repository in the dashboard. */
export type AccessLevel = 'read' | 'write' | 'admin';

/** Redeploy, rollback and destroying a preview need write (push); secrets need admin. */
export type DashboardAction = 'redeploy' | 'rollback' | 'destroy' | 'secrets';

export const REQUIRED_LEVEL: Record<DashboardAction, AccessLevel> = { redeploy: 'write', rollback: 'write', destroy: 'write', secrets: 'admin' };

const RANK: Record<AccessLevel, number> = { read: 1, write: 2, admin: 3 };

export function levelOf(permissions: RepositoryPermissions | undefined): AccessLevel | undefined {
  if (!permissions) return undefined;
  if (permissions.admin) return 'admin';
  if (permissions.push || permissions.maintain) return 'write';
  if (permissions.pull || permissions.triage) return 'read';
  return undefined;
}

export const allows = (level: AccessLevel | undefined, needed: AccessLevel): boolean => level !== undefined && RANK[level] >= RANK[needed];

/**
 * The repository `owner/repo` as the user reaches it through the app's installations, or
 * undefined (a nonexistent repository and one they cannot see answer the same).
 */
export async function findUserRepository(user: GitHubUser, owner: string, repo: string): Promise<UserRepository | undefined> {
  const wanted = `${owner}/${repo}`.toLowerCase();
  for (const installation of await user.installations()) {
    const found = (await user.installationRepositories(installation.id)).find((r) => r.fullName.toLowerCase() === wanted);
    if (found) return found;
  }
  return undefined;
}

/** The user's level on the repository, asked from GitHub now (for an action: at the time of the action). */
export async function currentLevel(user: GitHubUser, repository: Pick<UserRepository, 'owner' | 'repo'>): Promise<AccessLevel | undefined> {
  return levelOf(await user.permissions(repository.owner, repository.repo));
}
