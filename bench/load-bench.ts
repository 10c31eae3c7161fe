/**
 * Load (issue: hold under load). REPOS repositories over INSTALLATIONS installations each get
 * PUSHES signed pushes within SPREAD_MS, with real builds of a site whose HEALTHCHECK runs every
 * second, the worker behind `helvetia proxy`. Reported: every push acknowledged, every commit's
 * check concluded exactly once, every repository's last commit live, the time to drain; then the
 * same final deploys run back to back (one at a time) for comparison. While the burst drains, one
 * push of an unrelated installation: its push → green, against the same push on an idle bot.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { staticSite } from '../test/helpers/site-fixtures.js';
import { startProxyProcess, type ProxyProcess } from '../test/helpers/proxy-process.js';
import { startCli } from '../test/helpers/processes.js';
import { pushPayload } from '../test/helpers/webhooks.js';
import { BENCH_OWNER, BenchStack, randomSha, sleep, waitUntil } from './lib/stack.js';
import { fmt, median } from './lib/stats.js';
import { ratio, type BenchRow } from './lib/table.js';

const G = 'Load';
/** Sizes; LOAD_REPOS / LOAD_PUSHES / LOAD_INSTALLATIONS / LOAD_SPREAD_S override them for a bigger run by hand. */
const size = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const REPOS = size('LOAD_REPOS', 8);
const PUSHES = size('LOAD_PUSHES', 5);
const INSTALLATIONS = size('LOAD_INSTALLATIONS', 3);
const SPREAD_MS = size('LOAD_SPREAD_S', 20) * 1000;
/** LOAD_TRACE=1: every 15 s, how many checks are open, and at the end the history of any left open. */
const TRACE = process.env.LOAD_TRACE === '1';
const UNRELATED_INSTALLATION = 9_999;

export async function runLoadBench(): Promise<BenchRow[]> {
  const stack = new BenchStack({ name: 'load', env: { BUILD_PIDS_LIMIT: '512', HEALTH_TIMEOUT_SECONDS: '60' } });
  let proxy: ProxyProcess | undefined;
  try {
    await stack.start({ worker: false });
    proxy = await startProxyProcess({ EDGE_NETWORK: stack.network });
    stack.worker = startCli(['worker'], { ...stack.env, DOCKER_HOST: proxy.dockerHost });
    const tag = randomBytes(3).toString('hex');
    const repos = Array.from({ length: REPOS }, (_, i) => ({ repo: `load-${tag}-${i}`, installation: 7_000 + (i % INSTALLATIONS) }));
    const push = async (repo: string, installation: number, body: string): Promise<{ sha: string; t0: number; status: number }> => {
      const sha = randomSha();
      stack.github.addCommit(BENCH_OWNER, repo, sha, staticSite(body));
      const t0 = Date.now();
      const { status } = await stack.send('push', pushPayload({ owner: BENCH_OWNER, repo, sha, installationId: installation }));
      return { sha, t0, status };
    };
    const green = async (sha: string, t0: number, timeoutMs: number): Promise<number> => {
      const check = await waitUntil(`check of ${sha.slice(0, 7)}`, () => stack.concluded(sha), timeoutMs, 50);
      if (check.body?.conclusion !== 'success') throw new Error(`${sha.slice(0, 7)} concluded ${check.body?.conclusion}: ${check.body?.output?.summary ?? ''}`);
      return stack.received.get(check)! - t0;
    };
    // The unrelated installation's push on an idle bot (also warms the base layers).
    const idle: number[] = [];
    for (let i = 0; i < 2; i++) {
      const p = await push(`unrelated-${tag}`, UNRELATED_INSTALLATION, `idle ${i}`);
      idle.push(await green(p.sha, p.t0, 120_000));
      await stack.github.waitQuiet(1_500, 30_000);
    }

    // The burst: pushes spread evenly over SPREAD_MS, round robin over the repositories.
    const sent: { repo: string; sha: string; status: number }[] = [];
    const started = Date.now();
    const total = REPOS * PUSHES;
    for (let n = 0; n < total; n++) {
      const { repo, installation } = repos[n % REPOS]!;
      await sleep(started + (n * SPREAD_MS) / total - Date.now());
      const p = await push(repo, installation, `${repo} push ${Math.floor(n / REPOS)}`);
      sent.push({ repo, sha: p.sha, status: p.status });
    }
    const trace = TRACE ? traceChecks(stack, sent) : undefined;
    const unrelated = await push(`unrelated-${tag}`, UNRELATED_INSTALLATION, 'during the burst');
    const unrelatedGreen = green(unrelated.sha, unrelated.t0, 600_000);
    const last = repos.map(({ repo }) => sent.filter((s) => s.repo === repo).at(-1)!);
    await Promise.all(last.map((s) => green(s.sha, started, 900_000))).finally(() => trace?.stop());
    const drainMs = Math.max(...last.map((s) => stack.received.get(stack.concluded(s.sha)!)!)) - started;
    const duringBurst = await unrelatedGreen;
    await stack.github.waitQuiet(2_000, 60_000);
    const completions = sent.map((s) => stack.github.checkCompletions().filter((c) => stack.github.checkRuns({ sha: s.sha }).some((r) => r.writes.includes(c))).length);
    const acked = sent.filter((s) => s.status === 200).length;
    const once = completions.filter((c) => c === 1).length;

    // The same final deploys, back to back.
    const b2bStarted = Date.now();
    for (const { repo, installation } of repos) {
      const p = await push(repo, installation, `${repo} back to back`);
      await green(p.sha, p.t0, 120_000);
    }
    const backToBackMs = Date.now() - b2bStarted;
    return [
      {
        group: G, metric: `${total} pushes to ${REPOS} repositories in ${INSTALLATIONS} installations within ${SPREAD_MS / 1000} s (HEALTHCHECK every 1 s): acknowledged · concluded exactly once · last commits live`,
        ours: `${acked}/${total} · ${once}/${total} · ${REPOS}/${REPOS}`, target: 'all', met: acked === total && once === total,
      },
      { group: G, metric: 'drain: first push → every last commit live, against the same final deploys back to back', ours: `${fmt(drainMs / 1000, 1)} s`, baseline: `back to back: ${fmt(backToBackMs / 1000, 1)} s`, ratio: ratio(drainMs, backToBackMs), target: '≤ 2×', met: drainMs <= 2 * backToBackMs },
      { group: G, metric: 'an unrelated installation\'s push → green while the burst drains, against the same on an idle bot (median of 2)', ours: `${fmt(duringBurst / 1000, 1)} s`, baseline: `idle: ${fmt(median(idle) / 1000, 1)} s`, ratio: ratio(duringBurst, median(idle)) },
    ];
  } finally {
    await proxy?.process.stop();
    await stack.stop();
  }
}

/** LOAD_TRACE: prints open checks every 15 s; stop() prints each open check's GitHub writes. */
function traceChecks(stack: BenchStack, sent: { repo: string; sha: string }[]): { stop: () => void } {
  const started = Date.now();
  const open = () => sent.filter((s) => stack.github.checkRuns({ sha: s.sha }).length > 0 && !stack.concluded(s.sha));
  const timer = setInterval(() => {
    const created = sent.filter((s) => stack.github.checkRuns({ sha: s.sha }).length > 0).length;
    const done = sent.filter((s) => stack.concluded(s.sha)).length;
    process.stderr.write(`[load +${Math.round((Date.now() - started) / 1000)} s] checks created ${created}, concluded ${done}, open ${open().length}, no check yet ${sent.length - created}\n`);
  }, 15_000);
  return {
    stop: () => {
      clearInterval(timer);
      writeFileSync('/tmp/load-bench-processes.log', stack.output());
      for (const s of open()) {
        const writes = stack.github.checkRuns({ sha: s.sha }).flatMap((c) => c.writes);
        process.stderr.write(`[load] open: ${s.repo} ${s.sha.slice(0, 7)}: ${writes.map((w) => `${w.method} ${w.path} +${((stack.received.get(w) ?? 0) - started) / 1000} s`).join(' · ')}\n`);
      }
    },
  };
}
