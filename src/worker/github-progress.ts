import type { PreviewStatus } from '../github/pr-comment.js';
import { renderSummary } from '../github/summary.js';
import type { DeployFinished, ProgressReporter } from './deploy-events.js';
import type { Reporter } from './reporter.js';

export interface GitHubProgressOptions {
  /** A Deployment made for this job earlier (a retry reuses it). */
  deploymentId?: number;
  logUrl?: string;
  /** Runs a superseded job's report off its worker slot (BackgroundReports), or inline. */
  handOff: (report: () => Promise<void>) => Promise<void>;
  /** Called once the check run and Deployment exist (the job keeps their ids for a retry). */
  onAnnounced: () => Promise<unknown>;
}

/** The PR comment's state for how a deploy ended. */
const COMMENT_STATE: Record<DeployFinished['outcome'], PreviewStatus['state'] | undefined> = {
  success: 'deployed', failure: 'failed', timed_out: 'failed', neutral: 'disabled', action_required: 'awaiting approval', cancelled: undefined,
};

/**
 * GitHub as a subscriber of one job's progress: `started` puts the check run, the Deployment and
 * the PR comment in progress without holding up the build (GitHub paces writes a second apart);
 * `live` and `retrying` wait until they exist (their ids are kept from then on); `finished`
 * concludes them. A cancelled job's report goes off its worker slot and sends no comment: the live
 * deploy's comment is the one that counts.
 */
export function reportToGitHub(reporter: Reporter, opts: GitHubProgressOptions): ProgressReporter {
  let reported: Promise<unknown> = Promise.resolve();
  let announced: Promise<unknown> = Promise.resolve();
  let started = false;
  return async (event) => {
    if (event.type === 'started') {
      started = true;
      reported = reporter.start(opts.deploymentId);
      announced = reported.then(opts.onAnnounced);
      announced.catch(() => undefined); // awaited by the events that need it; this only defers the rejection
      return;
    }
    if (event.type === 'live') reporter.markServing();
    if (event.type === 'live' || event.type === 'retrying') return void (await announced);
    if (event.type !== 'finished') return;
    const title = event.title ?? event.outcome;
    const summary = renderSummary({ title, rows: [], ...event.details });
    if (event.outcome === 'cancelled') {
      // Not `announced`: the job is over by the time a superseded job's reports get their turn.
      await opts.handOff(async () => {
        await reported;
        await reporter.conclude('cancelled', title, summary);
      });
      return;
    }
    await announced;
    await reporter.conclude(event.outcome, title, summary, event.outcome === 'success' ? event.url : undefined);
    const state = COMMENT_STATE[event.outcome]!;
    await reporter.comment({
      state, sha: event.sha, note: event.note,
      // A job held at the gate has no log to link.
      ...(started && (state === 'deployed' || state === 'failed') ? { logUrl: opts.logUrl } : {}),
      ...(state === 'deployed' ? { url: event.url, buildSeconds: (event.buildMs ?? 0) / 1000, ...(event.services ? { services: event.services } : {}) } : {}),
    });
  };
}
