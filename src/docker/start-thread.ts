import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * A worker thread running `entry` (a module next to the caller, named without extension): the
 * compiled `.js`, or under tsx (tests, bench) the `.ts` one loaded after tsx's loader is registered
 * in the thread (a worker's execArgv cannot `--import`).
 */
export function startThread(callerUrl: string, entry: string, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${entry}.js`, callerUrl), { workerData, resourceLimits });
  // tsx's ES-module API (its CommonJS build cannot register from a thread).
  const api = join(dirname(createRequire(callerUrl).resolve('tsx/package.json')), 'dist/esm/api/index.mjs');
  const target = new URL(`./${entry}.ts`, callerUrl).href;
  const code = `import(${JSON.stringify(pathToFileURL(api).href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(code, { eval: true, workerData, resourceLimits });
}
