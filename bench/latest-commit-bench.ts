/**
 * Row 3, latest commit wins: a deployed preview gets PUSHES synchronize events within WINDOW_MS
 * (each commit's build takes ~1 s: `RUN sleep 1`). Counts the builds Docker started and finished
 * (each commit's Dockerfile labels its build with its SHA), the time until every superseded
 * check run was concluded (the GitHub double's clock), and which SHA serves the environment.
 */
import { runInNetwork } from '../test/helpers/docker.js';
import { pullRequestPayload } from '../test/helpers/webhooks.js';
import { DockerEvents } from './lib/docker-events.js';
import { deploySpans } from './lib/docker-spans.js';
import { BENCH_INSTALLATION, BENCH_OWNER, BenchStack, randomSha, sleep, waitUntil } from './lib/stack.js';
import { fmt } from './lib/stats.js';
import type { BenchRow } from './lib/table.js';

const PUSHES = 20;
const WINDOW_MS = 2000;
const G = 'Latest commit wins';

export async function runLatestCommitBench(): Promise<BenchRow[]> {
  const stack = new BenchStack({ name: 'lcw' });
  const events = new DockerEvents();
  const pr = 1;
  const send = (sha: string, action: string) => stack.send('pull_request', pullRequestPayload({ action, owner: BENCH_OWNER, repo: stack.repo, number: pr, sha, installationId: BENCH_INSTALLATION }));
  const commit = (sha: string, body: string) => {
    stack.github.addCommit(BENCH_OWNER, stack.repo, sha, stack.site(body, { 'hvbench.sha': sha }, 'RUN sleep 1'));
    stack.github.pulls.set(`${stack.repository}#${pr}`, { state: 'open', headSha: sha, headRepo: stack.repository, baseRepo: stack.repository });
  };
  try {
    await stack.start();
    const first = randomSha();
    commit(first, 'first');
    await send(first, 'opened');
    await waitUntil('the first preview', () => stack.concluded(first), 90_000, 100);
    await stack.github.waitQuiet(1_500, 30_000);
    await events.start(stack.docker);

    const shas = Array.from({ length: PUSHES }, () => randomSha());
    const t0 = Date.now();
    for (const [i, sha] of shas.entries()) {
      await sleep(t0 + (i * WINDOW_MS) / PUSHES - Date.now());
      commit(sha, `burst ${i}`);
      const answer = await send(sha, 'synchronize');
      if (answer.status !== 200) throw new Error(`synchronize ${i} answered ${answer.status}`);
    }
    const lastPushAt = Date.now();
    const last = shas.at(-1)!;
    await waitUntil('every check run concluded', () => shas.every((sha) => stack.concluded(sha)), 240_000, 200);
    const superseded = shas.slice(0, -1).map((sha) => stack.concluded(sha)!);
    const supersededDone = Math.max(...superseded.map((c) => stack.received.get(c)!));
    const cancelled = superseded.filter((c) => c.body?.conclusion === 'cancelled' && /^Superseded by /.test(c.body?.output?.title ?? '')).length;
    const lastCheck = stack.concluded(last)!;
    const lastReportedAt = stack.received.get(lastCheck)!;
    const lastHealthyAt = deploySpans(events, { sha: last, t0, buildLabel: stack.prefix })?.healthyAt ?? Number.NaN;

    const mine = (sha: string) => shas.includes(sha);
    const started = new Set(events.all((e) => e.type === 'container' && e.action === 'create' && mine(e.attributes['hvbench.sha'] ?? '')).map((e) => e.attributes['hvbench.sha']));
    const finished = new Set(events.all((e) => e.type === 'image' && e.action === 'tag').map((e) => (e.attributes.name ?? '').split(':').pop()!).filter(mine));
    const live = await stack.docker.listContainers({ filters: { label: [`cloud.helvetia.instance=${stack.prefix}`, 'cloud.helvetia.role=app', `cloud.helvetia.environment=pr-${pr}`] } });
    const liveShas = live.map((c) => c.Labels['cloud.helvetia.sha'] ?? '?');
    const host = `pr-${pr}--${stack.repo}--${BENCH_OWNER}`;
    const served = (await runInNetwork(stack.docker, stack.network, ['sh', '-c', `timeout 5 wget -q -O- http://${host}:8080/ || echo NOANSWER`], { 'hvbench.tmp': stack.prefix })).output.trim();
    const lastWins = lastCheck.body?.conclusion === 'success' && liveShas.length === 1 && liveShas[0] === last && served === `burst ${PUSHES - 1}`;
    const s = (ms: number) => `${fmt(ms / 1000, 1)} s`;
    return [
      {
        group: G,
        metric: `${PUSHES} synchronize pushes to one PR in ${WINDOW_MS / 1000} s: builds started / finished`,
        ours: `${started.size} started · ${finished.size} finished`,
      },
      {
        group: G,
        metric: 'every superseded check run concluded (after first push · after last push); superseded ones cancelled',
        ours: `${s(supersededDone - t0)} · ${s(supersededDone - lastPushAt)}; ${cancelled}/${superseded.length} cancelled "Superseded by …"`,
        target: 'all superseded cancelled',
        met: cancelled === superseded.length,
      },
      {
        group: G,
        metric: 'live SHA after the burst (after the last push: answering its probe · check success on GitHub)',
        ours: `${liveShas.map((x) => x.slice(0, 7)).join(', ') || 'none'} serving "${served}" (${s(lastHealthyAt - lastPushAt)} · ${s(lastReportedAt - lastPushAt)})`,
        baseline: `last pushed: ${last.slice(0, 7)}`,
        target: 'the last SHA, alone',
        met: lastWins,
      },
    ];
  } finally {
    events.stop();
    await stack.stop();
  }
}
