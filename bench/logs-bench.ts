/**
 * Build-log fan-out benchmark: 100 SSE viewers (HTTP clients on 127.0.0.1) of one build that
 * emits 2,000 lines/s for 5 s. The app (store + router) runs in a child process, as in production
 * where the worker appends from another process; this process is the worker and the viewers.
 * Measures append→delivery delay per line per viewer and the app process's RSS growth.
 * Run: npx tsx bench/logs-bench.ts
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { Redis } from 'ioredis';
import { createLogger } from '../src/logger.js';
import { BuildLogStore } from '../src/logs/build-log-store.js';
import { loadLogConfig } from '../src/logs/log-config.js';
import { createLogRouter } from '../src/logs/log-router.js';
import { signLogToken } from '../src/logs/log-token.js';
import { SseClient } from '../test/helpers/logs-sse-client.js';
import { fmt, median, percentile } from './lib/stats.js';
import { renderTable, type BenchRow } from './lib/table.js';

const VIEWERS = 100;
const LINES_PER_SECOND = 2000;
const SECONDS = 5;
const TICK_MS = 10;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ENV = { LOG_SIGNING_KEY: 'bench-signing-key-0123456789abcdefghij', APP_BASE_URL: 'http://127.0.0.1:1' };
const MB = 1024 * 1024;
const logger = createLogger({ level: 'silent' });
const newStore = (redis: Redis, prefix: string) => new BuildLogStore({ redis, config: loadLogConfig(ENV), logger, prefix });

type FromApp = { type: 'ready'; port: number } | { type: 'rss'; rss: number; peak: number };

/** Child process: the app serving /logs, sampling its own RSS every 50 ms. */
async function serveApp(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const store = newStore(redis, prefix);
  const app = express().use(createLogRouter({ store, config: loadLogConfig(ENV), logger }));
  const server = app.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.send!({ type: 'ready', port } satisfies FromApp);
  });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'rss') {
      const rss = process.memoryUsage().rss;
      process.send!({ type: 'rss', rss, peak: Math.max(peak, rss) } satisfies FromApp);
      peak = rss;
    } else if (msg.type === 'stop') {
      clearInterval(sampler);
      server.closeAllConnections();
      server.close(() => void store.close().then(() => redis.quit()).then(() => process.exit(0)));
    }
  });
}

function ask(child: ChildProcess, type: 'rss'): Promise<Extract<FromApp, { type: 'rss' }>> {
  return new Promise((done) => {
    const onMessage = (msg: FromApp): void => {
      if (msg.type !== type) return;
      child.off('message', onMessage);
      done(msg);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}

export async function runLogsBench(): Promise<BenchRow[]> {
  const prefix = `helvetia:bench:logs:${randomUUID()}:`;
  const child = fork(fileURLToPath(import.meta.url), ['--serve-logs', prefix], { execArgv: process.execArgv, stdio: 'inherit' });
  const port = await new Promise<number>((done) => child.once('message', (m: FromApp) => m.type === 'ready' && done(m.port)));
  const redis = new Redis(REDIS_URL);
  const writer = newStore(redis, prefix);
  const id = 'bench-build';
  const clients: SseClient[] = [];
  try {
    await writer.open(id, { repository: 'bench/app', sha: 'f'.repeat(40), environment: 'production' });
    const idle = await ask(child, 'rss');
    const token = encodeURIComponent(signLogToken(ENV.LOG_SIGNING_KEY, id, Date.now() + 3_600_000));
    const delays: number[] = [];
    const received = new Array<number>(VIEWERS).fill(0);
    for (let v = 0; v < VIEWERS; v++) {
      const client = await SseClient.connect(`http://127.0.0.1:${port}/logs/${id}/stream?token=${token}`);
      client.onEvent = (event) => {
        if (event.event !== 'lines') return;
        const now = Date.now();
        const lines = JSON.parse(event.data) as [string, number][];
        for (const [, t] of lines) delays.push(now - t);
        received[v]! += lines.length;
        event.data = ''; // keep the bench's own memory flat
      };
      clients.push(client);
    }
    await Promise.all(clients.map((c) => c.waitFor((x) => x.events.some((e) => e.event === 'status'), 'initial status')));
    const connected = await ask(child, 'rss');

    const start = Date.now();
    let sent = 0;
    const total = LINES_PER_SECOND * SECONDS;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((Date.now() - start) * LINES_PER_SECOND) / 1000));
      if (due > sent) {
        const batch = Array.from({ length: due - sent }, (_, i) => `step ${sent + i} \x1b[32mok\x1b[0m ${'x'.repeat(60)}`);
        sent = due;
        void writer.append(id, batch.join('\n'));
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    await writer.end(id, 'success');
    const elapsed = (Date.now() - start) / 1000;
    await Promise.all(clients.map((c) => c.waitFor((x) => x.ended, 'end', 60_000).catch(() => undefined)));
    const afterRun = await ask(child, 'rss');
    const complete = received.filter((n) => n === total).length;
    const p99 = percentile(delays, 99);
    const growth = (Math.max(connected.peak, afterRun.peak) - idle.rss) / MB;
    return [
      {
        group: 'Build logs',
        metric: `append→SSE delivery, ${VIEWERS} viewers × ${LINES_PER_SECOND} lines/s × ${SECONDS} s (${fmt(total / elapsed, 0)} lines/s sent)`,
        ours: `p50 ${fmt(median(delays), 0)} ms · p99 ${fmt(p99, 0)} ms · max ${fmt(percentile(delays, 100), 0)} ms · ${delays.length} deliveries · ${complete}/${VIEWERS} viewers got all ${total} lines`,
        target: 'p99 ≤ 100 ms, every line to every viewer',
        met: p99 <= 100 && complete === VIEWERS,
      },
      {
        group: 'Build logs',
        metric: 'app process RSS (idle → viewers connected → peak while streaming)',
        ours: `${fmt(idle.rss / MB, 1)} MB → ${fmt(connected.rss / MB, 1)} MB → ${fmt(Math.max(connected.peak, afterRun.peak) / MB, 1)} MB (growth ${fmt(growth, 1)} MB)`,
        target: 'growth ≤ 50 MB',
        met: growth <= 50,
      },
    ];
  } finally {
    for (const c of clients) c.close();
    child.send({ type: 'stop' });
    await new Promise((r) => child.once('exit', r));
    await writer.close();
    await writer.delete(id);
    await redis.quit();
  }
}

const self = fileURLToPath(import.meta.url);
if (process.argv.includes('--serve-logs')) {
  await serveApp(process.argv[process.argv.indexOf('--serve-logs') + 1]!);
} else if (process.argv[1] && resolve(process.argv[1]) === self) {
  console.log(renderTable(await runLogsBench()));
}
