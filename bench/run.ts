/**
 * `npm run bench`: every benchmark in one run, one markdown table on stdout, also written to
 * bench/RESULTS.md with the machine, date and commit (`npm run bench -- <section>` runs only the
 * sections whose name contains <section> and leaves RESULTS.md alone). Sections run one after another (never in
 * parallel, so they do not load each other); a failing section becomes a "failed" row.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runBuildSpeedBench } from './build-speed-bench.js';
import { runLatestCommitBench } from './latest-commit-bench.js';
import { runLoadBench } from './load-bench.js';
import { ROOT } from './lib/stack.js';
import { failedRow, renderTable, type BenchRow } from './lib/table.js';
import { runLogsBench } from './logs-bench.js';
import { runMemoryBench } from './memory-bench.js';
import { runOrchestrationBench } from './orchestration-bench.js';
import { runProxyBench } from './proxy-bench.js';
import { runRollbackBench } from './rollback-bench.js';
import { runSwarmBench } from './swarm-bench.js';
import { runWebhookBench } from './webhook-bench.js';

const SECTIONS: [string, () => Promise<BenchRow[]>][] = [
  ['Webhook ack', runWebhookBench],
  ['Orchestration', runOrchestrationBench],
  ['Build speed', runBuildSpeedBench],
  ['Latest commit wins', runLatestCommitBench],
  ['Load', runLoadBench],
  ['Rollback', runRollbackBench],
  ['Swarm', runSwarmBench],
  ['Socket proxy', runProxyBench],
  ['Build logs', runLogsBench],
  ['Idle memory', runMemoryBench],
];

const git = (...args: string[]): string => {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
};

function machine(): string {
  const cpus = os.cpus();
  const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'src') ? ' (src has uncommitted changes)' : '';
  return [
    `- date: ${new Date().toISOString()}`,
    `- commit: ${git('rev-parse', '--short=12', 'HEAD')}${dirty}`,
    `- cores: ${os.availableParallelism()} (${cpus[0]?.model.trim() ?? 'unknown CPU'}), memory ${(os.totalmem() / 2 ** 30).toFixed(1)} GB, load average before the run ${os.loadavg()[0]!.toFixed(2)}`,
    `- node ${process.version}, ${os.type()} ${os.release()}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2).map((a) => a.toLowerCase());
  const header = machine();
  const started = Date.now();
  const rows: BenchRow[] = [];
  for (const [name, run] of SECTIONS) {
    if (only.length > 0 && !only.some((o) => name.toLowerCase().includes(o))) continue;
    const t = Date.now();
    process.stderr.write(`bench: ${name}…\n`);
    try {
      rows.push(...(await run()));
    } catch (error) {
      process.stderr.write(`bench: ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      rows.push(failedRow(name, error));
    }
    process.stderr.write(`bench: ${name} done in ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
  }
  const table = renderTable(rows);
  const runtime = `- runtime of the whole run: ${((Date.now() - started) / 1000).toFixed(0)} s${only.length ? ` (only: ${only.join(', ')})` : ''}`;
  console.log(`${header}\n${runtime}\n\n${table}`);
  const doc = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/run.ts); rerun it to refresh. Medians and p99s of one run in which',
    'every comparison was measured side by side; figures from a busy or shared machine are noisy.',
    '',
    header,
    runtime,
    '',
    table,
    '',
  ].join('\n');
  if (only.length === 0) writeFileSync(join(ROOT, 'bench/RESULTS.md'), doc);
  if (rows.some((r) => r.metric === 'benchmark failed')) process.exitCode = 1;
}

await main();
