import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { demux } from '../../src/docker/dockerode-engine.js';
import { BotUnderTest } from '../helpers/bot-processes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployJobId } from '../../src/queue/job-types.js';
import { runInNetwork } from '../helpers/docker.js';
import { freePort, type RunningProcess } from '../helpers/processes.js';
import { deliver, pushPayload } from '../helpers/webhooks.js';

const OWNER = 'hvtest';
const REPO = `site-${randomBytes(3).toString('hex')}`;
const INSTALLATION = 4242;
const METRICS_TOKEN = `metrics-${randomBytes(12).toString('hex')}`;
const sha = () => randomBytes(20).toString('hex');
// /cgi-bin/slow answers (with the page) only once /tmp/slow-release exists in its container.
const site = (body: string) => ({
  Dockerfile: 'FROM helvetia-base:latest\nCOPY www /www\nRUN chmod +x /www/cgi-bin/slow\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
  'www/index.html': `${body}\n`,
  'www/cgi-bin/slow': '#!/bin/sh\ntouch /tmp/slow-started\nwhile [ ! -f /tmp/slow-release ]; do sleep 0.1; done\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\ncat /www/index.html\n',
});

describe('push to deploy, end to end (real Redis, real dockerd, app and worker processes)', () => {
  const bot = new BotUnderTest('e2e-push', { DRAIN_SECONDS: '5' });
  const { github, prefix, network } = bot;
  const repoFilter = `cloud.helvetia.repository=${OWNER}/${REPO}`;
  const alias = `${REPO}--${OWNER}`;
  const d = bot.docker;
  let app: RunningProcess;
  let worker: RunningProcess;
  let baseUrl: string;
  let redis: Redis;
  const SECRET = bot.secret;

  const deployStatuses = () => github.find('POST', /\/deployments\/\d+\/statuses$/).map((c) => c.body);
  const completedChecks = () => github.checkCompletions();
  const served = async () => (await runInNetwork(d, network, ['timeout', '5', 'wget', '-q', '-O-', `http://${alias}:8080/`], { 'hvtest.tmp': prefix })).output.trim();
  const appContainers = () => d.listContainers({ filters: { label: [repoFilter, 'cloud.helvetia.role=app'] } });
  /** The network events of the environment's hand-off relays since `since` (seconds). */
  const relayEvents = async (since: number): Promise<string[]> => {
    const relays = new Set<string>();
    const text = await new Promise<string>((resolve, reject) =>
      d.getEvents({ since, until: Math.ceil(Date.now() / 1000) + 1 }, (error, stream) => {
        if (error || !stream) return reject(error);
        let body = '';
        stream.on('data', (c: Buffer) => (body += c.toString('utf8')));
        stream.on('end', () => resolve(body));
      }),
    );
    const events = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } });
    for (const e of events) if (e.Type === 'container' && e.Actor.Attributes['cloud.helvetia.role'] === 'relay' && e.Actor.Attributes['cloud.helvetia.repository'] === `${OWNER}/${REPO}`) relays.add(e.Actor.ID);
    return events.filter((e) => e.Type === 'network' && relays.has(e.Actor.Attributes.container ?? '')).map((e) => e.Action);
  };

  let metricsPort = 0;

  beforeAll(async () => {
    metricsPort = await freePort();
    await bot.start({ WORKER_METRICS_PORT: String(metricsPort), METRICS_TOKEN: METRICS_TOKEN });
    ({ app, worker, baseUrl, redis } = bot);
  });

  afterAll(() => bot.stop());

  async function pushAndWait(commit: string, expected: 'success' | 'failure'): Promise<any> {
    const before = completedChecks().length;
    const res = await deliver(baseUrl, 'push', pushPayload({ owner: OWNER, repo: REPO, sha: commit, installationId: INSTALLATION }), { secret: SECRET });
    expect(res.status).toBe(200);
    await expect.poll(() => completedChecks().length, { timeout: 90_000, interval: 250 }).toBeGreaterThan(before);
    const check = completedChecks().at(-1)!.body;
    expect(check.conclusion, check.output?.summary).toBe(expected);
    await expect.poll(() => deployStatuses().at(-1)?.state, { timeout: 10_000 }).toBe(expected);
    return check;
  }

  it('deploys the exact pushed commit as a hardened, labelled container and reports to GitHub', async () => {
    const v1 = sha();
    github.addCommit(OWNER, REPO, v1, site('hello v1'));
    const check = await pushAndWait(v1, 'success');

    expect(await served()).toBe('hello v1');
    const [container] = await appContainers();
    expect(container).toBeDefined();
    const info = await d.getContainer(container!.Id).inspect();
    expect(info.Config.Labels).toMatchObject({
      'cloud.helvetia.managed': 'true', 'cloud.helvetia.repository': `${OWNER}/${REPO}`,
      'cloud.helvetia.environment': 'production', 'cloud.helvetia.sha': v1,
      [`traefik.http.routers.helvetia-${alias}.rule`]: `Host(\`${alias}.preview.test\`)`,
      [`traefik.http.services.helvetia-${alias}.loadbalancer.server.port`]: '8080',
    });
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(info.HostConfig.Privileged).toBe(false);
    expect(info.HostConfig.Memory).toBeGreaterThan(0);
    expect(info.HostConfig.NanoCpus).toBeGreaterThan(0);
    expect(info.HostConfig.PidsLimit).toBeGreaterThan(0);
    expect(info.HostConfig.Binds ?? []).toEqual([]);
    expect(info.Mounts).toEqual([]);
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([network]);

    // The worker reached dockerd through helvetia proxy only: it allowed the build, then the create
    // and start of exactly this container (its ID is in the start path).
    await expect.poll(() => bot.proxy.decisions(), { timeout: 5_000 }).toContainEqual(
      expect.objectContaining({ decision: 'allow', rule: 'containers.start', method: 'POST', path: expect.stringMatching(new RegExp(`/containers/${info.Id}/start$`)) }),
    );
    expect(bot.proxy.decisions()).toContainEqual(expect.objectContaining({ decision: 'allow', rule: 'build', status: 200 }));
    expect(bot.proxy.decisions()).toContainEqual(expect.objectContaining({ decision: 'allow', rule: 'containers.create', status: 201 }));
    expect(worker.output()).toContain(`"DOCKER_HOST":"${bot.proxy.dockerHost}"`);

    const created = github.find('POST', /\/check-runs$/);
    expect(created.at(-1)!.body).toMatchObject({ name: 'helvetia/deploy', head_sha: v1, status: 'queued' });
    // A progress report still waiting for its turn when the deploy went live is dropped: the
    // check goes queued → (in progress) → completed, and nothing follows the completion.
    const updates = github.find('PATCH', /\/check-runs\/\d+$/).map((c) => c.body.status);
    expect(['in_progress,completed', 'completed']).toContain(updates.join(','));
    expect(check.output.summary).toContain(v1);
    expect(check.output.summary).toContain(`http://${alias}.preview.test`);
    const deployment = github.find('POST', /\/deployments$/).at(-1)!.body;
    expect(deployment).toMatchObject({ ref: v1, environment: 'production', production_environment: true });
    expect(['in_progress,success', 'success']).toContain(deployStatuses().map((s) => s.state).join(','));
    expect(deployStatuses().at(-1)!.environment_url).toBe(`http://${alias}.preview.test`);

    // The check run and the deployment link to the signed build log served by the app.
    const logLink = new URL(check.details_url);
    expect(logLink.origin).toBe(baseUrl);
    expect(deployStatuses().at(-1)!.log_url).toBe(check.details_url);
    const text = await fetch(`${baseUrl}${logLink.pathname}.txt${logLink.search}`);
    expect(text.status).toBe(200);
    const body = await text.text();
    expect(body).toContain('COPY www /www');
    expect(body).toContain('is healthy');
    expect((await fetch(`${baseUrl}${logLink.pathname}.txt`)).status).toBe(401);
  });

  it('never lets the installation token into job data, images, containers or logs', async () => {
    expect(github.tokens.length).toBeGreaterThan(0);
    const dump: string[] = [];
    for (const key of await redis.keys(`${prefix}:*`)) {
      const type = await redis.type(key);
      if (type === 'hash') dump.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'string') dump.push((await redis.get(key)) ?? '');
      else if (type === 'list') dump.push(JSON.stringify(await redis.lrange(key, 0, -1)));
    }
    for (const img of await d.listImages({ filters: { label: [repoFilter] } })) {
      dump.push(JSON.stringify(await d.getImage(img.Id).inspect()), JSON.stringify(await d.getImage(img.Id).history()));
    }
    for (const c of await appContainers()) dump.push(JSON.stringify(await d.getContainer(c.Id).inspect()));
    for (const key of await redis.keys(`${prefix}:log:*`)) {
      if ((await redis.type(key)) === 'stream') dump.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
    dump.push(app.output(), worker.output());
    const haystack = dump.join('\n');
    expect(haystack).toContain(REPO);
    for (const token of github.tokens) expect(haystack).not.toContain(token);
  });

  it('replaces the deployment on the next push with no moment where neither answers', async () => {
    const v2 = sha();
    github.addCommit(OWNER, REPO, v2, site('hello v2'));
    const probe = await d.createContainer({
      Image: 'helvetia-base:latest',
      Labels: { 'hvtest.tmp': prefix },
      Cmd: ['sh', '-c', `while true; do timeout 2 wget -q -O- http://${alias}:8080/ || echo FAIL; sleep 0.05; done`],
      HostConfig: { NetworkMode: network },
    });
    await probe.start();
    const since = Math.floor(Date.now() / 1000) - 1;
    await pushAndWait(v2, 'success');
    await new Promise((r) => setTimeout(r, 500));
    // The hand-off relay (src/worker/handoff-relay.ts) answered to the name during the renames.
    const events = await relayEvents(since);
    expect(events).toContain('connect');
    const lines = demux((await probe.logs({ stdout: true, stderr: true })) as Buffer).split('\n').map((l) => l.trim()).filter(Boolean);
    await probe.remove({ force: true });
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.join(' | ')).not.toContain('FAIL');
    expect(lines).toContain('hello v1');
    expect(lines.at(-1)).toBe('hello v2');
    expect(lines.indexOf('hello v2')).toBeGreaterThan(lines.indexOf('hello v1'));
    // The previous container left the network before the check went green; it is removed right after.
    await expect.poll(async () => (await appContainers()).length, { timeout: 30_000 }).toBe(1);
  });

  it('fails a broken Dockerfile with the error in the summary and keeps the old container serving', async () => {
    const broken = sha();
    github.addCommit(OWNER, REPO, broken, { Dockerfile: `FROM helvetia-base:latest\nRUN echo about to fail ${REPO} && exit 3\n` });
    const check = await pushAndWait(broken, 'failure');
    expect(check.output.title).toBe('Build failed');
    expect(check.output.summary).toMatch(/returned a non-zero code: 3/);
    expect(check.output.summary).toContain('about to fail');
    expect(deployStatuses().at(-1)!.state).toBe('failure');
    expect(await served()).toBe('hello v2');
    expect(await appContainers()).toHaveLength(1);
    // The failed step's intermediate build container is removed with it (forcerm), nothing is left behind.
    const leftovers = async () => (await d.listContainers({ all: true })).filter((c) => c.Command.includes(`about to fail ${REPO}`));
    await expect.poll(leftovers, { timeout: 10_000 }).toEqual([]);
  });

  it('lets a request in flight to the old container finish after the switch: it hands on the name, keeping its address', async () => {
    const [old] = await appContainers();
    const address = old!.NetworkSettings.Networks[network]!.IPAddress;
    const inOld = async (cmd: string[]) => {
      const exec = await d.getContainer(old!.Id).exec({ Cmd: cmd });
      await exec.start({ Detach: true });
      await expect.poll(async () => (await exec.inspect()).Running, { timeout: 5_000 }).toBe(false);
      return (await exec.inspect()).ExitCode;
    };
    // The request reaches the old container through the alias, before the next push exists.
    // (sh stays PID 1, so timeout's SIGTERM reaches wget: PID 1 would ignore it.)
    const slow = runInNetwork(d, network, ['sh', '-c', `timeout 30 wget -q -O- http://${alias}:8080/cgi-bin/slow; exit $?`], { 'hvtest.tmp': prefix });
    await expect.poll(() => inOld(['test', '-f', '/tmp/slow-started']), { timeout: 10_000 }).toBe(0);
    const v3 = sha();
    github.addCommit(OWNER, REPO, v3, site('hello v3'));
    const deployed = pushAndWait(v3, 'success');
    // The switch: the old container hands the environment's name on (it keeps its address and network: see below).
    const endpoint = async () => (await d.getContainer(old!.Id).inspect()).NetworkSettings.Networks[network];
    const nameOf = async () => (await d.getContainer(old!.Id).inspect()).Name.replace(/^\//, '');
    expect(await nameOf()).toBe(alias);
    await expect.poll(nameOf, { timeout: 90_000, interval: 100 }).toMatch(new RegExp(`^${alias}--retired-[0-9a-f]{6}$`));
    // Only now (draining, DRAIN_SECONDS) does the old container answer the request it held open all along.
    await inOld(['touch', '/tmp/slow-release']);
    const answer = await slow;
    expect(answer.output.trim()).toBe('hello v2');
    expect(answer.code).toBe(0);
    expect((await endpoint())?.IPAddress).toBe(address);
    expect(await served()).toBe('hello v3');
    await deployed;
    await expect.poll(async () => (await appContainers()).length, { timeout: 30_000 }).toBe(1);
  });

  it('never needed anything the proxy refuses: builds, swaps and removals were all allowed', async () => {
    const decisions = bot.proxy.decisions();
    expect(decisions.filter((d) => d.rule === 'containers.remove' && d.decision === 'allow').length).toBeGreaterThan(0);
    // A 404 for an object already gone (a probe removed twice on cancel) is dockerd's answer, not a refusal.
    expect(decisions.filter((d) => d.decision === 'deny' && d.rule !== 'not-found')).toEqual([]);
  });

  it('rejects a bad signature with 4xx and enqueues nothing', async () => {
    const callsBefore = github.calls.length;
    const commit = sha();
    const payload = pushPayload({ owner: OWNER, repo: REPO, sha: commit, installationId: INSTALLATION });
    const bad = await deliver(baseUrl, 'push', payload, { secret: SECRET, signature: `sha256=${'0'.repeat(64)}` });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    const missing = await deliver(baseUrl, 'push', payload, { secret: SECRET, signature: null });
    expect(missing.status).toBeGreaterThanOrEqual(400);
    expect(missing.status).toBeLessThan(500);
    const wrongSecret = await deliver(baseUrl, 'push', payload, { secret: 'another-secret' });
    expect(wrongSecret.status).toBeGreaterThanOrEqual(400);
    await new Promise((r) => setTimeout(r, 1000));
    for (const res of [bad, missing, wrongSecret]) {
      expect(await redis.exists(`${prefix}:helvetia-deploy:${deployJobId(res.deliveryId, commit)}`)).toBe(0);
    }
    expect(await redis.keys(`${prefix}:helvetia-deploy:*${commit}*`)).toEqual([]);
    expect(github.calls.length).toBe(callsBefore);
  });

  it('reports to Prometheus: webhook answers on the app, deploy outcomes and durations on the worker, decisions on the proxy', async () => {
    const scrape = async (url: string) => {
      const answer = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(answer.status, url).toBe(200);
      return answer.text();
    };
    expect((await fetch(`${baseUrl}/metrics`)).status).toBe(401);
    const app = await scrape(`${baseUrl}/metrics`);
    expect(app).toMatch(/^helvetia_webhook_deliveries_total\{event="push",status="200"\} [1-9]\d*$/m);
    expect(app).toMatch(/^helvetia_webhook_deliveries_total\{event="push",status="40\d"\} [1-9]\d*$/m);
    const worker = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(worker).toMatch(/^helvetia_deploys_total\{kind="production",outcome="success"\} [1-9]\d*$/m);
    expect(worker).toMatch(/^helvetia_deploys_total\{kind="production",outcome="failure"\} [1-9]\d*$/m);
    expect(worker).toMatch(/^helvetia_build_seconds_count\{kind="production"\} [1-9]\d*$/m);
    expect(worker).toMatch(/^helvetia_health_gate_seconds_count\{kind="production"\} [1-9]\d*$/m);
    expect(worker).toMatch(/^helvetia_push_to_serving_seconds_count\{kind="production"\} [1-9]\d*$/m);
    expect(worker).toMatch(/^helvetia_github_rate_limit_remaining\{installation="4242"\} \d+$/m);
    const proxy = await (await fetch(`${bot.proxy.dockerHost.replace('tcp://', 'http://')}/metrics`)).text();
    expect(proxy).toMatch(/^helvetia_proxy_decisions_total\{rule="containers.create",decision="allow"\} [1-9]\d*$/m);
  });
});
