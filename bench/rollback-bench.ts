/**
 * Rollback (issue: dashboard, deploy history and instant rollback). Two versions of the
 * six-instruction static site are deployed; then, alternately, "Roll back" is pressed on the check
 * run of the version not serving (a signed check_run.requested_action webhook) until that version
 * answers at the app's alias (a poller container on the edge network, dockerd's clock). Side by
 * side: "Redeploy" of the same commit, which builds again (every layer cached). Worker behind
 * `helvetia proxy`, as in docker-compose.yml.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { staticSite } from '../test/helpers/site-fixtures.js';
import { startProxyProcess, type ProxyProcess } from '../test/helpers/proxy-process.js';
import { startCli } from '../test/helpers/processes.js';
import { checkRunEvent, pushPayload } from '../test/helpers/webhooks.js';
import { whenServed } from './lib/served.js';
import { BENCH_INSTALLATION, BENCH_OWNER, BenchStack, randomSha, waitUntil } from './lib/stack.js';
import { fmt, median, percentile } from './lib/stats.js';
import { ratio, type BenchRow } from './lib/table.js';

const G = 'Rollback';
const ROUNDS = 6;
const APP_ID = 4711;

export async function runRollbackBench(): Promise<BenchRow[]> {
  const stack = new BenchStack({ name: 'rollback', env: { BUILD_PIDS_LIMIT: '512', KEEP_IMAGES: '3', APP_ID: String(APP_ID) } });
  let proxy: ProxyProcess | undefined;
  try {
    await stack.start({ worker: false });
    proxy = await startProxyProcess({ EDGE_NETWORK: stack.network });
    stack.worker = startCli(['worker'], { ...stack.env, DOCKER_HOST: proxy.dockerHost });
    stack.github.writers.add('bench-maintainer');
    const repo = `rollback-${randomBytes(3).toString('hex')}`;
    const alias = `${repo}--${BENCH_OWNER}`;
    const label = { 'hvbench.tmp': stack.prefix };
    const successes = (sha: string) => stack.github.checkRuns({ sha }).filter((c) => c.state.conclusion === 'success');
    const waitSuccess = async (sha: string, count: number) => {
      await waitUntil(`success ${count} of ${sha.slice(0, 7)}`, () => successes(sha).length >= count || undefined, 120_000, 25);
      await stack.github.waitQuiet(1_000, 30_000);
    };
    const versions: { sha: string; body: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const sha = randomSha();
      const body = `version ${i} ${randomBytes(3).toString('hex')}`;
      stack.github.addCommit(BENCH_OWNER, repo, sha, staticSite(body));
      await stack.send('push', pushPayload({ owner: BENCH_OWNER, repo, sha, installationId: BENCH_INSTALLATION }));
      await waitSuccess(sha, 1);
      versions.push({ sha, body });
    }
    const presses: Press[] = [];
    /** Presses `identifier` on the first check run of `version`; ms until its page answers. */
    const press = async (version: { sha: string; body: string }, identifier: 'rollback' | 'redeploy'): Promise<number> => {
      const before = successes(version.sha).length;
      const check = { id: successes(version.sha)[0]!.id, sha: version.sha };
      const served = whenServed(stack.docker, stack.network, alias, version.body, label);
      const t0 = Date.now();
      const payload = checkRunEvent({ owner: BENCH_OWNER, repo, installationId: BENCH_INSTALLATION, appId: APP_ID, sender: 'bench-maintainer' }, 'requested_action', check, identifier);
      const answer = await stack.send('check_run', payload);
      if (answer.status !== 200) throw new Error(`check_run answered ${answer.status}`);
      const servedAt = await served;
      if (identifier === 'rollback') presses.push({ t0, servedAt });
      await waitSuccess(version.sha, before + 1);
      return servedAt - t0;
    };
    const rollbacks: number[] = [];
    const redeploys: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Version 1 serves at the start of each round: roll back to 0, then redeploy 1 (a build).
      rollbacks.push(await press(versions[0]!, 'rollback'));
      redeploys.push(await press(versions[1]!, 'redeploy'));
    }
    if (process.env.ROLLBACK_TRACE === '1') await printRollbackLogs(stack, presses);
    return [
      {
        group: G, metric: `"Roll back" pressed → the kept version answers (six-instruction site, median of ${ROUNDS}), against "Redeploy" of a commit (cached build)`,
        ours: `${fmt(median(rollbacks) / 1000, 2)} s (p99 ${fmt(percentile(rollbacks, 99) / 1000, 2)} s)`, baseline: `redeploy: ${fmt(median(redeploys) / 1000, 2)} s`,
        ratio: ratio(median(rollbacks), median(redeploys)), target: '≤ 2 s', met: median(rollbacks) <= 2_000,
      },
    ];
  } finally {
    await proxy?.process.stop();
    await stack.stop();
  }
}

interface Press {
  t0: number;
  servedAt: number;
}

/**
 * ROLLBACK_TRACE=1: each rollback job's build log, each line with its time since the first, and
 * where the press (webhook sent) and the first answer of the kept version fall on that scale.
 */
async function printRollbackLogs(stack: BenchStack, presses: Press[]): Promise<void> {
  const redis = new Redis(stack.env.REDIS_URL!);
  try {
    const keys = await redis.keys(`${stack.prefix}:log:*rollback-production*`);
    for (const key of keys) {
      if ((await redis.type(key)) !== 'stream') continue;
      const entries = await redis.xrange(key, '-', '+');
      const t0 = Number(entries[0]?.[0].split('-')[0]);
      const press = presses.filter((p) => p.t0 <= t0).at(-1);
      process.stderr.write(`--- ${key}\n${press ? `pressed at ${press.t0 - t0} ms, answered at +${press.servedAt - t0} ms\n` : ''}`);
      for (const [id, fields] of entries) process.stderr.write(`+${Number(id.split('-')[0]) - t0} ms ${fields.join(' ').slice(0, 160)}\n`);
    }
  } finally {
    redis.disconnect();
  }
}
