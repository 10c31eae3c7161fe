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
  /** GitHub's id of the repository (stable across renames): what sealed secrets are bound to. */
  repositoryId?: number;
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
  /**
   * The head repository is a fork (or was deleted). Such a deploy from a pull_request event is
   * only held (see isHeldFork): it claims nothing and builds nothing until a writer approves this
   * exact SHA, which enqueues a new deploy carrying `approvedBy`.
   */
  fork?: boolean;
  /** The writer who approved this fork commit (set only by the worker's command handling). */
  approvedBy?: string;
  /** Who asked for this deploy, when it was not a push (redeploy, approval). */
  requestedBy?: string;
  /** Why, when it was not a push (shown on the check run). */
  reason?: string;
  /** Swap to the image kept from an earlier successful deploy of `sha` (KEEP_IMAGES): no source, no build. */
  rollback?: boolean;
}

/** A fork pull request's commit nobody has approved yet: the job may only ask for approval. */
export const isHeldFork = (data: Pick<DeployJobData, 'fork' | 'approvedBy'>): boolean => Boolean(data.fork) && !data.approvedBy;

/** Removes an environment: containers, images, network attachments; marks its Deployment inactive. */
export interface TeardownJobData extends Target {
  deliveryId: string;
  reason: string;
  enqueuedAt: number;
}

/** `redeploy-scope`: the dashboard's secrets page redeploys every live environment a secret scope covers. */
export type CommandName = 'preview' | 'destroy' | 'redeploy' | 'approve' | 'rollback' | 'redeploy-scope';

/**
 * A slash command, a check-run button or a re-run; the worker checks the actor's permission first.
 * A slash command names its pull request; a check event names only a commit (and the check run):
 * the worker decides which environment it belongs to (resolve-check-target.ts), never the payload.
 */
export interface CommandJobData extends Omit<Target, 'environment'> {
  deliveryId: string;
  command: CommandName;
  actor: string;
  /** Slash commands: pr-<n>. Check events: unset until the worker resolves it. */
  environment?: string;
  /** The comment to react to, for slash commands. */
  commentId?: number;
  /** When the comment was written (GitHub's clock, ms): `/preview` approves the head of that moment. */
  commentedAt?: number;
  /** The SHA a button was pressed or a re-run was asked for (check_run / check_suite head_sha). */
  sha?: string;
  /** `redeploy-scope`: production, or the same-repository previews. */
  scope?: 'production' | 'previews';
  /** The check run the button or re-run belongs to (check_run events). */
  checkRunId?: number;
  /** A whole check suite was re-run (check_suite.rerequested). */
  suite?: boolean;
  /** Pull request numbers the payload listed: a hint, verified through the API before use. */
  pullRequests?: number[];
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
export const environmentKey = (t: { repository: string; environment: string }): string => `${t.repository}@${t.environment}`;
