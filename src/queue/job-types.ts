export const DEPLOY_QUEUE = 'helvetia-deploy';
export const ANNOUNCE_QUEUE = 'helvetia-announce';
/** The Redis stream webhooks are stored in before a worker turns them into jobs. */
export const INTAKE_STREAM = 'helvetia-intake';

/** The intake stream of a queue prefix, and the hash of the job ids waiting in it. */
export function intakeKeys(prefix: string): { stream: string; pending: string } {
  const stream = `${prefix}:${INTAKE_STREAM}`;
  return { stream, pending: `${stream}:pending` };
}

/** Where a job acts: one environment of one repository. */
export interface Target {
  installationId: number;
  owner: string;
  repo: string;
  /** owner/name */
  repository: string;
  /** "production" or "pr-<n>". */
  environment: string;
  /** Set for pull request previews. */
  pullRequest?: number;
}

/** What a deploy job carries through Redis. Never a token or any other secret. */
export interface DeployJobData extends Target {
  deliveryId: string;
  sha: string;
  /** refs/heads/... the commit came from, for the summary. */
  ref: string;
  enqueuedAt: number;
  /** The head repository is a fork: nothing is built until a writer approves this SHA. */
  fork?: boolean;
  /** Who asked for this deploy, when it was not a push (redeploy, approval). */
  requestedBy?: string;
}

/** Removes an environment: containers, images, network attachments; marks its Deployment inactive. */
export interface TeardownJobData extends Target {
  deliveryId: string;
  reason: string;
  enqueuedAt: number;
}

export type CommandName = 'preview' | 'destroy' | 'redeploy' | 'approve';

/** A slash command or check-run button; the worker checks the actor's permission first. */
export interface CommandJobData extends Target {
  deliveryId: string;
  command: CommandName;
  actor: string;
  /** The comment to react to, for slash commands. */
  commentId?: number;
  /** The SHA a button was pressed for (check_run.head_sha). */
  sha?: string;
  enqueuedAt: number;
}

export type PipelineJobData = DeployJobData | TeardownJobData | CommandJobData;

/** Return value of the announce job: the queued check run it created (none for a job superseded by then). */
export interface AnnounceResult {
  checkRunId?: number;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);

/** A BullMQ-safe deterministic id (no ':'), one per delivery and commit. */
export function deployJobId(deliveryId: string, sha: string): string {
  return `deploy-${safe(deliveryId)}-${safe(sha)}`;
}

export function teardownJobId(deliveryId: string, environment: string): string {
  return `teardown-${safe(deliveryId)}-${safe(environment)}`;
}

export function commandJobId(deliveryId: string): string {
  return `command-${safe(deliveryId)}`;
}

/** The key "latest commit wins" is decided on. */
export const environmentKey = (t: Pick<Target, 'repository' | 'environment'>): string => `${t.repository}@${t.environment}`;
