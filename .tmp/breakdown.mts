import { randomBytes } from 'node:crypto';
import { staticSite } from '/work/main/test/helpers/site-fixtures.js';
import { startProxyProcess } from '/work/main/test/helpers/proxy-process.js';
import { startCli } from '/work/main/test/helpers/processes.js';
import { pushPayload } from '/work/main/test/helpers/webhooks.js';
import { BENCH_INSTALLATION, BENCH_OWNER, BenchStack, randomSha, waitUntil } from '/work/main/bench/lib/stack.js';
const stack = new BenchStack({ name: 'brk', env: { BUILD_PIDS_LIMIT: '512', LOG_LEVEL: 'info' } });
await stack.start({ worker: false });
const proxy = await startProxyProcess({ EDGE_NETWORK: stack.network });
stack.worker = startCli(['worker'], { ...stack.env, DOCKER_HOST: proxy.dockerHost });
try {
  for (let i = 0; i < 3; i++) {
    const sha = randomSha();
    stack.github.addCommit(BENCH_OWNER, stack.repo, sha, staticSite(`v${i} ${randomBytes(2).toString('hex')}`));
    const t0 = Date.now();
    await stack.send('push', pushPayload({ owner: BENCH_OWNER, repo: stack.repo, sha, installationId: BENCH_INSTALLATION }));
    const check = await waitUntil('check', () => stack.concluded(sha), 60_000, 20);
    const url = new URL(check.body.details_url);
    const log = await (await fetch(`${stack.baseUrl}${url.pathname}.txt${url.search}`)).text();
    if (i === 2) {
      console.log('t0', new Date(t0).toISOString());
      for (const line of log.split('\n')) if (/^\d{4}-/.test(line) && !/^\S+ ( --->|Removing|Successfully)/.test(line)) console.log(line.slice(11, 23), line.slice(25, 140));
      const writes = stack.github.calls.filter((c) => stack.received.get(c)! >= t0).map((c) => `${new Date(stack.received.get(c)!).toISOString().slice(11, 23)} ${c.method} ${c.path} ${c.body?.status ?? ''}${c.body?.conclusion ?? ''}`);
      console.log(writes.join('\n'));
    }
    await stack.github.waitQuiet(1500, 30000);
  }
} finally {
  await proxy.process.stop();
  await stack.stop();
}
