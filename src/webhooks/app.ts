import type { ApplicationFunction } from 'probot';
import type { Logger } from '../logger.js';
import type { DeployQueue } from '../queue/deploy-queue.js';
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
 * The Probot app: verified webhooks are mapped and enqueued, nothing else. No GitHub or Docker
 * work happens on the request path; the delivery is acknowledged once the job is in Redis, and a
 * Redis failure propagates so Probot answers 5xx and GitHub can redeliver.
 */
export function helvetiaApp(deps: AppDeps): ApplicationFunction {
  return (app) => {
    app.on('push', async (context) => {
      const log = deps.logger.child({ deliveryId: context.id, event: 'push' });
      const decision = mapPush(context.id, context.payload as unknown as PushPayload);
      if ('ignored' in decision) {
        log.debug({ reason: decision.ignored }, 'push ignored');
        return;
      }
      const result = await deps.queue.enqueue(decision.job);
      log.info({ jobId: result.jobId, sha: decision.job.sha, status: result.status }, 'deploy enqueued');
    });
    app.on(['check_run', 'check_suite'], async (context) => {
      if (!isOwnCheck(context.payload, deps.appId)) return;
      deps.logger.debug({ deliveryId: context.id, action: context.payload.action }, 'own check event');
    });
  };
}
