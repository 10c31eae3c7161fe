import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { githubEndpoints } from '../../src/dashboard/github-endpoints.js';
import { GitHubUser, GitHubUserError } from '../../src/dashboard/github-user.js';
import { authorizeUrl, exchangeCode, OAuthError } from '../../src/dashboard/oauth.js';
import { allows, levelOf } from '../../src/dashboard/permissions.js';

const client = { clientId: 'Iv1.abc', clientSecret: 'shh', redirectUri: 'https://deploy.example/auth/callback' };

describe('dashboard GitHub calls (nock, no network)', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it('uses github.com for the web flow and api.github.com for the API; GHE_HOST for both on GHE', () => {
    expect(githubEndpoints({ GHE_PROTOCOL: 'https', githubApiUrl: 'https://api.github.com' })).toEqual({ web: 'https://github.com', api: 'https://api.github.com' });
    const ghe = githubEndpoints({ GHE_HOST: 'ghe.corp:8443', GHE_PROTOCOL: 'https', githubApiUrl: 'https://ghe.corp:8443/api/v3' });
    expect(ghe).toEqual({ web: 'https://ghe.corp:8443', api: 'https://ghe.corp:8443/api/v3' });
    const url = new URL(authorizeUrl(ghe, client, 'st4te'));
    expect(url.origin + url.pathname).toBe('https://ghe.corp:8443/login/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ client_id: 'Iv1.abc', redirect_uri: client.redirectUri, state: 'st4te' });
  });

  it('exchanges the code with the client secret at the web host; a refusal is an OAuthError', async () => {
    const endpoints = githubEndpoints({ GHE_PROTOCOL: 'https', githubApiUrl: 'https://api.github.com' });
    nock('https://github.com')
      .post('/login/oauth/access_token', { client_id: 'Iv1.abc', client_secret: 'shh', code: 'c0de', redirect_uri: client.redirectUri })
      .matchHeader('accept', 'application/json')
      .reply(200, { access_token: 'ghu_token', token_type: 'bearer' });
    expect(await exchangeCode(endpoints, client, 'c0de')).toBe('ghu_token');
    nock('https://github.com').post('/login/oauth/access_token').reply(200, { error: 'bad_verification_code' });
    await expect(exchangeCode(endpoints, client, 'old')).rejects.toThrow(OAuthError);
  });

  it('lists every page of installations and repositories with the user token; 404 on a repository means no access', async () => {
    const user = new GitHubUser({ web: 'https://github.com', api: 'https://api.github.com' }, 'ghu_me');
    const repo = (i: number) => ({ id: i, name: `r${i}`, full_name: `o/r${i}`, owner: { login: 'o' } });
    const api = nock('https://api.github.com', { reqheaders: { authorization: 'Bearer ghu_me' } });
    api.get('/user/installations').query({ per_page: 100, page: 1 }).reply(200, { installations: [{ id: 7, account: { login: 'o' } }] });
    api.get('/user/installations/7/repositories').query({ per_page: 100, page: 1 }).reply(200, { repositories: Array.from({ length: 100 }, (_, i) => repo(i)) });
    api.get('/user/installations/7/repositories').query({ per_page: 100, page: 2 }).reply(200, { repositories: [repo(100)] });
    const all = await user.repositories();
    expect(all).toHaveLength(101);
    expect(all.every((r) => r.installationId === 7)).toBe(true);
    api.get('/repos/o/hidden').reply(404, { message: 'Not Found' });
    expect(await user.permissions('o', 'hidden')).toBeUndefined();
    api.get('/repos/o/r1').reply(200, { permissions: { admin: false, push: true, pull: true } });
    expect(levelOf(await user.permissions('o', 'r1'))).toBe('write');
    api.get('/user').reply(401, { message: 'Bad credentials' });
    await expect(user.user()).rejects.toThrow(GitHubUserError);
    expect(api.isDone()).toBe(true);
  });

  it('maps permissions to levels: write needs push, secrets need admin', () => {
    expect(levelOf({ admin: true, push: true, pull: true })).toBe('admin');
    expect(levelOf({ admin: false, maintain: true, push: false, pull: true })).toBe('write');
    expect(levelOf({ admin: false, push: false, triage: true, pull: true })).toBe('read');
    expect(levelOf({ admin: false, push: false, pull: false })).toBeUndefined();
    expect(allows('read', 'write')).toBe(false);
    expect(allows('write', 'admin')).toBe(false);
    expect(allows('admin', 'write')).toBe(true);
    expect(allows(undefined, 'read')).toBe(false);
  });
});
