import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotUnderTest } from '../helpers/bot-processes.js';
import { runInNetwork } from '../helpers/docker.js';
import { multiStageApp, staticSite } from '../helpers/site-fixtures.js';
import { deliver, pushPayload } from '../helpers/webhooks.js';

const OWNER = 'hvtest';
const REPO = `fast-${randomBytes(3).toString('hex')}`;
const IGNORING = `ignoring-${randomBytes(3).toString('hex')}`;
const STATIC = `static-${randomBytes(3).toString('hex')}`;
const INSTALLATION = 4343;
const sha = () => randomBytes(20).toString('hex');
// Unique per run: the first build of this test's dependencies finds nothing in dockerd's cache.
const DEPS = `left-pad 1.3.0\nrun-${randomBytes(4).toString('hex')} 1.0.0\n`;
const DEPS_CHANGED = `${DEPS}lodash 4.17.21\n`;

describe('builds: the cache holds, one label step, no false warnings, the context streams', () => {
  const bot = new BotUnderTest('e2e-build-speed', { BUILD_PIDS_LIMIT: '512' });
  const { github, network } = bot;

  beforeAll(() => bot.start());
  afterAll(() => bot.stop());

  async function deploy(repo: string, commit: string, files: Record<string, string>): Promise<{ check: any; log: string }> {
    github.addCommit(OWNER, repo, commit, files);
    const before = github.checkCompletions().length;
    const res = await deliver(bot.baseUrl, 'push', pushPayload({ owner: OWNER, repo, sha: commit, installationId: INSTALLATION }), { secret: bot.secret });
    expect(res.status).toBe(200);
    await expect.poll(() => github.checkCompletions().length, { timeout: 120_000, interval: 250 }).toBeGreaterThan(before);
    const check = github.checkCompletions().at(-1)!.body;
    expect(check.conclusion, check.output?.summary).toBe('success');
    const link = new URL(check.details_url);
    const log = await (await fetch(`${bot.baseUrl}${link.pathname}.txt${link.search}`)).text();
    return { check, log };
  }

  const fetchPage = async (repo: string, path: string) =>
    (await runInNetwork(bot.docker, network, ['timeout', '5', 'wget', '-q', '-O-', `http://${repo}--${OWNER}:8080/${path}`], { 'hvtest.tmp': bot.prefix })).output.trim();

  /** The build log's lines for the step that starts with `instruction`, up to the next step. */
  const stepOf = (log: string, instruction: RegExp): string => {
    const steps = log.split(/(?=Step \d+\/\d+ : )/);
    const step = steps.find((s) => instruction.test(s.split('\n', 1)[0]!));
    if (!step) throw new Error(`no step ${instruction} in the build log:\n${log}`);
    return step;
  };

  it('a second push that changes only sources reuses the dependency-install layer', async () => {
    const first = await deploy(REPO, sha(), multiStageApp('v1', DEPS));
    expect(stepOf(first.log, /^Step \d+\/\d+ : RUN mkdir -p \/deps/)).not.toContain('Using cache');
    const installedAt = await fetchPage(REPO, 'installed-at.txt');

    const second = await deploy(REPO, sha(), multiStageApp('v2', DEPS));
    expect(stepOf(second.log, /^Step \d+\/\d+ : COPY package\.txt/)).toContain('Using cache');
    expect(stepOf(second.log, /^Step \d+\/\d+ : RUN mkdir -p \/deps/)).toContain('Using cache');
    // The sources changed: their steps ran again, on the reused layer.
    expect(stepOf(second.log, /^Step \d+\/\d+ : COPY \. \./)).not.toContain('Using cache');
    expect(await fetchPage(REPO, 'index.html')).toBe('<h1>v2</h1> 2026');
    expect(await fetchPage(REPO, 'installed-at.txt')).toBe(installedAt);

    // A changed manifest installs again.
    await deploy(REPO, sha(), multiStageApp('v3', DEPS_CHANGED));
    expect(await fetchPage(REPO, 'installed-at.txt')).not.toBe(installedAt);
  });

  it('.dockerignore keeps files out of the context, like docker build, and the Dockerfile copied in is the repository\'s own', async () => {
    const files = multiStageApp('v1', DEPS_CHANGED);
    await deploy(IGNORING, sha(), files);
    const listing = (await fetchPage(IGNORING, 'context.txt')).split('\n');
    expect(listing).toEqual(['/src:', '.dockerignore', 'Dockerfile', 'build.sh', 'package.txt', 'src', '', '/src/src:', 'about.html', 'index.html']);
    // A push that changes only ignored files: every step of the build is the cache's.
    const { log } = await deploy(IGNORING, sha(), { ...files, 'NOTES.md': 'changed notes\n', 'src/debug.log': 'changed\n' });
    for (const step of [/COPY package\.txt/, /RUN mkdir -p \/deps/, /COPY \. \./, /RUN sh build\.sh/, /COPY --from=build/]) {
      expect(stepOf(log, new RegExp(`^Step \\d+/\\d+ : ${step.source}`))).toContain('Using cache');
    }
  });

  it('labels cost one step of ours and one of the proxy, and healthy RUN steps print no pids warning', async () => {
    const { log } = await deploy(STATIC, sha(), staticSite('hello'));
    const steps = log.match(/Step \d+\/\d+ : [^\n]*/g)!;
    // FROM, COPY, RUN, EXPOSE, HEALTHCHECK, CMD, then our LABEL line and the proxy's token.
    expect(steps).toHaveLength(8);
    expect(steps[6]).toMatch(/^Step 7\/8 : LABEL "cloud\.helvetia\.managed"="true" "cloud\.helvetia\.repository"="hvtest\/static-/);
    // The proxy's ownership token is a secret of the proxy's: the build log shows it masked.
    expect(steps[7]).toBe('Step 8/8 : LABEL cloud.helvetia.owner=[proxy owner token]');
    expect(log).not.toMatch(/[0-9a-f]{64}/);
    expect(log).not.toMatch(/WITHOUT its limit/);
    const [image] = await bot.docker.listImages({ filters: { label: [`cloud.helvetia.repository=${OWNER}/${STATIC}`] } });
    expect(image!.Labels).toMatchObject({ 'cloud.helvetia.managed': 'true', 'cloud.helvetia.role': 'image', 'cloud.helvetia.instance': bot.prefix });
    expect(await fetchPage(STATIC, '')).toBe('hello');
  });
});
