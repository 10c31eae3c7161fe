import type { DeployJobData } from '../queue/job-types.js';

/** The fields of a push payload we read (a subset of @octokit/webhooks-types' PushEvent). */
export interface PushPayload {
  ref: string;
  after: string;
  deleted?: boolean;
  repository: { id?: number; name: string; full_name: string; default_branch: string; owner: { login?: string; name?: string | null } };
  installation?: { id: number };
}

export type PushDecision = { job: DeployJobData } | { ignored: string };

/**
 * Maps a push to a production deploy of exactly `after`, or says why it is ignored: branch
 * deletions, tag pushes and pushes to any branch but the default one.
 */
export function mapPush(deliveryId: string, payload: PushPayload, now = Date.now()): PushDecision {
  if (payload.deleted) return { ignored: 'branch deletion' };
  if (payload.ref.startsWith('refs/tags/')) return { ignored: 'tag push' };
  if (payload.ref !== `refs/heads/${payload.repository.default_branch}`) return { ignored: `push to ${payload.ref}, not the default branch` };
  if (!/^[0-9a-f]{40}$/.test(payload.after) || /^0+$/.test(payload.after)) return { ignored: 'no commit to deploy' };
  if (!payload.installation?.id) return { ignored: 'no installation in the payload' };
  const owner = payload.repository.owner.login ?? payload.repository.owner.name ?? payload.repository.full_name.split('/')[0]!;
  return {
    job: {
      deliveryId,
      installationId: payload.installation.id,
      owner,
      repo: payload.repository.name,
      repository: payload.repository.full_name,
      ...(payload.repository.id ? { repositoryId: payload.repository.id } : {}),
      sha: payload.after,
      ref: payload.ref,
      environment: 'production',
      enqueuedAt: now,
    },
  };
}
