import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * Packages each role loads when its entry module is imported (dist, as `node dist/cli.js` runs
 * it), read from node's CommonJS cache in a fresh process. Only CommonJS packages show there, so
 * Probot (ESM) is recognised by pino-http, a CommonJS dependency only Probot brings in.
 */
const PROBOT = 'pino-http';
function packagesLoadedBy(entries: string[]): Set<string> {
  const script = `
    import { createRequire } from 'node:module';
    for (const entry of ${JSON.stringify(entries)}) await import(new URL(entry, 'file://' + process.cwd() + '/').href);
    const cache = createRequire(import.meta.url).cache;
    console.log(JSON.stringify(Object.keys(cache)));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const names = (JSON.parse(out) as string[]).map((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1]).filter((n): n is string => n !== undefined);
  return new Set(names);
}

describe('each role loads only its own modules', () => {
  it('the CLI entry loads neither role before it knows which one runs', () => {
    const loaded = packagesLoadedBy(['dist/main/run-roles.js']);
    for (const name of ['dockerode', PROBOT, 'express', 'bullmq']) expect(loaded, name).not.toContain(name);
  });

  it('the app role never loads the Docker client', () => {
    const loaded = packagesLoadedBy(['dist/main/start-app.js']);
    expect(loaded).toContain(PROBOT); // the check sees what is loaded
    expect(loaded).not.toContain('dockerode');
  });

  it('the worker role never loads Probot or the HTTP framework', () => {
    const loaded = packagesLoadedBy(['dist/main/start-worker.js']);
    expect(loaded).toContain('dockerode');
    for (const name of [PROBOT, 'express']) expect(loaded, name).not.toContain(name);
  });
});
