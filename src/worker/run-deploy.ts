import { UnrecoverableError, type Job } from 'bullmq';
import type { Config } from '../config/load-config.js';
import type { DockerEngine } from '../docker/engine.js';
import { environmentHostname } from '../docker/hostname.js';
import type { DeploymentIdentity } from '../docker/labels.js';
import type { InstallationClient } from '../github/client.js';
import { renderSummary } from '../github/summary.js';
import type { Logger } from '../logger.js';
import type { AnnounceResult, DeployJobData } from '../queue/job-types.js';
import { buildStep } from './build-step.js';
import { classify } from './deploy-errors.js';
import { DeployLog, type LogSink } from './deploy-log.js';
import type { DeployState } from './deploy-state.js';
import { Reporter } from './reporter.js';
import { runStep } from './run-step.js';

export interface WorkerDeps {
  config: Config;
  logger: Logger;
  engine: DockerEngine;
  state: DeployState;
  github: (installationId: number) => Promise<InstallationClient>;
  logSink?: LogSink;
  /** Signed link to the build log of a job, when the log endpoint is configured. */
  logUrl?: (jobId: string) => string;
}

/** Job data the worker adds while running, so a retry or a stalled re-run reuses GitHub objects. */
type RunningData = DeployJobData & { checkRunId?: number; deploymentId?: number; concluded?: boolean };

export function publicUrl(config: Config, hostname: string): string {
  return `${config.TRAEFIK_TLS ? 'https' : 'http'}://${hostname}`;
}

/** Web URL of a commit on github.com or the configured GitHub Enterprise host. */
export function commitUrl(config: Config, repository: string, sha: string): string {
  const web = config.GHE_HOST ? `${config.GHE_PROTOCOL}://${config.GHE_HOST}` : 'https://github.com';
  return `${web}/${repository}/commit/${sha}`;
}

/** The deploy job: source → build → run → health-gated swap → report. */
export async function runDeploy(job: Job<RunningData>, deps: WorkerDeps, signal: AbortSignal): Promise<{ containerId: string; url: string }> {
  const data = job.data;
  const jobId = job.id!;
  const logger = deps.logger.child({ jobId, deliveryId: data.deliveryId, sha: data.sha, repository: data.repository });
  const { octokit, token } = await deps.github(data.installationId);
  const log = new DeployLog(jobId, { maxBytes: deps.config.BUILD_LOG_MAX_BYTES, secrets: [token], sink: deps.logSink, logger });
  const children = Object.values(await job.getChildrenValues<AnnounceResult>());
  const logUrl = deps.logUrl?.(jobId);
  const reporter = new Reporter(octokit, data, jobId, deps.state, data.checkRunId ?? children[0]?.checkRunId, logUrl);
  const identity: DeploymentIdentity = { repository: data.repository, environment: data.environment, sha: data.sha, jobId };
  const hostname = environmentHostname(data.owner, data.repo, data.environment, deps.config.PREVIEW_DOMAIN);
  const url = publicUrl(deps.config, hostname);
  const started = Date.now();
  await deps.logSink?.open(jobId, { repository: data.repository, sha: data.sha, environment: data.environment, commitUrl: commitUrl(deps.config, data.repository, data.sha), secrets: [token] });
  await deps.logSink?.setStatus(jobId, 'building');

  // GitHub paces writes (a second apart): report progress alongside the build, never in its way.
  const announced = reporter
    .start(data.deploymentId)
    .then(() => job.updateData({ ...data, checkRunId: reporter.checkRunId, deploymentId: reporter.deploymentId }));
  announced.catch(() => undefined); // awaited below; this only defers the rejection
  logger.info('deploy started');
  log.step(`deploying ${data.repository}@${data.sha} to ${data.environment} (attempt ${job.attemptsMade + 1})`);
  try {
    const { image, buildMs } = await buildStep({ data, identity, octokit, engine: deps.engine, config: deps.config, log, signal });
    const { containerId, healthMs } = await runStep({ identity, image, hostname, engine: deps.engine, state: deps.state, config: deps.config, log, signal });
    log.step(`live at ${url}`);
    await log.flush();
    await announced;
    const summary = renderSummary({
      title: `Deployed ${data.sha.slice(0, 12)} to ${data.environment}`,
      rows: [['Commit', `\`${data.sha}\``], ['Image', `\`${image}\``], ['URL', url], ['Build', `${(buildMs / 1000).toFixed(1)}s`], ['Health', `${(healthMs / 1000).toFixed(1)}s`], ['Total', `${((Date.now() - started) / 1000).toFixed(1)}s`]],
      notes: logUrl ? [`[Build log](${logUrl})`] : [],
    });
    await deps.logSink?.setStatus(jobId, 'deployed', { url });
    await deps.logSink?.end(jobId, 'success');
    await reporter.conclude('success', `Deployed to ${url}`, summary, url);
    await job.updateData({ ...job.data, concluded: true });
    logger.info({ containerId, url }, 'deploy succeeded');
    return { containerId, url };
  } catch (error) {
    const outcome = classify(error);
    const attemptsLeft = (job.opts.attempts ?? 1) - job.attemptsMade - 1;
    logger.warn({ err: error, final: outcome.final, attemptsLeft }, 'deploy failed');
    log.step(`${outcome.title}: ${log.redact(outcome.reason)}`);
    await log.flush();
    await announced;
    if (outcome.final || attemptsLeft <= 0) {
      const summary = renderSummary({
        title: outcome.title,
        rows: [['Commit', `\`${data.sha}\``], ['Environment', data.environment], ['Reason', log.redact(outcome.reason)], ['After', `${((Date.now() - started) / 1000).toFixed(1)}s`]],
        notes: logUrl ? [`[Full build log](${logUrl})`] : [],
        logTail: log.tail(),
      });
      await deps.logSink?.setStatus(jobId, 'failed');
      await deps.logSink?.end(jobId, outcome.conclusion);
      await reporter.conclude(outcome.conclusion, outcome.title, summary);
      await job.updateData({ ...job.data, concluded: true });
      throw new UnrecoverableError(`${outcome.title}: ${log.redact(outcome.reason)}`);
    }
    throw error;
  }
}
