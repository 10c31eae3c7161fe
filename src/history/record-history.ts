import type { Logger } from '../logger.js';
import type { DeployEvents } from '../worker/deploy-events.js';
import type { DeployHistory } from './deploy-history.js';

/**
 * The deploy history subscribes to the deploy jobs' events: a record when a deploy starts, completed
 * when it ends. Writes of one job go in order (a start is never overtaken by its end); a write that
 * fails is logged and never fails the deploy. `settled()` waits for the writes in flight (tests, shutdown).
 */
export function recordHistory(events: DeployEvents, history: DeployHistory, logger: Logger): { settled: () => Promise<void> } {
  const chains = new Map<string, Promise<void>>();
  const enqueue = (jobId: string, write: () => Promise<void>) => {
    const next = (chains.get(jobId) ?? Promise.resolve())
      .then(write)
      .catch((err: unknown) => logger.warn({ err, jobId }, 'could not record the deploy history'))
      .finally(() => {
        if (chains.get(jobId) === next) chains.delete(jobId);
      });
    chains.set(jobId, next);
  };
  events.subscribe((event) => {
    const { repository, environment, sha, jobId } = event;
    if (event.type === 'started') {
      enqueue(jobId, () => history.record({ jobId, repository, environment, sha, trigger: event.trigger, rollback: event.rollback, logUrl: event.logUrl, startedAt: event.at }));
      return;
    }
    if (event.type !== 'finished') return;
    // A deploy that never started (superseded in the queue, held at the gate) has no entry to complete.
    const { outcome, title, url, image, buildMs, healthMs } = event;
    enqueue(jobId, async () => void (await history.update(repository, environment, jobId, { outcome, title, url, image, buildMs, healthMs, finishedAt: event.at })));
  });
  return { settled: async () => void (await Promise.all([...chains.values()])) };
}
