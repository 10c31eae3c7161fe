import type { GitHubEndpoints } from './github-endpoints.js';

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  /** The callback registered on the GitHub App (APP_BASE_URL/auth/callback). */
  redirectUri: string;
}

/** GitHub's user authorization page for the app (OAuth web flow). */
export function authorizeUrl(endpoints: GitHubEndpoints, client: OAuthClient, state: string): string {
  const params = new URLSearchParams({ client_id: client.clientId, redirect_uri: client.redirectUri, state, allow_signup: 'false' });
  return `${endpoints.web}/login/oauth/authorize?${params}`;
}

export class OAuthError extends Error {
  override readonly name = 'OAuthError';
}

/** Exchanges the callback's code for the user's access token (never logged, never sent to the browser). */
export async function exchangeCode(endpoints: GitHubEndpoints, client: OAuthClient, code: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const answer = await fetchImpl(`${endpoints.web}/login/oauth/access_token`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: client.redirectUri }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!answer.ok) throw new OAuthError(`GitHub answered ${answer.status} to the code exchange`);
  const body = (await answer.json()) as { access_token?: unknown; error?: unknown };
  if (typeof body.access_token !== 'string' || body.access_token === '') throw new OAuthError(`GitHub refused the code (${typeof body.error === 'string' ? body.error : 'no token'})`);
  return body.access_token;
}
