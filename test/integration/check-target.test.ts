import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { ContainerSummary, DockerEngine } from '../../src/docker/engine.js';
import { GitHubApp } from '../../src/github/client.js';
import { createLogger } from '../../src/logger.js';
import type { CommandJobData } from '../../src/queue/job-types.js';
import { DeployState } from '../../src/worker/deploy-state.js';
import { resolveCheckTarget } from '../../src/worker/resolve-check-target.js';
import { REDIS_URL, validEnv } from '../helpers/env.js';
import { GitHubDouble } from '../helpers/github-double.js';
import { randomSha } from '../helpers/pipeline.js';

describe('which environment a check event acts on (real Redis, GitHub double)', () => {
  const github = new GitHubDouble();
  const prefix = `hvcheck${randomBytes(3).toString('hex')}`;
  const repository = 'hvtest/site';
  const redis = new Redis(REDIS_URL);
  const state = new DeployState(redis, prefix);
  let live: ContainerSummary[] = [];
  // Only the one read resolveCheckTarget makes of Docker: the live containers by label.
  const engine = { listContainers: async () => live } as unknown as DockerEngine;
  let deps: Parameters<typeof resolveCheckTarget>[1];
  let octokit: Awaited<ReturnType<GitHubApp['installation']>>['octokit'];
  const event = (sha: string, extra: Partial<CommandJobData> = {}): CommandJobData => ({
    deliveryId: 'd', installationId: 1, owner: 'hvtest', repo: 'site', repository, command: 'redeploy', actor: 'maintainer', sha, enqueuedAt: 0, ...extra,
  });
  const productionRunning = (sha: string) => [{ id: 'c1', name: 'x', image: 'i', state: 'running', labels: { 'cloud.helvetia.sha': sha } }] as unknown as ContainerSummary[];

  beforeAll(async () => {
    await github.start();
    const config = loadConfig(validEnv({ GHE_HOST: github.host, GHE_PROTOCOL: 'http', QUEUE_PREFIX: prefix }));
    deps = { state, engine, config };
    ({ octokit } = await new GitHubApp(config, createLogger({ level: 'silent' })).installation(1));
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await github.stop();
  });

  it('uses the record of the check run first, whatever the payload lists', async () => {
    const sha = randomSha();
    await state.checks.create({ repository, environment: 'production', sha }, async () => 501);
    github.pulls.set(`${repository}#5`, { state: 'open', headSha: sha, headRepo: repository, baseRepo: repository });
    expect(await resolveCheckTarget(event(sha, { checkRunId: 501, pullRequests: [5] }), deps, octokit)).toEqual({ targets: [{ environment: 'production' }], via: 'check run 501' });
  });

  it('never resolves a fork head to production: an empty pull request list finds the fork PR through the API', async () => {
    const sha = randomSha();
    github.pulls.set(`${repository}#6`, { state: 'open', headSha: sha, headRepo: 'forker/site', baseRepo: repository });
    live = productionRunning(randomSha());
    const resolved = await resolveCheckTarget(event(sha, { checkRunId: 999_001 }), deps, octokit);
    expect(resolved).toEqual({ targets: [{ environment: 'pr-6', pullRequest: 6 }], via: 'GitHub and the running containers' });
  });

  it('a record of another commit is not this check run\'s; the commit\'s own records decide', async () => {
    const sha = randomSha();
    await state.checks.create({ repository, environment: 'production', sha: randomSha() }, async () => 502);
    await state.checks.create({ repository, environment: 'pr-7', sha }, async () => 503);
    expect(await resolveCheckTarget(event(sha, { checkRunId: 502 }), deps, octokit)).toMatchObject({ targets: [{ environment: 'pr-7', pullRequest: 7 }] });
  });

  it('a suite re-run acts on every environment the bot checked that commit for', async () => {
    const sha = randomSha();
    await state.checks.create({ repository, environment: 'production', sha }, async () => 504);
    await state.checks.create({ repository, environment: 'pr-8', sha }, async () => 505);
    expect(await resolveCheckTarget(event(sha, { suite: true }), deps, octokit)).toMatchObject({ targets: [{ environment: 'pr-8', pullRequest: 8 }, { environment: 'production' }] });
  });

  it('production without a record only when it runs exactly that commit', async () => {
    const sha = randomSha();
    live = productionRunning(sha);
    expect(await resolveCheckTarget(event(sha, { checkRunId: 999_002 }), deps, octokit)).toEqual({ targets: [{ environment: 'production' }], via: 'GitHub and the running containers' });
    live = productionRunning(randomSha());
    expect(await resolveCheckTarget(event(sha, { checkRunId: 999_002 }), deps, octokit)).toMatchObject({ refused: expect.stringContaining('cannot tell which environment') });
  });

  it('refuses a listed pull request whose head is another commit, or that is closed', async () => {
    const sha = randomSha();
    live = [];
    github.pulls.set(`${repository}#9`, { state: 'open', headSha: randomSha(), headRepo: repository, baseRepo: repository });
    github.pulls.set(`${repository}#10`, { state: 'closed', headSha: sha, headRepo: repository, baseRepo: repository });
    expect(await resolveCheckTarget(event(sha, { checkRunId: 999_003, pullRequests: [9, 10] }), deps, octokit)).toMatchObject({ refused: expect.any(String) });
  });
});
