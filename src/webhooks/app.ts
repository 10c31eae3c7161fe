import type { ApplicationFunction } from 'probot';
import type { Logger } from '../logger.js';
import type { DeployQueue } from '../queue/deploy-queue.js';
import { mapCheckEvent, mapSlashCommand } from './commands.js';
import { mapPullRequest, type PullRequestPayload } from './pull-request.js';
import { mapPush, type PushPayload } from './push.js';

export interface AppDeps {
  queue: DeployQueue;
  logger: Logger;
  appId: number;
}

/** True when a check_run / check_suite event concerns a check created by this app. */
export function isOwnCheck(payload: object, appId: number): boolean {
  const p = payload as { check_run?: { app?: { id?: number } | null }; check_suite?: { app?: { id?: number } | null } };
  const app = p.check_run?.app ?? p.check_suite?.app;
  return app?.id === appId;
}

/**
 * Runs a pure payload mapping; a signed payload of the wrong shape (a field missing or of another
 * type) makes it throw, and that is the sender's fault: ignored (2xx), never a 5xx that asks
 * GitHub to redeliver the same broken payload. Enqueue failures are not caught here.
 */
export function mapSafely<T>(logger: Logger, event: string, map: () => T): T | { ignored: string } {
  try {
    return map();
  } catch (error) {
    logger.warn({ err: error, event }, 'malformed webhook payload ignored');
    return { ignored: 'malformed payload' };
  }
}

/**
 * The Probot app: verified webhooks are mapped and enqueued, nothing else. No GitHub or Docker
 * work happens on the request path; the delivery is acknowledged once the job is in Redis, and a
 * Redis failure propagates so Probot answers 5xx and GitHub can redeliver.
 */
export function helvetiaApp(deps: AppDeps): ApplicationFunction {
  return (app) => {
    app.on('push', async (context) => {
      const log = deps.logger.child({ deliveryId: context.id, event: 'push' });
      const decision = mapSafely(log, 'push', () => mapPush(context.id, context.payload as unknown as PushPayload));
      if ('ignored' in decision) return log.debug({ reason: decision.ignored }, 'push ignored');
      const result = await deps.queue.enqueue(decision.job);
      // The routine case (a new job) is at debug: one stdout write per delivery on the ack path; the job itself is the record.
      log[result.status === 'enqueued' ? 'debug' : 'info']({ jobId: result.jobId, sha: decision.job.sha, status: result.status }, 'deploy enqueued');
    });

    app.on('pull_request', async (context) => {
      const log = deps.logger.child({ deliveryId: context.id, event: `pull_request.${(context.payload as { action?: unknown } | null)?.action}` });
      const decision = mapSafely(log, 'pull_request', () => mapPullRequest(context.id, context.payload as unknown as PullRequestPayload));
      if ('ignored' in decision) return log.debug({ reason: decision.ignored }, 'pull request event ignored');
      const result = 'deploy' in decision ? await deps.queue.enqueue(decision.deploy, { headAt: decision.headAt }) : await deps.queue.enqueueTeardown(decision.teardown);
      log.info({ jobId: result.jobId, status: result.status }, 'pull request job enqueued');
    });

    app.on('issue_comment.created', async (context) => {
      const command = mapSafely(deps.logger, 'issue_comment', () => mapSlashCommand(context.id, context.payload as never));
      if (!command || 'ignored' in command) return;
      const result = await deps.queue.enqueueCommand(command);
      deps.logger.info({ deliveryId: context.id, command: command.command, jobId: result.jobId }, 'slash command enqueued');
    });

    app.on(['check_run.requested_action', 'check_run.rerequested', 'check_suite.rerequested'], async (context) => {
      const command = mapSafely(deps.logger, context.name, () => (isOwnCheck(context.payload, deps.appId) ? mapCheckEvent(context.id, context.payload as never) : undefined));
      if (!command || 'ignored' in command) return;
      const result = await deps.queue.enqueueCommand(command);
      deps.logger.info({ deliveryId: context.id, command: command.command, jobId: result.jobId }, 'check action enqueued');
    });
  };
}
