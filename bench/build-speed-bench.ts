/**
 * Build speed (issue: push to serving as fast as the Docker engine allows). Side by side in one
 * run, for two apps (test/helpers/site-fixtures.ts), each commit changing one file:
 * - by hand: `docker build` of the same files with the same engine and builder, `docker rm -f` of
 *   the previous container, `docker run`, until the new page answers;
 * - helvetia: a signed push webhook → the new page answers at the app's network alias, with the
 *   worker behind `helvetia proxy` as in docker-compose.yml. Also push → check run green.
 * "Answers" is seen the same way for both: a poller container on the edge network requests the
 * page every 50 ms and dockerd timestamps its output lines. Then a 200 MB source tarball: worker
 * RSS growth and its longest event-loop stall (prom-client's monitor) during that deploy.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { multiStageApp, staticSite } from '../test/helpers/site-fixtures.js';
import { startProxyProcess, type ProxyProcess } from '../test/helpers/proxy-process.js';
import { startCli } from '../test/helpers/processes.js';
import { pushPayload } from '../test/helpers/webhooks.js';
import { BENCH_INSTALLATION, BENCH_OWNER, BenchStack, randomSha, sleep, waitUntil } from './lib/stack.js';
import { whenServed } from './lib/served.js';
import { fmt, median } from './lib/stats.js';
import { ratio, type BenchRow } from './lib/table.js';

const run = promisify(execFile);
const G = 'Build speed';
const ROUNDS = 5;

type Fixture = { name: string; files: (body: string) => Record<string, string> };
const FIXTURES: Fixture[] = [
  { name: 'six-instruction static site', files: (body) => staticSite(body) },
  { name: 'multi-stage app (16 instructions)', files: (body) => multiStageApp(body) },
];

function writeFiles(dir: string, files: Record<string, string>): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content, { mode: path.endsWith('.sh') ? 0o755 : 0o644 });
  }
}

/** By hand: until the page answers, and until Docker reports the container healthy (what Traefik waits for). */
async function byHand(stack: BenchStack, fixture: Fixture, dir: string, round: number): Promise<{ answers: number; healthy: number }> {
  const body = `by hand ${round} ${randomBytes(3).toString('hex')}`;
  writeFiles(dir, fixture.files(body));
  const name = `${stack.prefix}-hand`;
  const tag = `${stack.prefix}-hand:${round}`;
  const served = whenServed(stack.docker, stack.network, name, body, { 'hvbench.tmp': stack.prefix });
  const t0 = Date.now();
  await run('docker', ['build', '-q', '--label', `hvbench.tmp=${stack.prefix}`, '-t', tag, dir], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  await run('docker', ['rm', '-f', name]);
  await run('docker', ['run', '-d', '--name', name, '--network', stack.network, '--label', `hvbench.tmp=${stack.prefix}`, tag]);
  const healthy = await waitUntil('the hand-run container healthy', async () => ((await stack.docker.getContainer(name).inspect()).State.Health?.Status === 'healthy' ? Date.now() : undefined), 60_000, 20);
  return { answers: (await served) - t0, healthy: healthy - t0 };
}

async function byBot(stack: BenchStack, fixture: Fixture, repo: string, round: number): Promise<{ serving: number; green: number }> {
  const body = `helvetia ${round} ${randomBytes(3).toString('hex')}`;
  const sha = randomSha();
  stack.github.addCommit(BENCH_OWNER, repo, sha, fixture.files(body));
  const served = whenServed(stack.docker, stack.network, `${repo}--${BENCH_OWNER}`, body, { 'hvbench.tmp': stack.prefix });
  const t0 = Date.now();
  const answer = await stack.send('push', pushPayload({ owner: BENCH_OWNER, repo, sha, installationId: BENCH_INSTALLATION }));
  if (answer.status !== 200) throw new Error(`push answered ${answer.status}`);
  const check = await waitUntil(`check of ${sha.slice(0, 7)}`, () => stack.concluded(sha), 120_000, 25);
  if (check.body?.conclusion !== 'success') throw new Error(`deploy concluded ${check.body?.conclusion}: ${check.body?.output?.summary ?? ''}`);
  const serving = (await served) - t0;
  await stack.github.waitQuiet(1_500, 30_000);
  return { serving, green: stack.received.get(check)! - t0 };
}

/** Incompressible: 200 MB over the wire and into the context (not into the image). */
const bigFiles = (): Record<string, Buffer> => Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`data/blob-${i}.bin`, randomBytes(5 * 1024 * 1024)]));

/** Worker RSS growth and longest event-loop stall (prom-client's monitor, reset by the scrape before) while `files` deploys. */
async function deployWatched(stack: BenchStack, worker: { pid: number }, metricsUrl: string, files: Record<string, string | Buffer>): Promise<{ rssGrowthMb: number; stallMs: number; seconds: number }> {
  const repo = `watched-${randomBytes(2).toString('hex')}`;
  const sha = randomSha();
  stack.github.addCommit(BENCH_OWNER, repo, sha, files);
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${worker.pid}/status`, 'utf8'))![1]) / 1024;
  const scrapeStall = async () => Number(/^helvetia_worker_nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(await (await fetch(metricsUrl)).text())?.[1] ?? NaN) * 1000;
  await scrapeStall(); // resets the monitor's window
  const before = rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 20);
  const t0 = Date.now();
  try {
    await stack.send('push', pushPayload({ owner: BENCH_OWNER, repo, sha, installationId: BENCH_INSTALLATION }));
    const check = await waitUntil('the watched deploy', () => stack.concluded(sha), 300_000, 100);
    if (check.body?.conclusion !== 'success') throw new Error(`watched deploy concluded ${check.body?.conclusion}: ${check.body?.output?.summary ?? ''}`);
  } finally {
    clearInterval(sampler);
  }
  return { rssGrowthMb: peak - before, stallMs: await scrapeStall(), seconds: (Date.now() - t0) / 1000 };
}

export async function runBuildSpeedBench(): Promise<BenchRow[]> {
  const metricsPort = 20_000 + Math.floor(Math.random() * 20_000);
  const stack = new BenchStack({ name: 'build', env: { WORKER_METRICS_PORT: String(metricsPort), BUILD_PIDS_LIMIT: '512', SOURCE_MAX_BYTES: String(400 * 1024 * 1024), SOURCE_MAX_INFLATED_BYTES: String(800 * 1024 * 1024) } });
  const dir = mkdtempSync(join(tmpdir(), 'hvbench-hand-'));
  let proxy: ProxyProcess | undefined;
  const rows: BenchRow[] = [];
  try {
    await stack.start({ worker: false });
    proxy = await startProxyProcess({ EDGE_NETWORK: stack.network });
    stack.worker = startCli(['worker'], { ...stack.env, DOCKER_HOST: proxy.dockerHost });
    for (const fixture of FIXTURES) {
      const repo = `speed-${randomBytes(2).toString('hex')}`;
      const hand: number[] = [];
      const handHealthy: number[] = [];
      const bot: number[] = [];
      const green: number[] = [];
      for (let round = 0; round <= ROUNDS; round++) {
        // Alternating who goes first; round 0 warms both up (base layers, dependency install).
        const order = round % 2 === 0 ? (['hand', 'bot'] as const) : (['bot', 'hand'] as const);
        for (const who of order) {
          if (who === 'hand') {
            const r = await byHand(stack, fixture, dir, round);
            if (round > 0) hand.push(r.answers), handHealthy.push(r.healthy);
          } else {
            const r = await byBot(stack, fixture, repo, round);
            if (round > 0) bot.push(r.serving), green.push(r.green);
          }
        }
      }
      const [h, hh, b, g] = [median(hand), median(handHealthy), median(bot), median(green)];
      rows.push(
        { group: G, metric: `push → serving, ${fixture.name} (median of ${ROUNDS}; one changed file per commit)`, ours: `${fmt(b, 0)} ms`, baseline: `docker build + rm + run by hand, until it answers: ${fmt(h, 0)} ms`, ratio: ratio(b, h), target: '≤ 1.15×', met: b <= h * 1.15 },
        { group: G, metric: `push → serving, ${fixture.name}, against the same by hand until Docker reports it healthy (when Traefik starts routing to it)`, ours: `${fmt(b, 0)} ms`, baseline: `${fmt(hh, 0)} ms`, ratio: ratio(b, hh) },
        { group: G, metric: `push → check run green, ${fixture.name} (median)`, ours: `${fmt(g, 0)} ms (serving + ${fmt(g - b, 0)} ms)`, target: '≤ serving + 1.5 s', met: g - b <= 1500 },
      );
    }
    const worker = { pid: stack.worker.child.pid! };
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const small = await deployWatched(stack, worker, metricsUrl, staticSite('small one'));
    const big = await deployWatched(stack, worker, metricsUrl, { ...staticSite('big one'), ...bigFiles() });
    rows.push({
      group: G, metric: '200 MB source tarball (incompressible): worker RSS growth · longest event-loop stall · push → green',
      ours: `${fmt(big.rssGrowthMb, 0)} MB · ${fmt(big.stallMs, 0)} ms · ${fmt(big.seconds, 1)} s`, baseline: `a 1 KB site: ${fmt(small.rssGrowthMb, 0)} MB · ${fmt(small.stallMs, 0)} ms · ${fmt(small.seconds, 1)} s`,
      target: '≤ 64 MB · ≤ 50 ms', met: big.rssGrowthMb <= 64 && big.stallMs <= 50,
    });
    return rows;
  } finally {
    await run('docker', ['rm', '-f', `${stack.prefix}-hand`]).catch(() => undefined);
    await proxy?.process.stop();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
