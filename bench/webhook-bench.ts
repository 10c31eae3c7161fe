/**
 * Row 1, webhook acknowledgement: signed 25 KB default-branch pushes at a fixed rate (open loop)
 * against `helvetia app` (real Redis, no worker: every delivery is really enqueued) and a bare
 * Probot app with an empty handler, both child processes, same secret, same keep-alive agent
 * settings. The run alternates between the two in segments so drift hits both alike. The load
 * generator runs here, in the bench process (the GitHub double beside it is idle: no worker), and
 * builds and signs every body of the run before the first clock starts; its own lag is reported.
 * CPU time per delivery of each server (and of Redis during our segments) is read from /proc. The
 * worker's intake dispatcher runs beside our app throughout (a child process, no deploy workers),
 * turning each stored delivery into its deploy jobs as production does.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DEPLOY_QUEUE, intakeKeys } from '../src/queue/job-types.js';
import { TEST_PRIVATE_KEY_PATH } from '../test/helpers/env.js';
import { freePort, waitForHttp } from '../test/helpers/processes.js';
import { BENCH_INSTALLATION, BENCH_OWNER, BENCH_SECRET, BenchStack, REDIS_URL, ROOT, randomSha } from './lib/stack.js';
import { stopChildren } from './lib/children.js';
import { openLoop, prepareDeliveries, type OpenLoopResult } from './lib/open-loop.js';
import { PushDeliveries } from './lib/push-payload.js';
import { fmt, median, p99 } from './lib/stats.js';
import { ratio, type BenchRow } from './lib/table.js';

const RATE = 200;
const SECONDS = 20;
const SEGMENTS = 4;
const WARMUP_SECONDS = 2;
const LOG_LEVEL = 'info';
const G = 'Webhook ack';
/** USER_HZ of /proc/<pid>/stat (100 on every mainstream Linux). */
const CLOCK_TICKS = 100;

export async function runWebhookBench(): Promise<BenchRow[]> {
  const stack = new BenchStack({ name: 'ack', env: { LOG_LEVEL } });
  const barePort = await freePort();
  const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-probot.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'], // piped and drained like our app's output (startCli), so both cost the bench alike
    env: { PATH: process.env.PATH ?? '', PORT: String(barePort), WEBHOOK_SECRET: BENCH_SECRET, PRIVATE_KEY_PATH: TEST_PRIVATE_KEY_PATH, LOG_LEVEL },
  });
  bare.stdout!.resume();
  let dispatcher: ReturnType<typeof spawn> | undefined;
  const agents = { ours: new http.Agent({ keepAlive: true, maxSockets: 64 }), bare: new http.Agent({ keepAlive: true, maxSockets: 64 }) };
  try {
    await stack.start({ app: true, worker: false });
    dispatcher = spawn(process.execPath, ['--import', 'tsx', 'bench/intake-dispatcher.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { PATH: process.env.PATH ?? '', REDIS_URL, QUEUE_PREFIX: stack.prefix },
    });
    await new Promise<void>((resolve, reject) => {
      dispatcher!.stdout!.once('data', () => resolve());
      dispatcher!.once('exit', (code) => reject(new Error(`intake dispatcher exited: ${code}`)));
    });
    dispatcher.stdout!.resume();
    await waitForHttp(`http://127.0.0.1:${barePort}/healthz`, 30_000);
    const deliveries = new PushDeliveries({ owner: BENCH_OWNER, repo: stack.repo, installationId: BENCH_INSTALLATION, secret: BENCH_SECRET });
    const targets = {
      ours: `${stack.baseUrl}/api/github/webhooks`,
      bare: `http://127.0.0.1:${barePort}/api/github/webhooks`,
    };
    // Every body of the run is built and signed before any clock starts, and the generator's heap is
    // collected before each segment, so its own garbage collection does not land on a segment's
    // first answers (it did: 5-15 ms pauses, on both sides alike).
    const build = (seconds: number) => prepareDeliveries(RATE * seconds, () => deliveries.next(randomSha()));
    const run = () => [build(WARMUP_SECONDS), ...Array.from({ length: SEGMENTS }, () => build(SECONDS / SEGMENTS))];
    const batches = { ours: run(), bare: run() };
    const load = (name: 'ours' | 'bare', batch: number) => {
      collectGarbage();
      return openLoop({ url: targets[name], ratePerSecond: RATE, agent: agents[name], deliveries: batches[name][batch]! });
    };
    const warm = await load('ours', 0);
    await load('bare', 0);
    const results = { ours: [] as OpenLoopResult[], bare: [] as OpenLoopResult[] };
    const pids = { ours: stack.app!.child.pid!, bare: bare.pid!, redis: redisPid(), dispatcher: dispatcher.pid };
    const cpuMs = { ours: 0, bare: 0, redisOurs: 0, dispatcher: 0 };
    for (let s = 0; s < SEGMENTS; s++) {
      const order: ('ours' | 'bare')[] = s % 2 === 0 ? ['ours', 'bare'] : ['bare', 'ours'];
      for (const name of order) {
        const [app0, redis0, dispatcher0] = [cpuTimeMs(pids[name]), cpuTimeMs(pids.redis), cpuTimeMs(pids.dispatcher)];
        results[name].push(await load(name, s + 1));
        cpuMs[name] += cpuTimeMs(pids[name]) - app0;
        if (name === 'ours') {
          cpuMs.redisOurs += cpuTimeMs(pids.redis) - redis0;
          cpuMs.dispatcher += cpuTimeMs(pids.dispatcher) - dispatcher0;
        }
      }
    }
    const enqueued = await countEnqueued(stack.prefix);
    const summary = (name: 'ours' | 'bare') => {
      const latencies = results[name].flatMap((r) => r.latencies);
      const ok = results[name].reduce((n, r) => n + (r.statuses.get(200) ?? 0), 0);
      const lag = Math.max(...results[name].map((r) => r.senderLagP99));
      return { p50: median(latencies), p99: p99(latencies), sent: latencies.length, ok, lag, cpuUs: (1000 * cpuMs[name]) / latencies.length };
    };
    const [o, b] = [summary('ours'), summary('bare')];
    const desc = (s: typeof o) => `p50 ${fmt(s.p50)} ms · p99 ${fmt(s.p99)} ms`;
    const setup = `${deliveries.bytes} B signed pushes, ${RATE}/s × ${SECONDS} s open loop, ${SEGMENTS} alternating segments`;
    return [
      { group: G, metric: `p99 ack latency (${setup})`, ours: desc(o), baseline: `bare Probot: ${desc(b)}`, ratio: `p99 ${ratio(o.p99, b.p99)} · p50 ${ratio(o.p50, b.p50)}`, target: 'p99 ≤ 15 ms and ≤ 1.3× bare', met: o.p99 <= 15 && o.p99 <= 1.3 * b.p99 },
      {
        group: G,
        metric: 'answered 200 / sent; deploy jobs the dispatcher made of all deliveries (warm-up included); sender lag p99',
        ours: `${o.ok}/${o.sent}; ${enqueued}/${warm.latencies.length + o.sent} jobs; ${fmt(o.lag)} ms`,
        baseline: `bare Probot: ${b.ok}/${b.sent}; ${fmt(b.lag)} ms`,
        target: 'every delivery answered 200 and made a job',
        met: o.ok === o.sent && b.ok === b.sent && enqueued === warm.latencies.length + o.sent,
      },
      {
        group: G,
        metric: 'CPU time per delivery (server process; beside ours: the intake dispatcher, and Redis when its pid is visible)',
        ours: `${fmt(o.cpuUs, 0)} µs + dispatcher ${fmt((1000 * cpuMs.dispatcher) / o.sent, 0)} µs${pids.redis ? ` + Redis ${fmt((1000 * cpuMs.redisOurs) / o.sent, 0)} µs` : ''}`,
        baseline: `bare Probot: ${fmt(b.cpuUs, 0)} µs`,
        ratio: ratio(o.cpuUs, b.cpuUs),
      },
    ];
  } finally {
    agents.ours.destroy();
    agents.bare.destroy();
    await stopChildren([dispatcher, bare]);
    await stack.stop();
  }
}

/**
 * Deploy jobs made from the app's deliveries (a flow waits for its announce child in
 * waiting-children; a deploy superseded within its batch has no child and waits plainly), once
 * the dispatcher has emptied the intake (at most 30 s).
 */
async function countEnqueued(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const queue = new Queue(DEPLOY_QUEUE, { connection: redis, prefix });
  try {
    const deadline = Date.now() + 30_000;
    while ((await redis.hlen(intakeKeys(prefix).pending)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const counts = await queue.getJobCounts('waiting', 'waiting-children');
    return (counts.waiting ?? 0) + (counts['waiting-children'] ?? 0);
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/** A full collection of this process's heap (npm run bench runs node with --expose-gc). */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the webhook benchmark needs node --expose-gc (npm run bench passes it)');
  gc();
}

/** User + system CPU time of a process so far, in ms (Linux /proc; 0 when unreadable). */
function cpuTimeMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** The local redis-server's pid, when this machine runs one we can see. */
function redisPid(): number | undefined {
  try {
    return Number(execFileSync('pgrep', ['-o', '-x', 'redis-server'], { encoding: 'utf8' }).trim()) || undefined;
  } catch {
    return undefined;
  }
}
