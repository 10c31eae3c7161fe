import { Probot, type ProbotOctokit } from 'probot';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../logger.js';

/** Probot's Octokit: REST methods plus the retry and throttling plugins. */
export type GitHubClient = InstanceType<typeof ProbotOctokit>;

export interface InstallationClient {
  octokit: GitHubClient;
  /** The installation token, for redaction only: it never leaves the worker's memory. */
  token: string;
}

/** Builds the Probot instance used for GitHub App authentication (JWT → installation tokens). */
export function createProbot(config: Config, logger: Logger): Probot {
  return new Probot({
    appId: config.APP_ID,
    privateKey: config.privateKey,
    secret: config.WEBHOOK_SECRET,
    baseUrl: config.githubApiUrl,
    log: logger.child({ component: 'probot' }),
  });
}

/** An installation-authenticated client for the worker. */
export async function installationClient(probot: Probot, installationId: number): Promise<InstallationClient> {
  const octokit = (await probot.auth(installationId)) as GitHubClient;
  const auth = (await octokit.auth({ type: 'installation' })) as { token: string };
  return { octokit, token: auth.token };
}
