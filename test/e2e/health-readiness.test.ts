import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotUnderTest } from '../helpers/bot-processes.js';
import { deliver, pushPayload } from '../helpers/webhooks.js';

const OWNER = 'hvtest';
const INSTALLATION = 4444;
const HEALTH_TIMEOUT_SECONDS = 15;
const sha = () => randomBytes(20).toString('hex');

/** A site whose HEALTHCHECK (every second, one failure marks it unhealthy) runs `check`. */
const site = (check: string, cmd = 'exec httpd -f -p 8080 -h /www') => ({
  Dockerfile: [
    'FROM helvetia-base:latest',
    'COPY www /www',
    'COPY check.sh /check.sh',
    'EXPOSE 8080',
    'HEALTHCHECK --interval=1s --timeout=2s --retries=1 CMD sh /check.sh',
    `CMD ["sh", "-c", ${JSON.stringify(cmd)}]`,
    '',
  ].join('\n'),
  'www/index.html': 'up\n',
  'check.sh': `${check}\n`,
});

// Counts its own runs: fails (printing why) the first three times, then passes. Deterministic, whatever the load.
const FAILS_THREE_TIMES = 'n=$(cat /tmp/runs 2>/dev/null || echo 0); echo $((n+1)) > /tmp/runs; if [ "$n" -lt 3 ]; then echo "warming up, check $((n+1))"; exit 1; fi';

describe('health gate as readiness: failing checks mean "not ready yet" until the deadline', () => {
  const bot = new BotUnderTest('e2e-health-readiness', { HEALTH_TIMEOUT_SECONDS: String(HEALTH_TIMEOUT_SECONDS) });
  const { github } = bot;

  beforeAll(() => bot.start());
  afterAll(() => bot.stop());

  async function deploy(files: Record<string, string>): Promise<any> {
    const repo = `ready-${randomBytes(3).toString('hex')}`;
    const commit = sha();
    github.addCommit(OWNER, repo, commit, files);
    const res = await deliver(bot.baseUrl, 'push', pushPayload({ owner: OWNER, repo, sha: commit, installationId: INSTALLATION }), { secret: bot.secret });
    expect(res.status).toBe(200);
    await expect.poll(() => github.checkCompletions(`${OWNER}/${repo}`).length, { timeout: 120_000, interval: 250 }).toBeGreaterThan(0);
    return { check: github.checkCompletions(`${OWNER}/${repo}`).at(-1)!.body, repo };
  }

  it('an app whose health check fails a few times, then passes, goes live', async () => {
    const { check, repo } = await deploy(site(FAILS_THREE_TIMES));
    expect(check.conclusion, check.output?.summary).toBe('success');
    // It really was unhealthy on the way: Docker kept the failed runs.
    const [app] = await bot.docker.listContainers({ filters: { label: [`cloud.helvetia.repository=${OWNER}/${repo}`, 'cloud.helvetia.role=app'] } });
    const log = (await bot.docker.getContainer(app!.Id).inspect()).State.Health!.Log as { ExitCode: number; Output: string }[];
    expect(log.filter((run) => run.ExitCode === 1).map((run) => run.Output.trim()).slice(0, 3)).toEqual(['warming up, check 1', 'warming up, check 2', 'warming up, check 3']);
  });

  it('an app whose health check never passes fails at the deadline, with the check output in the summary', async () => {
    const { check } = await deploy(site('echo "database not reachable at db:5432"; exit 1'));
    expect(check.conclusion).toBe('failure');
    expect(check.output.title).toBe('Container never became healthy');
    expect(check.output.summary).toContain(`not healthy after ${HEALTH_TIMEOUT_SECONDS}s: its HEALTHCHECK did not pass before the deadline (Docker reports it unhealthy); last check: exit 1: database not reachable at db:5432`);
    expect(check.output.summary).toMatch(/health check exit 1: database not reachable/);
  });

  it('an app whose container exits fails at once, naming the exit code, not the deadline', async () => {
    const { check } = await deploy(site('exit 0', 'sleep 1; echo giving up; exit 3'));
    expect(check.conclusion).toBe('failure');
    expect(check.output.summary).toMatch(/Reason \| the container exited with code 3/);
    expect(check.output.summary).not.toContain('deadline');
  });
});
