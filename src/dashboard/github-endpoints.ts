import type { Config } from '../config/load-config.js';

/** Where the dashboard talks to GitHub: github.com, or GHE (web at GHE_HOST, API at /api/v3). */
export interface GitHubEndpoints {
  /** Web host: /login/oauth/*, commit pages. */
  web: string;
  /** REST API base. */
  api: string;
}

export function githubEndpoints(config: Pick<Config, 'GHE_HOST' | 'GHE_PROTOCOL' | 'githubApiUrl'>): GitHubEndpoints {
  const web = config.GHE_HOST ? `${config.GHE_PROTOCOL}://${config.GHE_HOST}` : 'https://github.com';
  return { web, api: config.githubApiUrl };
}
