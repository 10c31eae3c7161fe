import type { DeployEvent, ProgressReporter } from './deploy-events.js';
import type { LogMetaInput } from '../logs/log-entry.js';
import type { LogSink } from './deploy-log.js';

/**
 * The build-log store as a subscriber of one job's progress: the log opens when the job starts
 * (before its first line), shows `deployed` with the URL once live, and ends when the job has no
 * more output: after a failure or cancellation at once, after a success once the previous
 * containers are retired (their removal is logged too). A job that never started has no log.
 */
export function recordLogStatus(sink: LogSink, jobId: string, meta: LogMetaInput): ProgressReporter {
  let open = false;
  return async (event: DeployEvent) => {
    if (event.type === 'started') {
      await sink.open(jobId, meta);
      await sink.setStatus(jobId, 'building');
      open = true;
      return;
    }
    if (!open) return;
    if (event.type === 'live') return sink.setStatus(jobId, 'deployed', { url: event.url });
    if (event.type === 'retired') return sink.end(jobId, 'success');
    if (event.type !== 'finished' || event.outcome === 'success') return;
    if (event.outcome !== 'neutral') await sink.setStatus(jobId, event.outcome === 'cancelled' ? 'cancelled' : 'failed');
    await sink.end(jobId, event.outcome);
  };
}
