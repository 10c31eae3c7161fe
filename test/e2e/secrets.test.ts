import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotUnderTest } from '../helpers/bot-processes.js';
import { runInNetwork } from '../helpers/docker.js';
import { runCli } from '../helpers/processes.js';
import { randomSha } from '../helpers/pipeline.js';
import { deliver, examplePayload, pullRequestPayload, pushPayload, repoId } from '../helpers/webhooks.js';
import { REDIS_URL, TEST_PRIVATE_KEY_PATH } from '../helpers/env.js';

const OWNER = 'hvtest';
const REPO = `secrets-${randomBytes(3).toString('hex')}`;
const FULL = `${OWNER}/${REPO}`;
const INSTALLATION = 88;
const APP_ID = 778;
const NAMES = ['STRIPE_KEY', 'DB_PASS', 'SERVER_ONLY'] as const;
const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
const fresh = (what: string) => `${what}-${randomBytes(12).toString('hex')}`;

/** A site whose /cgi-bin/env answers NAME=<sha256 of the value> (or NAME=unset) for each name. */
const envSite = (dotHelvetia: string, cmd = '["httpd", "-f", "-p", "8080", "-h", "/www"]'): Record<string, string> => ({
  Dockerfile: `FROM helvetia-base:latest\nCOPY www /www\nRUN chmod +x /www/cgi-bin/env\nEXPOSE 8080\nCMD ${cmd}\n`,
  'www/index.html': 'ok\n',
  'www/cgi-bin/env': [
    '#!/bin/sh',
    'printf "Content-Type: text/plain\\r\\n\\r\\n"',
    `for n in ${NAMES.join(' ')}; do eval "set=\\\${$n+x}; v=\\\${$n-}"; if [ -z "$set" ]; then echo "$n=unset"; else echo "$n=$(printf %s "$v" | sha256sum | cut -c1-64)"; fi; done`,
  ].join('\n'),
  '.helvetia.yml': dotHelvetia,
});

describe('secrets, end to end (sealed in the repository and in the server store; real Redis, dockerd, proxy)', () => {
  let sealKey = '';
  const bot = new BotUnderTest('e2e-secrets', { APP_ID: String(APP_ID) });
  const { github, prefix, network } = bot;
  const d = bot.docker;
  const values: Record<string, string> = {};
  /** Every plaintext value this test ever gave the bot. */
  const plaintexts = () => Object.values(values);
  const cliEnv = () => ({
    APP_ID: String(APP_ID), PRIVATE_KEY_PATH: TEST_PRIVATE_KEY_PATH, WEBHOOK_SECRET: bot.secret, REDIS_URL, PREVIEW_DOMAIN: 'preview.test',
    APP_BASE_URL: bot.baseUrl, GHE_HOST: github.host, GHE_PROTOCOL: 'http', QUEUE_PREFIX: prefix, SEAL_PRIVATE_KEY: sealKey, LOG_LEVEL: 'silent', LOG_SIGNING_KEY: randomBytes(32).toString('hex'),
  });
  const sealLine = async (scope: string, name: string, value: string) => {
    const run = await runCli(['seal', '--url', bot.baseUrl, '--repo', FULL, '--scope', scope, name], {}, `${value}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^${name}: sealed:v1:[0-9a-f]{16}:[A-Za-z0-9_-]+\\n$`));
    expect(run.stdout).not.toContain(value);
    return run.stdout.trim();
  };
  const served = async (environment: string) => {
    const host = environment === 'production' ? `${REPO}--${OWNER}` : `${environment}--${REPO}--${OWNER}`;
    const out = (await runInNetwork(d, network, ['sh', '-c', `timeout 5 wget -q -O- http://${host}:8080/cgi-bin/env 2>&1 || echo NOANSWER`], { 'hvtest.tmp': prefix })).output.trim();
    return Object.fromEntries(out.split('\n').map((line) => line.split('=') as [string, string]));
  };
  const expectServed = async (environment: string, expected: Record<string, string | undefined>) => {
    const want = Object.fromEntries(NAMES.map((n) => [n, expected[n] === undefined ? 'unset' : sha256(expected[n]!)]));
    await expect.poll(() => served(environment), { timeout: 20_000, interval: 500 }).toEqual(want);
  };
  const concluded = async (sha: string, conclusion = 'success') => {
    await expect.poll(() => github.checkRuns({ sha }).map((c) => c.state.conclusion), { timeout: 90_000, interval: 250 }).toContain(conclusion);
    return github.checkRuns({ sha }).find((c) => c.state.conclusion === conclusion)!.state;
  };
  const push = async (sha: string, files: Record<string, string>) => {
    github.addCommit(OWNER, REPO, sha, files);
    expect((await deliver(bot.baseUrl, 'push', pushPayload({ owner: OWNER, repo: REPO, sha, installationId: INSTALLATION }), { secret: bot.secret })).status).toBe(200);
  };
  let productionYml = '';

  beforeAll(async () => {
    const keys = await runCli(['keys', 'generate'], {});
    expect(keys.code, keys.stderr).toBe(0);
    sealKey = /^SEAL_PRIVATE_KEY=(\S+)$/m.exec(keys.stdout)![1]!;
    expect(keys.stderr).toMatch(/public key \S+ \(id [0-9a-f]{16}\)/);
    github.installations.set(FULL, INSTALLATION);
    github.writers.add('maintainer');
    await bot.start({ SEAL_PRIVATE_KEY: sealKey });
    values.STRIPE_KEY = fresh('sk_live');
    values.DB_PASS = fresh('db');
    values.PREVIEW_STRIPE = fresh('sk_test');
    values.SERVER_ONLY = fresh('server');
    productionYml = [
      'secrets:',
      '  production:',
      `    ${await sealLine('production', 'STRIPE_KEY', values.STRIPE_KEY)}`,
      `    ${await sealLine('production', 'DB_PASS', values.DB_PASS)}`,
      '  previews:',
      `    ${await sealLine('previews', 'STRIPE_KEY', values.PREVIEW_STRIPE)}`,
      '  required: [STRIPE_KEY]',
      '',
    ].join('\n');
    const set = await runCli(['secrets', 'set', FULL, '--scope', 'production', 'SERVER_ONLY'], cliEnv(), values.SERVER_ONLY);
    expect(set.code, set.stderr).toBe(0);
  });

  afterAll(() => bot.stop());

  it('a push gets its sealed and server-side production values in the container environment, and the check names them', async () => {
    const sha = randomSha();
    await push(sha, envSite(productionYml));
    const check = await concluded(sha);
    await expectServed('production', { STRIPE_KEY: values.STRIPE_KEY, DB_PASS: values.DB_PASS, SERVER_ONLY: values.SERVER_ONLY });
    expect(check.output.summary).toContain('`DB_PASS` (sealed in .helvetia.yml), `SERVER_ONLY` (server), `STRIPE_KEY` (sealed in .helvetia.yml)');
    const list = await runCli(['secrets', 'list', FULL], cliEnv());
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^production\tSERVER_ONLY\t\d{4}-\d\d-\d\dT/m);
    expect(list.stdout).not.toContain(values.SERVER_ONLY);
  });

  it('a same-repository preview gets the previews scope only', async () => {
    const sha = randomSha();
    github.addCommit(OWNER, REPO, sha, envSite(productionYml));
    github.pulls.set(`${FULL}#1`, { state: 'open', headSha: sha, headRepo: FULL, baseRepo: FULL });
    await deliver(bot.baseUrl, 'pull_request', pullRequestPayload({ action: 'opened', owner: OWNER, repo: REPO, number: 1, sha, installationId: INSTALLATION }), { secret: bot.secret });
    await concluded(sha);
    await expectServed('pr-1', { STRIPE_KEY: values.PREVIEW_STRIPE });
  });

  it('an approved fork preview gets no secrets at all', async () => {
    const sha = randomSha();
    // The fork's own .helvetia.yml carries the sealed values too: they stay shut.
    github.addCommit(OWNER, REPO, sha, envSite(productionYml.replace('  required: [STRIPE_KEY]\n', '')));
    github.pulls.set(`${FULL}#2`, { state: 'open', headSha: sha, headRepo: `forker/${REPO}`, baseRepo: FULL });
    await deliver(bot.baseUrl, 'pull_request', pullRequestPayload({ action: 'opened', owner: OWNER, repo: REPO, number: 2, sha, installationId: INSTALLATION, headRepo: `forker/${REPO}` }), { secret: bot.secret });
    await concluded(sha, 'action_required');
    const held = github.checkRuns({ sha }).find((c) => c.state.conclusion === 'action_required')!;
    const approve = examplePayload('check_run', (p) => p.action === 'requested_action' && Boolean(p.installation));
    Object.assign(approve.check_run, { id: held.id, head_sha: sha, pull_requests: [], app: { ...approve.check_run.app, id: APP_ID } });
    Object.assign(approve.repository, { id: repoId(FULL), name: REPO, full_name: FULL, owner: { ...approve.repository.owner, login: OWNER } });
    Object.assign(approve, { requested_action: { identifier: 'approve' }, sender: { ...approve.sender, login: 'maintainer' }, installation: { id: INSTALLATION } });
    await deliver(bot.baseUrl, 'check_run', approve, { secret: bot.secret });
    const check = await concluded(sha);
    expect(check.output.summary).toContain('none: fork pull requests get no secrets, even once approved');
    await expectServed('pr-2', {});
  });

  it('a value that does not open fails the check naming it, and the running version keeps serving', async () => {
    const sha = randomSha();
    // DB_PASS's sealed value moved to another name: it was sealed for DB_PASS, so it does not open as OTHER_PASS.
    const moved = productionYml.replace(/ {4}DB_PASS: /, '    OTHER_PASS: ');
    await push(sha, envSite(moved));
    const check = await concluded(sha, 'failure');
    expect(check.output.title).toBe('Secrets unavailable');
    expect(check.output.summary).toContain('secrets.production.OTHER_PASS was sealed for the name DB_PASS');
    await expectServed('production', { STRIPE_KEY: values.STRIPE_KEY, DB_PASS: values.DB_PASS, SERVER_ONLY: values.SERVER_ONLY });
  });

  it('an app that prints a secret shows *** in the build log and check run', async () => {
    const sha = randomSha();
    await push(sha, envSite(productionYml, '["sh", "-c", "echo leaking $STRIPE_KEY and $SERVER_ONLY; exit 3"]'));
    const check = await concluded(sha, 'failure');
    expect(check.output.summary).toContain('leaking *** and ***');
    await expectServed('production', { STRIPE_KEY: values.STRIPE_KEY, DB_PASS: values.DB_PASS, SERVER_ONLY: values.SERVER_ONLY });
  });

  it('secrets set --redeploy rolls a new value out to production with the reason on the check', async () => {
    const live = (await d.listContainers({ filters: { label: [`cloud.helvetia.repository=${FULL}`, 'cloud.helvetia.environment=production', 'cloud.helvetia.role=app'] } }))[0]!;
    const liveSha = live.Labels['cloud.helvetia.sha']!;
    const before = github.checkRuns({ sha: liveSha }).length;
    values.SERVER_ONLY_2 = fresh('rotated');
    const set = await runCli(['secrets', 'set', FULL, '--scope', 'production', 'SERVER_ONLY', '--redeploy'], cliEnv(), values.SERVER_ONLY_2);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(new RegExp(`redeploying production@${liveSha.slice(0, 12)}`));
    await expect.poll(() => github.checkRuns({ sha: liveSha }).filter((c) => c.state.conclusion === 'success').length, { timeout: 90_000 }).toBeGreaterThan(
      github.checkRuns({ sha: liveSha }).slice(0, before).filter((c) => c.state.conclusion === 'success').length,
    );
    expect(github.checkRuns({ sha: liveSha }).at(-1)!.state.output.summary).toContain('secret SERVER_ONLY changed');
    await expectServed('production', { STRIPE_KEY: values.STRIPE_KEY, DB_PASS: values.DB_PASS, SERVER_ONLY: values.SERVER_ONLY_2 });
  });

  it('no plaintext anywhere: Redis, GitHub (checks, comments, Deployments), process logs, image config and history', async () => {
    const secretsOf = plaintexts();
    const found = (text: string) => secretsOf.filter((v) => text.includes(v));
    // Every key in Redis, whatever its type.
    const keys = await bot.redis.keys('*');
    for (const key of keys) {
      const type = await bot.redis.type(key);
      const dump =
        type === 'string' ? await bot.redis.getBuffer(key).then((b) => b?.toString('latin1') ?? '')
        : type === 'hash' ? JSON.stringify(await bot.redis.hgetall(key))
        : type === 'list' ? JSON.stringify(await bot.redis.lrange(key, 0, -1))
        : type === 'set' ? JSON.stringify(await bot.redis.smembers(key))
        : type === 'zset' ? JSON.stringify(await bot.redis.zrange(key, 0, -1))
        : type === 'stream' ? JSON.stringify(await bot.redis.xrange(key, '-', '+'))
        : '';
      expect(found(dump), `Redis ${type} ${key}`).toEqual([]);
    }
    expect(keys.some((k) => k.startsWith(`${prefix}:log:`))).toBe(true);
    expect(found(JSON.stringify(github.calls))).toEqual([]);
    expect(found(bot.app.output() + bot.worker.output() + bot.proxy.process.output())).toEqual([]);
    const images = await d.listImages({ filters: { label: [`cloud.helvetia.repository=${FULL}`] } });
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      const inspected = JSON.stringify(await d.getImage(image.Id).inspect());
      const history = JSON.stringify(await d.getImage(image.Id).history());
      expect(found(inspected + history), image.RepoTags?.join(',')).toEqual([]);
    }
  });
});
