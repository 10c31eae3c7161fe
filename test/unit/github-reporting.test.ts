import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { GitHubApp } from '../../src/github/client.js';
import { completeCheck, createQueuedCheck, startCheck } from '../../src/github/checks.js';
import { createDeployment, setDeploymentStatus } from '../../src/github/deployments.js';
import { openTarball } from '../../src/github/tarball.js';
import { contextStream } from '../../src/github/context-stream.js';
import { FileTooLargeError, readRepoFile } from '../../src/github/repo-file.js';
import { TEST_PRIVATE_KEY } from '../helpers/env.js';
import { githubTarball } from '../helpers/tarball.js';
import { Reporter } from '../../src/worker/reporter.js';

const API = 'https://api.github.com';
const app = () => new GitHubApp({ APP_ID: '1', privateKey: TEST_PRIVATE_KEY, githubApiUrl: API }, createLogger({ level: 'silent' }));

describe('GitHub reporting (nock)', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it('authenticates as the installation and creates, starts and completes the check run', async () => {
    const scope = nock(API)
      .post('/app/installations/9/access_tokens')
      .matchHeader('authorization', /^bearer /i)
      .reply(201, { token: 'ghs_faketoken', expires_at: new Date(Date.now() + 3600e3).toISOString() })
      .post('/repos/o/r/check-runs', (b) => b.name === 'helvetia/deploy' && b.status === 'queued' && b.head_sha === 'abc' && b.external_id === 'job-1')
      .matchHeader('authorization', 'token ghs_faketoken')
      .reply(201, { id: 77 })
      .patch('/repos/o/r/check-runs/77', (b) => b.status === 'in_progress')
      .reply(200, {})
      .patch('/repos/o/r/check-runs/77', (b) => b.status === 'completed' && b.conclusion === 'success' && b.output.summary === 'sum')
      .reply(200, {});
    const { octokit, token } = await app().installation(9);
    expect(token).toBe('ghs_faketoken');
    const id = await createQueuedCheck(octokit, { owner: 'o', repo: 'r', sha: 'abc', externalId: 'job-1' });
    expect(id).toBe(77);
    await startCheck(octokit, { owner: 'o', repo: 'r', checkRunId: id });
    await completeCheck(octokit, { owner: 'o', repo: 'r', checkRunId: id, conclusion: 'success', title: 't', summary: 'sum' });
    expect(scope.isDone()).toBe(true);
  });

  it('a deploy live before its progress reports had their turns drops them: the check completes next, then the Deployment is made', async () => {
    const state = { untrackCheck: async () => undefined, checks: {} };
    const order: string[] = [];
    const scope = nock(API)
      .post('/app/installations/9/access_tokens').reply(201, { token: 'ghs_x', expires_at: new Date(Date.now() + 3600e3).toISOString() })
      .patch('/repos/o/r/check-runs/77', (b) => b.status === 'in_progress').reply(200, () => (order.push('check in_progress'), {}))
      .patch('/repos/o/r/check-runs/77', (b) => b.status === 'completed' && b.conclusion === 'success').reply(200, () => (order.push('check completed'), {}))
      .post('/repos/o/r/deployments', (b) => b.ref === 'abc' && b.environment === 'production').reply(201, () => (order.push('deployment'), { id: 5 }))
      .post('/repos/o/r/deployments/5/statuses', (b) => b.state === 'success').reply(201, () => (order.push('status success'), {}));
    const { octokit } = await app().installation(9);
    const data = { deliveryId: 'd', installationId: 9, owner: 'o', repo: 'r', repository: 'o/r', environment: 'production', sha: 'abc', ref: 'refs/heads/main', enqueuedAt: 0 };
    let turns = 0;
    const reporter: Reporter = new Reporter(octokit, data, 'job-3', state as never, {
      checkRunId: 77,
      // The deploy goes live while the second report (the Deployment) waits for its turn.
      progress: { turn: async (fn) => (++turns === 2 && reporter.markServing(), fn()), current: async () => true },
    });
    expect(await reporter.start()).toBe(true);
    await reporter.conclude('success', 'Deployed', 'sum', 'http://x');
    expect(order).toEqual(['check in_progress', 'check completed', 'deployment', 'status success']);
    expect(reporter.deploymentId).toBe(5);
    expect(scope.isDone()).toBe(true);
  });

  it('a job with no check run yet concludes in one write: the check run created completed', async () => {
    const state = {
      untracked: [] as string[],
      recorded: [] as [string, number][],
      untrackCheck: async (id: string) => void state.untracked.push(id),
      checks: { create: async (t: { environment: string }, create: () => Promise<number>) => { const id = await create(); state.recorded.push([t.environment, id]); return id; } },
    };
    const scope = nock(API)
      .post('/app/installations/9/access_tokens').reply(201, { token: 'ghs_x', expires_at: new Date(Date.now() + 3600e3).toISOString() })
      .post('/repos/o/r/check-runs', (b) => b.status === 'completed' && b.conclusion === 'cancelled' && b.head_sha === 'abc' && b.external_id === 'job-2' && b.output.title === 'Superseded by 1234567' && b.details_url === 'http://logs/job-2' && b.actions[0].identifier === 'redeploy')
      .reply(201, { id: 78 })
      .patch('/repos/o/r/check-runs/79', (b) => b.status === 'completed' && b.conclusion === 'failure')
      .reply(200, {});
    const { octokit } = await app().installation(9);
    const data = { deliveryId: 'd', installationId: 9, owner: 'o', repo: 'r', repository: 'o/r', environment: 'production', sha: 'abc', ref: 'refs/heads/main', enqueuedAt: 0 };
    const fresh = new Reporter(octokit, data, 'job-2', state as never, { logUrl: 'http://logs/job-2' });
    await fresh.conclude('cancelled', 'Superseded by 1234567', 'summary');
    expect(fresh.checkRunId).toBe(78);
    // The check run it created is recorded as production's (buttons on it are resolved by that record).
    expect(state.recorded).toEqual([['production', 78]]);
    // One the announce created is updated, and no longer tracked as open.
    const announced = new Reporter(octokit, data, 'job-3', state as never, { checkRunId: 79 });
    await announced.conclude('failure', 'Build failed', 'summary');
    expect(state.untracked).toEqual(['job-3']);
    expect(scope.isDone()).toBe(true);
  });

  it('sends progress reports at their turn only while the job is current, and stops at the first it is not', async () => {
    const scope = nock(API)
      .post('/app/installations/9/access_tokens').reply(201, { token: 'ghs_x', expires_at: new Date(Date.now() + 3600e3).toISOString() })
      .patch('/repos/o/r/check-runs/80', (b) => b.status === 'in_progress').reply(200, {});
    const { octokit, turn } = await app().installation(9);
    const data = { deliveryId: 'd', installationId: 9, owner: 'o', repo: 'r', repository: 'o/r', environment: 'pr-4', pullRequest: 4, sha: 'abc', ref: 'refs/heads/x', enqueuedAt: 0 };
    const answers = [true, false];
    let turns = 0;
    const gate = { turn: <T>(fn: () => Promise<T>) => (turns++, turn(fn)), current: async () => answers.shift() ?? true };
    const reporter = new Reporter(octokit, data, 'job-4', {} as never, { checkRunId: 80, progress: gate });
    // Superseded after the check went in progress: no Deployment, no status, no "building" comment.
    expect(await reporter.start()).toBe(false);
    expect(reporter.deploymentId).toBeUndefined();
    expect(turns).toBe(2);
    expect(scope.isDone()).toBe(true);
  });

  it('creates a deployment for the exact sha and posts statuses with the environment URL', async () => {
    const scope = nock(API)
      .post('/app/installations/9/access_tokens').reply(201, { token: 'ghs_x', expires_at: new Date(Date.now() + 3600e3).toISOString() })
      .post('/repos/o/r/deployments', (b) => b.ref === 'f00' && b.environment === 'production' && b.production_environment === true && b.auto_merge === false)
      .reply(201, { id: 5 })
      .post('/repos/o/r/deployments/5/statuses', (b) => b.state === 'success' && b.environment_url === 'http://r--o.p.test' && b.log_url === 'http://logs')
      .reply(201, {});
    const { octokit } = await app().installation(9);
    const id = await createDeployment(octokit, { owner: 'o', repo: 'r', sha: 'f00', environment: 'production', description: 'd' });
    await setDeploymentStatus(octokit, { owner: 'o', repo: 'r', deploymentId: id, state: 'success', environmentUrl: 'http://r--o.p.test', logUrl: 'http://logs' });
    expect(scope.isDone()).toBe(true);
  });

  it('refuses a deployment answer without an id (GitHub 202: merge in progress)', async () => {
    nock(API).post('/app/installations/9/access_tokens').reply(201, { token: 'ghs_x', expires_at: new Date(Date.now() + 3600e3).toISOString() })
      .post('/repos/o/r/deployments').reply(202, { message: 'Auto-merged main into topic' });
    const { octokit } = await app().installation(9);
    await expect(createDeployment(octokit, { owner: 'o', repo: 'r', sha: 'f', environment: 'production', description: 'd' })).rejects.toThrow(/did not create a deployment/);
  });

  it('downloads the tarball of the exact sha through the 302 and streams it into a context without the top folder', async () => {
    const archive = await githubTarball('o', 'r', 'c0ffee'.padEnd(40, '0'), { Dockerfile: 'FROM x\n', '.helvetia.yml': 'port: 3000\n', 'src/a.txt': 'a' });
    const scope = nock(API)
      .post('/app/installations/9/access_tokens').reply(201, { token: 'ghs_x', expires_at: new Date(Date.now() + 3600e3).toISOString() })
      .get(`/repos/o/r/tarball/${'c0ffee'.padEnd(40, '0')}`).reply(302, undefined, { location: 'https://codeload.github.com/o/r/legacy.tar.gz/c0ffee' });
    const codeload = nock('https://codeload.github.com').get('/o/r/legacy.tar.gz/c0ffee').reply(200, archive, { 'content-type': 'application/x-gzip' });
    const { octokit } = await app().installation(9);
    const limits = { maxBytes: 1e6, maxInflatedBytes: 1e7, maxEntries: 100 };
    const tarball = await openTarball(octokit, { owner: 'o', repo: 'r', sha: 'c0ffee'.padEnd(40, '0'), limits });
    const { default: tar } = await import('tar-stream');
    const names: string[] = [];
    for await (const entry of contextStream(tarball, { directory: '.', dockerfile: 'Dockerfile', appendToDockerfile: 'LABEL "a"="b"', limits }).pipe(tar.extract())) {
      names.push(entry.header.name);
      entry.resume();
    }
    expect(names.sort()).toEqual(['.dockerignore', '.helvetia-build.Dockerfile', '.helvetia.yml', 'Dockerfile', 'src/a.txt']);
    expect(scope.isDone() && codeload.isDone()).toBe(true);
  });

  it('reads one file of the exact commit through the contents API (raw), undefined when absent, refused past its limit', async () => {
    const tokens = nock(API).post('/app/installations/9/access_tokens').reply(201, { token: 'ghs_x', expires_at: new Date(Date.now() + 3600e3).toISOString() });
    const scope = nock(API, { reqheaders: { accept: 'application/vnd.github.v3.raw' } })
      .get('/repos/o/r/contents/.helvetia.yml').query({ ref: 'abc' }).reply(200, 'port: 3000\n', { 'content-type': 'application/vnd.github.raw' })
      .get('/repos/o/r/contents/.dockerignore').query({ ref: 'abc' }).reply(404, { message: 'Not Found' })
      .get('/repos/o/r/contents/big').query({ ref: 'abc' }).reply(200, 'x'.repeat(5000), { 'content-type': 'application/vnd.github.raw' })
      .get('/repos/o/r/contents/dir').query({ ref: 'abc' }).reply(200, [{ name: 'a' }]);
    const { octokit } = await app().installation(9);
    const read = (path: string) => readRepoFile(octokit, { owner: 'o', repo: 'r', path, ref: 'abc', maxBytes: 1000 });
    expect(await read('.helvetia.yml')).toBe('port: 3000\n');
    expect(await read('.dockerignore')).toBeUndefined();
    await expect(read('big')).rejects.toThrow(FileTooLargeError);
    await expect(read('dir')).rejects.toThrow('dir is not a file');
    expect(scope.isDone() && tokens.isDone()).toBe(true);
  });

  it('refuses an archive whose announced size is over the limit before reading it', async () => {
    const scope = nock(API).post('/app/installations/9/access_tokens').reply(201, { token: 'ghs_x', expires_at: new Date(Date.now() + 3600e3).toISOString() })
      .get('/repos/o/r/tarball/s').reply(200, Buffer.alloc(2000), { 'content-type': 'application/x-gzip', 'content-length': '2000' });
    const { octokit } = await app().installation(9);
    await expect(openTarball(octokit, { owner: 'o', repo: 'r', sha: 's', limits: { maxBytes: 1000, maxInflatedBytes: 1e6, maxEntries: 10 } })).rejects.toThrow(
      'source archive is 2000 bytes, over the 1000-byte limit (SOURCE_MAX_BYTES)',
    );
    expect(scope.isDone()).toBe(true);
  });

  it('stops a download with no announced size once it crosses the limit', async () => {
    const { Readable } = await import('node:stream');
    const { randomBytes } = await import('node:crypto');
    // A real GitHub-shaped archive of about 1 MB compressed, sent in 16 KiB chunks with no content-length.
    const archive = await githubTarball('o', 'r', 's', { big: randomBytes(1024 * 1024).toString('hex') });
    const chunks = Array.from({ length: Math.ceil(archive.length / 16384) }, (_, i) => archive.subarray(i * 16384, (i + 1) * 16384));
    const scope = nock(API).post('/app/installations/9/access_tokens').reply(201, { token: 'ghs_x', expires_at: new Date(Date.now() + 3600e3).toISOString() })
      .get('/repos/o/r/tarball/s').reply(200, () => Readable.from(chunks), { 'content-type': 'application/x-gzip' });
    const { octokit } = await app().installation(9);
    const limits = { maxBytes: 100_000, maxInflatedBytes: 1e9, maxEntries: 10 };
    const tarball = await openTarball(octokit, { owner: 'o', repo: 'r', sha: 's', limits });
    const context = contextStream(tarball, { directory: '.', dockerfile: 'Dockerfile', appendToDockerfile: '', limits });
    await expect(new Promise((resolve, reject) => context.on('error', reject).on('end', resolve).resume())).rejects.toThrow(
      /^source archive is over the 100000-byte limit \(SOURCE_MAX_BYTES\): \d+ bytes read so far$/,
    );
    expect(scope.isDone()).toBe(true);
  });
});
