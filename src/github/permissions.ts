import type { GitHubClient } from './client.js';

const WRITERS = new Set(['admin', 'maintain', 'write']);

/** True when `username` may push to the repository (admin, maintain or write). */
export async function canWrite(octokit: GitHubClient, owner: string, repo: string, username: string): Promise<boolean> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
    return WRITERS.has(data.permission) || WRITERS.has((data as { role_name?: string }).role_name ?? '');
  } catch (error) {
    if ((error as { status?: number }).status === 404) return false;
    throw error;
  }
}

/** Reacts to a comment: a visible acknowledgement (or a polite refusal) of a slash command. */
export async function react(octokit: GitHubClient, owner: string, repo: string, commentId: number, content: 'rocket' | 'confused' | 'eyes'): Promise<void> {
  await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: commentId, content });
}
