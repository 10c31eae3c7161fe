import type { Redis } from 'ioredis';
import type { GitHubClient } from './client.js';

/** Hidden marker that identifies the bot's one comment on a pull request. */
export const COMMENT_MARKER = '<!-- helvetia:preview -->';

export interface PreviewStatus {
  state: 'building' | 'deployed' | 'failed' | 'cancelled' | 'removed' | 'awaiting approval' | 'disabled';
  sha: string;
  url?: string;
  logUrl?: string;
  buildSeconds?: number;
  /** The environment's companion services and their state. */
  services?: string;
  note?: string;
}

const ICON: Record<PreviewStatus['state'], string> = {
  building: '🔨', deployed: '✅', failed: '❌', cancelled: '⏭️', removed: '🧹', 'awaiting approval': '✋', disabled: '⏸️',
};

export function renderPreviewComment(s: PreviewStatus): string {
  const rows: [string, string][] = [
    ['Status', `${ICON[s.state]} ${s.state}`],
    ['Commit', `\`${s.sha.slice(0, 12)}\``],
  ];
  if (s.url && s.state !== 'removed') rows.push(['Preview', s.url]);
  if (s.buildSeconds !== undefined) rows.push(['Build time', `${s.buildSeconds.toFixed(1)}s`]);
  if (s.services) rows.push(['Services', s.services]);
  if (s.logUrl) rows.push(['Log', `[build log](${s.logUrl})`]);
  const table = ['| | |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  return `${COMMENT_MARKER}\n### helvetia preview\n\n${table}\n${s.note ? `\n${s.note}\n` : ''}`;
}

/**
 * Keeps exactly one bot comment per pull request, edited in place: remembered in Redis, found by
 * its marker when Redis forgot, created only when there is none.
 */
export async function upsertPreviewComment(
  octokit: GitHubClient,
  redis: Redis,
  prefix: string,
  target: { owner: string; repo: string; pullRequest: number },
  body: string,
): Promise<number> {
  const key = `${prefix}:comment:${target.owner}/${target.repo}#${target.pullRequest}`;
  const ref = { owner: target.owner, repo: target.repo };
  let id = Number(await redis.get(key)) || undefined;
  if (id === undefined) {
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...ref, issue_number: target.pullRequest, per_page: 100 });
    id = comments.find((c) => c.body?.includes(COMMENT_MARKER))?.id;
  }
  if (id !== undefined) {
    try {
      await octokit.rest.issues.updateComment({ ...ref, comment_id: id, body });
      await redis.set(key, String(id));
      return id;
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
    }
  }
  const { data } = await octokit.rest.issues.createComment({ ...ref, issue_number: target.pullRequest, body });
  await redis.set(key, String(data.id));
  return data.id;
}
