/**
 * Row 2, orchestration overhead: pull_request `opened` webhook → the preview answers its health
 * probe, minus what Docker spent building, creating/starting the container and probing (from
 * dockerd's own /events timestamps). One warm-up deploy, then DEPLOYS measured ones, one at a
 * time, each on its own PR so every deploy is a fresh environment.
 */
import { pullRequestPayload } from '../test/helpers/webhooks.js';
import { calibrateBuilds } from './lib/build-calibration.js';
import { DockerEvents } from './lib/docker-events.js';
import { deploySpans, unionMs, type DeploySpans } from './lib/docker-spans.js';
import { BENCH_INSTALLATION, BENCH_OWNER, BenchStack, randomSha, waitUntil } from './lib/stack.js';
import { fmt, median } from './lib/stats.js';
import type { BenchRow } from './lib/table.js';

const DEPLOYS = 10;
const CALIBRATION_BUILDS = 5;
const G = 'Orchestration';

interface Sample {
  total: number;
  docker: number;
  overhead: number;
  spans: DeploySpans;
  t0: number;
}

export async function runOrchestrationBench(): Promise<BenchRow[]> {
  const stack = new BenchStack({ name: 'orch', env: { WORKER_CONCURRENCY: '2', PREVIEW_MAX_PER_REPO: String(DEPLOYS + 5) } });
  const events = new DockerEvents();
  try {
    await stack.start();
    await events.start(stack.docker);
    const samples: Sample[] = [];
    for (let n = 0; n <= DEPLOYS; n++) {
      const sample = await deployOnce(stack, events, n + 1);
      if (n > 0) samples.push(sample);
    }
    const calibration = await calibrateBuilds({ docker: stack.docker, events, files: (sha) => stack.site('calibration', { 'hvbench.sha': sha }), labels: { 'hvbench.tmp': stack.prefix }, builds: CALIBRATION_BUILDS });
    const hidden = median(calibration.beforeFirstEvent);
    const med = (pick: (s: Sample) => number) => median(samples.map(pick));
    const overhead = med((s) => s.overhead);
    const spanMs = (k: 'build' | 'container' | 'probe') => med((s) => s.spans[k][1] - s.spans[k][0]);
    const pickup = med((s) => s.spans.build[0] - s.t0);
    return [
      {
        group: G,
        metric: `webhook → preview healthy, minus Docker's build + create/start + probe (median of ${DEPLOYS} deploys)`,
        ours: `${fmt(overhead, 0)} ms (min ${fmt(Math.min(...samples.map((s) => s.overhead)), 0)}, max ${fmt(Math.max(...samples.map((s) => s.overhead)), 0)})`,
        target: '≤ 300 ms',
        met: overhead <= 300,
      },
      {
        group: G,
        metric: 'medians: webhook → healthy; Docker time; of which build · create+start · probe; webhook → first build event',
        ours: `${fmt(med((s) => s.total), 0)} ms; ${fmt(med((s) => s.docker), 0)} ms; ${fmt(spanMs('build'), 0)} · ${fmt(spanMs('container'), 0)} · ${fmt(spanMs('probe'), 0)} ms; ${fmt(pickup, 0)} ms`,
      },
      {
        group: G,
        metric: `Docker build time before its first event, which the overhead above still counts (median of ${CALIBRATION_BUILDS} direct builds with the worker's engine)`,
        ours: `${fmt(hidden, 0)} ms → overhead net of it ≈ ${fmt(overhead - hidden, 0)} ms`,
      },
    ];
  } finally {
    events.stop();
    await stack.stop();
  }
}

async function deployOnce(stack: BenchStack, events: DockerEvents, pr: number): Promise<Sample> {
  const sha = randomSha();
  stack.github.addCommit(BENCH_OWNER, stack.repo, sha, stack.site(`preview ${pr}`, {}));
  stack.github.pulls.set(`${stack.repository}#${pr}`, { state: 'open', headSha: sha, headRepo: stack.repository, baseRepo: stack.repository });
  const t0 = Date.now();
  const answer = await stack.send('pull_request', pullRequestPayload({ action: 'opened', owner: BENCH_OWNER, repo: stack.repo, number: pr, sha, installationId: BENCH_INSTALLATION }));
  if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}: ${answer.body}`);
  const check = await waitUntil(`check run of ${sha.slice(0, 7)} concluded`, () => stack.concluded(sha), 60_000, 100);
  const spans = check.body?.conclusion === 'success' ? await waitUntil('its Docker events', () => deploySpans(events, { sha, t0, buildLabel: stack.prefix }), 5_000) : undefined;
  if (!spans) throw new Error(`deploy of pr-${pr} concluded ${check.body?.conclusion}: ${check.body?.output?.summary ?? ''}\n${stack.output().slice(-3000)}`);
  await stack.github.waitQuiet(1_500, 30_000); // paced GitHub writes (1 s apart) drained: the next deploy starts idle
  const total = spans.healthyAt - t0;
  const docker = unionMs([spans.build, spans.container, spans.probe], t0, spans.healthyAt);
  return { total, docker, overhead: total - docker, spans, t0 };
}
