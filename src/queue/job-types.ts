export const DEPLOY_QUEUE = 'helvetia-deploy';
export const ANNOUNCE_QUEUE = 'helvetia-announce';

/** What a deploy job carries through Redis. Never a token or any other secret. */
export interface DeployJobData {
  deliveryId: string;
  installationId: number;
  owner: string;
  repo: string;
  /** owner/name */
  repository: string;
  sha: string;
  /** refs/heads/... the push was to, for the summary. */
  ref: string;
  environment: string;
  /** Set for pull request previews. */
  pullRequest?: number;
  enqueuedAt: number;
}

/** Return value of the announce job: the queued check run it created. */
export interface AnnounceResult {
  checkRunId: number;
}

/** A BullMQ-safe deterministic id (no ':'), one per delivery and commit. */
export function deployJobId(deliveryId: string, sha: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
  return `deploy-${safe(deliveryId)}-${safe(sha)}`;
}
