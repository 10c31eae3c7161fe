import { UnrecoverableError, type Job } from 'bullmq';
import type { Config } from '../config/load-config.js';
import type { DockerEngine } from '../docker/engine.js';
import { environmentHostname } from '../docker/hostname.js';
import type { DeploymentIdentity } from '../docker/labels.js';
import type { InstallationClient } from '../github/client.js';
import type { WriteRanks } from '../github/write-queue.js';
import type { BackgroundReports } from './background-reports.js';
import type { Logger } from '../logger.js';
import type { AnnounceResult, DeployJobData } from '../queue/job-types.js';
import type { Supersession } from '../queue/supersession.js';
import { buildStep, sourceStep } from './build-step.js';
import { classify, SupersededError } from './deploy-errors.js';
import { DeployLog, type LogSink } from './deploy-log.js';
import type { DeployState } from './deploy-state.js';
import { previewGate } from './preview-gate.js';
import { Reporter } from './reporter.js';
import { runtimeOf, type Runtime } from './runtime.js';
import { environmentStep } from './environment-step.js';
import type { ServiceState } from '../services/ensure-services.js';
import { JobProgress, type DeployEvents } from './deploy-events.js';
import { reportToGitHub } from './github-progress.js';
import { recordLogStatus } from './log-progress.js';
import type { Keyring } from '../secrets/keyring.js';
import { resolveSecrets, type ResolvedSecrets } from '../secrets/resolve-secrets.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { DeployHistory } from '../history/deploy-history.js';
import { keepDeployedImage, updateRollbackButtons } from './kept-images.js';
import { rollbackSource } from './rollback-step.js';

export interface WorkerDeps {
  config: Config;
  logger: Logger;
  engine: DockerEngine;
  state: DeployState;
  supersession: Supersession;
  github: (installationId: number) => Promise<InstallationClient>;
  logSink?: LogSink;
  /** Signed link to the build log of a job, when the log endpoint is configured. */
  logUrl?: (jobId: string) => string;
  /** Orders each job's GitHub writes: the latest deploy of an environment before superseded ones. */
  writeRanks?: WriteRanks;
  /** Takes superseded jobs' GitHub reports off their worker slot (see BackgroundReports). */
  background?: BackgroundReports;
  /** Where the job publishes how it ended (metrics, dashboard subscribe). */
  events?: DeployEvents;
  /** Sealing keys and the server-side store; absent when the server has no SEAL_PRIVATE_KEY. */
  secrets?: { keyring: Keyring; store: SecretStore };
  /** Deploy history and the images kept for rollback (KEEP_IMAGES). */
  history?: DeployHistory;
  /** Where environments run (DEPLOY_BACKEND): containers on this host unless given. */
  runtime?: Runtime;
}

/**
 * Job data the worker adds while running, so a retry or a stalled re-run reuses GitHub objects.
 * `failing`: the check run concluded a failure and the job is about to move to `failed` (a
 * redelivery arriving in between must still build again, see DeployQueue.admit).
 */
export type RunningData = DeployJobData & { checkRunId?: number; deploymentId?: number; concluded?: boolean; failing?: boolean };

export type DeployOutcome = { status: 'deployed'; containerId: string; url: string } | { status: 'skipped'; reason: string };

export function publicUrl(config: Config, hostname: string): string {
  return `${config.TRAEFIK_TLS ? 'https' : 'http'}://${hostname}`;
}

/** Web URL of a commit on github.com or the configured GitHub Enterprise host. */
export function commitUrl(config: Config, repository: string, sha: string): string {
  const web = config.GHE_HOST ? `${config.GHE_PROTOCOL}://${config.GHE_HOST}` : 'https://github.com';
  return `${web}/${repository}/commit/${sha}`;
}

/** How long a handed-off report's lease lasts without renewal (BackgroundReports renews it every 30 s). */
const REPORT_LEASE_SECONDS = 90;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** The check summary's (and PR comment's) line about the environment's companion services. */
export const servicesRow = (services: ServiceState[]): [string, string] => ['Services', services.map((s) => `\`${s.name}\` (${s.image}, ${s.state})`).join(', ')];

/** The check summary's line about secrets: names and where each came from, never a value. */
export const secretsRow = (s: ResolvedSecrets): [string, string] =>
  ['Secrets', s.withheld ? `none: ${s.withheld}` : s.applied.length ? s.applied.map((a) => `\`${a.name}\` (${a.source === 'sealed' ? 'sealed in .helvetia.yml' : 'server'})`).join(', ') : 'none'];

/** The deploy job: gate → source → build → run → health-gated swap → report. Latest commit wins. */
export async function runDeploy(job: Job<RunningData>, deps: WorkerDeps, jobSignal: AbortSignal): Promise<DeployOutcome> {
  const data = job.data;
  const jobId = job.id!;
  const logger = deps.logger.child({ jobId, deliveryId: data.deliveryId, sha: data.sha, repository: data.repository, environment: data.environment });
  const { octokit, token, turn } = await deps.github(data.installationId);
  const children = Object.values(await job.getChildrenValues<AnnounceResult>());
  const logUrl = deps.logUrl?.(jobId);
  const cancel = new AbortController();
  jobSignal.addEventListener('abort', () => cancel.abort(new SupersededError(String(jobSignal.reason ?? 'a newer deploy'))), { once: true });
  /** Why this job is no longer the environment's latest (a cancel message, or Redis says so); undefined while it is. */
  const replaced = async (): Promise<unknown> => {
    if (cancel.signal.aborted) return cancel.signal.reason;
    const by = await deps.supersession.supersededBy(data, jobId);
    return by ? new SupersededError(by) : undefined;
  };
  const assertLatest = async () => {
    const reason = await replaced();
    if (reason) throw reason;
  };
  const reporter = new Reporter(octokit, data, jobId, deps.state, {
    checkRunId: data.checkRunId ?? children[0]?.checkRunId,
    logUrl,
    progress: { turn, current: async () => (await replaced()) === undefined },
  });
  const markConcluded = (failing = false) => job.updateData({ ...job.data, checkRunId: reporter.checkRunId, concluded: true, failing });

  // A superseded job's reports wait behind the live deploy's GitHub writes: hand them off so this
  // worker slot is free for the live deploy at once (BackgroundReports; inline without it).
  const handOff = async (report: () => Promise<void>): Promise<void> => {
    if (!deps.background) return report();
    // Leased while it waits: the reconciler concludes this check only if the report fails or this worker dies.
    const lease = { renew: () => deps.state.leaseReport(jobId, REPORT_LEASE_SECONDS), release: () => deps.state.releaseReport(jobId) };
    await lease.renew();
    deps.background.run({ jobId, sha: data.sha }, report, lease);
  };

  // The job emits its progress; the build-log store and GitHub report it, then the observers
  // (history, metrics, dashboard) hear it. Nothing below calls a reporter.
  const progress = new JobProgress({ repository: data.repository, environment: data.environment, kind: data.pullRequest === undefined ? 'production' : 'preview', sha: data.sha, jobId }, deps.events);
  if (deps.logSink) {
    progress.subscribe(recordLogStatus(deps.logSink, jobId, { repository: data.repository, sha: data.sha, environment: data.environment, commitUrl: commitUrl(deps.config, data.repository, data.sha), secrets: [token] }));
  }
  progress.subscribe(
    reportToGitHub(reporter, {
      deploymentId: data.deploymentId, logUrl, handOff,
      // Kept in the job for a retry or a stalled re-run to reuse the check run and Deployment.
      onAnnounced: () => job.updateData({ ...job.data, checkRunId: reporter.checkRunId, deploymentId: reporter.deploymentId }),
    }),
  );

  try {
    await assertLatest();
  } catch (error) {
    const { title, reason } = classify(error);
    await progress.emit({ type: 'finished', outcome: 'cancelled', title, details: { rows: [['Commit', `\`${data.sha}\``], ['Reason', reason]] } });
    await markConcluded();
    return { status: 'skipped', reason };
  }
  const gate = await previewGate(data, deps);
  if (!gate.proceed) {
    await progress.emit({ type: 'finished', outcome: gate.conclusion, title: gate.title, details: { rows: [['Commit', `\`${data.sha}\``]], notes: [gate.reason] }, note: gate.reason });
    await markConcluded();
    logger.info({ reason: gate.title }, 'deploy held at the gate');
    return { status: 'skipped', reason: gate.title };
  }

  const log = new DeployLog(jobId, { maxBytes: deps.config.BUILD_LOG_MAX_BYTES, secrets: [token], sink: deps.logSink, logger });
  const identity: DeploymentIdentity = { repository: data.repository, environment: data.environment, sha: data.sha, jobId, installationId: data.installationId, instance: deps.config.QUEUE_PREFIX };
  const hostname = environmentHostname(data.owner, data.repo, data.environment, deps.config.PREVIEW_DOMAIN);
  const url = publicUrl(deps.config, hostname);
  const started = Date.now();
  logger.info('deploy started');
  await progress.emit({ type: 'started', trigger: data.reason ?? (data.pullRequest === undefined ? `push to ${data.ref.replace(/^refs\/heads\//, '')}` : `pull request #${data.pullRequest}`), rollback: data.rollback, logUrl, at: started });
  log.step(`deploying ${data.repository}@${data.sha} to ${data.environment} (attempt ${job.attemptsMade + 1})${gate.approvedBy ? `, approved by @${gate.approvedBy}` : ''}${data.reason ? `: ${data.reason}` : ''}`);
  try {
    const kept = data.rollback ? await rollbackSource({ data, history: deps.history, engine: deps.engine, log }) : undefined;
    const source = kept ? undefined : await sourceStep({ data, octokit, config: deps.config, log, signal: cancel.signal });
    const repoConfig = kept?.repoConfig ?? source!.repoConfig;
    if (data.pullRequest !== undefined && !repoConfig.previews) {
      const reason = 'Previews are turned off in .helvetia.yml (previews: false).';
      log.step(reason);
      await log.flush();
      await progress.emit({ type: 'finished', outcome: 'neutral', title: 'Previews disabled', details: { rows: [['Commit', `\`${data.sha}\``]], notes: [reason] }, note: reason });
      await markConcluded();
      return { status: 'skipped', reason };
    }
    const repositoryId = data.repositoryId ?? (await octokit.rest.repos.get({ owner: data.owner, repo: data.repo })).data.id;
    const secrets = await resolveSecrets({ data, repositoryId, repoConfig, keyring: deps.secrets?.keyring, store: deps.secrets?.store });
    log.addSecrets(Object.values(secrets.env));
    log.step(`secrets: ${secretsRow(secrets)[1]}`);
    await assertLatest();
    const { image, buildMs } = kept ? { image: kept.image, buildMs: 0 } : await buildStep({ data, identity, source: source!, octokit, engine: deps.engine, config: deps.config, log, signal: cancel.signal });
    await progress.emit({ type: 'built', image, buildMs, rollback: data.rollback });
    await assertLatest();
    const ready = await environmentStep({
      identity, repositoryId, image, repoConfig, secretEnv: secrets.env, store: deps.secrets?.store, state: deps.state, engine: deps.engine, runtime: runtimeOf(deps), config: deps.config, log, signal: cancel.signal,
    });
    await assertLatest();
    const { containerId, healthMs, retire } = await runtimeOf(deps).run({ identity, image, hostname, repoConfig, env: ready.env, environmentNetwork: ready.network, volumes: ready.appVolumes, engine: deps.engine, state: deps.state, config: deps.config, log, signal: cancel.signal, assertLatest });
    const servedAt = Date.now();
    log.step(`live at ${url}`);
    await log.flush();
    // Images kept for rollback stay when the previous containers go (asked then, after their drain).
    const spare = async (image: string) => Boolean((await deps.history?.allKeptImages())?.has(image));
    try {
      await progress.emit({ type: 'live', url, image, healthMs });
      const change = await keepDeployedImage(deps, data, { image, jobId, checkRunId: reporter.checkRunId, repoConfig }).catch((err: unknown) => {
        logger.warn({ err }, 'could not keep the image for rollback');
        log.step(`the image is not kept for rollback: ${log.redact(String(err))}`);
      });
      const title = `${data.rollback ? 'Rolled back' : 'Deployed'} to ${url}`;
      const rows: [string, string][] = [
        ['Commit', `\`${data.sha}\``], ...(data.reason ? [['Why', data.reason] as [string, string]] : []), ...(gate.approvedBy ? [['Approved by', `@${gate.approvedBy}`] as [string, string]] : []),
        ['Image', `\`${image}\`${data.rollback ? ' (kept, no build)' : ''}`], secretsRow(secrets), ...(ready.services.length ? [servicesRow(ready.services)] : []), ['URL', url], ['Build', seconds(buildMs)], ['Health', seconds(healthMs)], ['Total', seconds(Date.now() - started)],
      ];
      // Told now, not after the previous containers' stop timeout: the history shows it live when GitHub does.
      await progress.emit({
        type: 'finished', outcome: 'success', title, url, image, buildMs, healthMs, servingMs: servedAt - data.enqueuedAt,
        details: { rows, notes: logUrl ? [`[Build log](${logUrl})`] : [] }, ...(ready.services.length ? { services: servicesRow(ready.services)[1] } : {}),
      });
      // The other check runs' "Roll back" buttons change after this one's conclusion: it goes first.
      if (change && deps.history) await handOff(() => updateRollbackButtons({ octokit, turn }, deps.history!, data, change));
    } finally {
      // The previous containers left the network already; they go once GitHub has the news.
      await retire(spare).catch((err: unknown) => {
        logger.warn({ err }, 'could not remove the previous containers; the next reconcile will');
        log.step(`could not remove the previous containers yet (the next reconcile will): ${log.redact(String(err))}`);
      });
      await log.flush();
      await progress.emit({ type: 'retired' });
    }
    await markConcluded();
    logger.info({ containerId, url }, 'deploy succeeded');
    return { status: 'deployed', containerId, url };
  } catch (error) {
    const outcome = classify(cancel.signal.aborted && !(error instanceof SupersededError) ? cancel.signal.reason : error);
    const attemptsLeft = (job.opts.attempts ?? 1) - job.attemptsMade - 1;
    logger.warn({ err: error, final: outcome.final, attemptsLeft }, 'deploy did not complete');
    log.step(`${outcome.title}: ${log.redact(outcome.reason)}`);
    await log.flush();
    const cancelled = outcome.conclusion === 'cancelled';
    if (!cancelled && !outcome.final && attemptsLeft > 0) {
      await progress.emit({ type: 'retrying', reason: log.redact(outcome.reason) });
      throw error;
    }
    const details = {
      rows: [['Commit', `\`${data.sha}\``], ['Environment', data.environment], ['Reason', log.redact(outcome.reason)], ['After', seconds(Date.now() - started)]] as [string, string][],
      notes: logUrl ? [`[Full build log](${logUrl})`] : [],
      logTail: cancelled ? [] : log.tail(),
    };
    // Before GitHub shows the failure: a redelivery from then on must build again.
    if (!cancelled) await job.updateData({ ...job.data, failing: true });
    await progress.emit({ type: 'finished', outcome: outcome.conclusion, title: outcome.title, details, note: `**${outcome.title}**: ${log.redact(outcome.reason)}` });
    await markConcluded(!cancelled);
    if (cancelled) return { status: 'skipped', reason: outcome.reason };
    throw new UnrecoverableError(`${outcome.title}: ${log.redact(outcome.reason)}`);
  }
}
