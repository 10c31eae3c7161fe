import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotUnderTest } from '../helpers/bot-processes.js';
import { runInNetwork } from '../helpers/docker.js';
import { REDIS_URL, TEST_PRIVATE_KEY_PATH } from '../helpers/env.js';
import { randomSha } from '../helpers/pipeline.js';
import { runCli } from '../helpers/processes.js';
import { deliver, pullRequestPayload, pushPayload } from '../helpers/webhooks.js';
import { statefulSite as site } from '../helpers/stateful-site.js';

const OWNER = 'hvtest';
const REPO = `svc-${randomBytes(3).toString('hex')}`;
const FULL = `${OWNER}/${REPO}`;
const INSTALLATION = 91;

describe('companion services and volumes, end to end (Redis service image from Debian, through helvetia proxy)', () => {
  const bot = new BotUnderTest('e2e-services', { HEALTH_TIMEOUT_SECONDS: '30' });
  const { github, prefix, network } = bot;
  const d = bot.docker;
  let sealKey = '';
  const host = (environment: string) => (environment === 'production' ? `${REPO}--${OWNER}` : `${environment}--${REPO}--${OWNER}`);
  const get = async (environment: string, path: string) =>
    (await runInNetwork(d, network, ['sh', '-c', `timeout 8 wget -q -O- "http://${host(environment)}:8080${path}" 2>&1 || echo NOANSWER`], { 'hvtest.tmp': prefix })).output.trim();
  const labelled = (environment: string, role: string) =>
    d.listContainers({ all: true, filters: { label: [`cloud.helvetia.repository=${FULL}`, `cloud.helvetia.environment=${environment}`, `cloud.helvetia.role=${role}`] } });
  const volumesOf = async (environment: string) => ((await d.listVolumes({ filters: { label: [`cloud.helvetia.repository=${FULL}`, `cloud.helvetia.environment=${environment}`] } })).Volumes ?? []).map((v) => v.Name).sort();
  const concluded = async (sha: string, conclusion = 'success') => {
    await expect.poll(() => github.checkRuns({ sha }).map((c) => c.state.conclusion), { timeout: 120_000, interval: 250 }).toContain(conclusion);
    return github.checkRuns({ sha }).find((c) => c.state.conclusion === conclusion)!.state;
  };
  const push = async (files: Record<string, string>) => {
    const sha = randomSha();
    github.addCommit(OWNER, REPO, sha, files);
    expect((await deliver(bot.baseUrl, 'push', pushPayload({ owner: OWNER, repo: REPO, sha, installationId: INSTALLATION }), { secret: bot.secret })).status).toBe(200);
    return sha;
  };
  const cliEnv = () => ({
    APP_ID: '777', PRIVATE_KEY_PATH: TEST_PRIVATE_KEY_PATH, WEBHOOK_SECRET: bot.secret, REDIS_URL, PREVIEW_DOMAIN: 'preview.test', APP_BASE_URL: bot.baseUrl,
    GHE_HOST: github.host, GHE_PROTOCOL: 'http', QUEUE_PREFIX: prefix, DOCKER_HOST: bot.proxy.dockerHost, PROBE_IMAGE: 'helvetia-base:latest',
    LOG_SIGNING_KEY: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent',
  });
  let dbId = '';

  beforeAll(async () => {
    const keys = await runCli(['keys', 'generate'], {});
    sealKey = /^SEAL_PRIVATE_KEY=(\S+)$/m.exec(keys.stdout)![1]!;
    github.writers.add('maintainer');
    await bot.start({ SEAL_PRIVATE_KEY: sealKey });
  });

  afterAll(() => bot.stop());

  it('a push brings up the db service and the volume; the app writes a key and a file', async () => {
    const sha = await push(site({ label: 'v1' }));
    const check = await concluded(sha);
    expect(check.output.summary).toContain('`db` (helvetia-redis:7, started)');
    expect(await get('production', '/cgi-bin/write?first-note')).toBe('written');
    expect(await get('production', '/cgi-bin/read')).toMatch(/^key=first-note file=first-note seeds= migrations=1 token=[0-9a-f]{12}$/);
    const [db] = await labelled('production', 'service');
    dbId = db!.Id;
    const info = await d.getContainer(dbId).inspect();
    // Hardened like an app, on the environment network only, its data in an owned named volume.
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(info.HostConfig.Memory).toBeGreaterThan(0);
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([expect.stringMatching(/^helvetia-env-[0-9a-f]{12}$/)]);
    expect(info.Mounts.map((m) => [m.Type, m.Destination])).toEqual([['volume', '/data']]);
    expect(await volumesOf('production')).toHaveLength(2);
  });

  it('a second push keeps the data and the very same service container; the release ran again, the seed never (production)', async () => {
    const tokenBefore = /token=(\w+)/.exec(await get('production', '/cgi-bin/read'))![1];
    const sha = await push(site({ label: 'v2' }));
    const check = await concluded(sha);
    expect(check.output.summary).toContain('`db` (helvetia-redis:7, kept)');
    await expect.poll(() => get('production', '/'), { timeout: 15_000 }).toBe('v2');
    expect(await get('production', '/cgi-bin/read')).toBe(`key=first-note file=first-note seeds= migrations=2 token=${tokenBefore}`);
    expect((await labelled('production', 'service')).map((c) => c.Id)).toEqual([dbId]);
  });

  it('a pull request gets its own fresh service, seeded once; neither environment can see the other\'s data or reach its service', async () => {
    const first = randomSha();
    github.addCommit(OWNER, REPO, first, site({ label: 'pr v1' }));
    github.pulls.set(`${FULL}#5`, { state: 'open', headSha: first, headRepo: FULL, baseRepo: FULL });
    await deliver(bot.baseUrl, 'pull_request', pullRequestPayload({ action: 'opened', owner: OWNER, repo: REPO, number: 5, sha: first, installationId: INSTALLATION }), { secret: bot.secret });
    await concluded(first);
    expect(await get('pr-5', '/cgi-bin/read')).toMatch(/^key= file= seeds=1 migrations=1 token=/);
    expect(await get('pr-5', '/cgi-bin/write?preview-note')).toBe('written');
    const second = randomSha();
    github.addCommit(OWNER, REPO, second, site({ label: 'pr v2' }));
    await deliver(bot.baseUrl, 'pull_request', pullRequestPayload({ action: 'synchronize', owner: OWNER, repo: REPO, number: 5, sha: second, installationId: INSTALLATION }), { secret: bot.secret });
    await concluded(second);
    const preview = await get('pr-5', '/cgi-bin/read');
    expect(preview).toMatch(/^key=preview-note file=preview-note seeds=1 migrations=2 token=/);
    const production = await get('production', '/cgi-bin/read');
    expect(production).toMatch(/^key=first-note file=first-note seeds= migrations=2 /);
    expect(/token=(\w+)/.exec(preview)![1]).not.toBe(/token=(\w+)/.exec(production)![1]);
    // From inside each app: its own db answers as `db`; the other environment's db is unreachable by name or address.
    const [prDb] = await labelled('pr-5', 'service');
    const prInfo = await d.getContainer(prDb!.Id).inspect();
    const prAddress = Object.values(prInfo.NetworkSettings.Networks)[0]!.IPAddress;
    const prodInfo = await d.getContainer(dbId).inspect();
    const prodAddress = Object.values(prodInfo.NetworkSettings.Networks)[0]!.IPAddress;
    expect(await get('production', '/cgi-bin/probe?db')).toBe('OPEN');
    expect(await get('production', `/cgi-bin/probe?${prInfo.Name.slice(1)}`)).toBe('CLOSED');
    expect(await get('production', `/cgi-bin/probe?${prAddress}`)).toBe('CLOSED');
    expect(await get('pr-5', `/cgi-bin/probe?${prodAddress}`)).toBe('CLOSED');
    // Services are on no network but their environment's: not the edge network where every app is.
    expect(await runInNetwork(d, network, ['sh', '-c', `timeout 3 nc -w 2 ${prodAddress} 6379 </dev/null 2>/dev/null && echo OPEN || echo CLOSED`], { 'hvtest.tmp': prefix }).then((r) => r.output.trim())).toBe('CLOSED');
  });

  it('closing the pull request removes its service, volumes and network; production keeps all of its own', async () => {
    const prVolumes = await volumesOf('pr-5');
    expect(prVolumes).toHaveLength(2);
    const [prDb] = await labelled('pr-5', 'service');
    const prNetwork = Object.keys((await d.getContainer(prDb!.Id).inspect()).NetworkSettings.Networks)[0]!;
    github.pulls.set(`${FULL}#5`, { state: 'closed', headSha: 'x', headRepo: FULL, baseRepo: FULL });
    await deliver(bot.baseUrl, 'pull_request', pullRequestPayload({ action: 'closed', owner: OWNER, repo: REPO, number: 5, sha: randomSha(), installationId: INSTALLATION }), { secret: bot.secret });
    await expect.poll(async () => (await labelled('pr-5', 'service')).length + (await labelled('pr-5', 'app')).length, { timeout: 60_000 }).toBe(0);
    await expect.poll(() => volumesOf('pr-5'), { timeout: 30_000 }).toEqual([]);
    await expect.poll(async () => (await d.listNetworks({ filters: { name: [prNetwork] } })).filter((n) => n.Name === prNetwork).length, { timeout: 30_000 }).toBe(0);
    expect(await volumesOf('production')).toHaveLength(2);
    expect((await labelled('production', 'service')).map((c) => c.Id)).toEqual([dbId]);
    expect(await get('production', '/cgi-bin/read')).toMatch(/^key=first-note file=first-note /);
  });

  it('a failing release command fails the deploy and the running version keeps serving', async () => {
    const sha = await push(site({ label: 'never', release: 'echo "migration 7 failed" >&2; exit 4' }));
    const check = await concluded(sha, 'failure');
    expect(check.output.title).toBe('Release command failed');
    expect(check.output.summary).toContain('exited with code 4');
    expect(check.output.summary).toContain('migration 7 failed');
    expect(await get('production', '/')).toBe('v2');
  });

  it('the recreate strategy never runs two app containers of the environment at once', async () => {
    const since = Math.floor(Date.now() / 1000);
    const sha = await push(site({ label: 'recreated', strategy: 'recreate' }));
    await concluded(sha);
    const until = Math.ceil(Date.now() / 1000) + 1;
    const events = (await d.getEvents({ since, until, filters: { type: ['container'], event: ['start', 'die'], label: [`cloud.helvetia.repository=${FULL}`, 'cloud.helvetia.environment=production', 'cloud.helvetia.role=app'] } })) as unknown as NodeJS.ReadableStream;
    let text = '';
    for await (const chunk of events) text += chunk.toString();
    const sequence = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { status: string; id: string });
    let running = 1;
    let most = 1;
    for (const e of sequence) {
      running += e.status === 'start' ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(sequence.map((e) => e.status)).toEqual(['die', 'start']);
    expect(most).toBe(1);
    await expect.poll(() => get('production', '/'), { timeout: 15_000 }).toBe('recreated');
    expect(await get('production', '/cgi-bin/read')).toMatch(/^key=first-note file=first-note /);
  });

  it('backup and restore of a volume round-trip through the proxy', async () => {
    const backup = await runCli(['volumes', 'backup', FULL, 'production', 'uploads'], cliEnv());
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain('first-note');
    expect(await get('production', '/cgi-bin/write?overwritten')).toBe('written');
    expect(await get('production', '/cgi-bin/read')).toMatch(/file=overwritten /);
    const list = await runCli(['volumes', 'list', FULL], cliEnv());
    expect(list.stdout).toMatch(/^production\tuploads\thelvetia-[0-9a-f]{12}-uploads$/m);
    const restore = await runCli(['volumes', 'restore', FULL, 'production', 'uploads'], cliEnv(), backup.stdoutBytes);
    expect(restore.code, restore.stderr).toBe(0);
    await expect.poll(() => get('production', '/cgi-bin/read'), { timeout: 20_000 }).toMatch(/file=first-note /);
  });
});
