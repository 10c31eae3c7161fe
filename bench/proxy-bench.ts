/**
 * Socket proxy benchmark: the raw Docker socket, our proxy (its own process) and HAProxy with a
 * tecnativa-equivalent config, side by side on the same dockerd, requests interleaved so drift
 * hits all three alike. Container lists are measured twice: on a daemon running nothing, and on
 * the daemon of a host that runs the bot (HOST), where the gated row is. Every loop is bounded;
 * everything started or created is removed.
 *   npx tsx bench/proxy-bench.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { injectOwnerFilter } from '../src/proxy/label-filter.js';
import { OwnerTokens } from '../src/proxy/labels.js';
import { stopChildren } from './lib/children.js';
import { fmt, median, p99, timeMs } from './lib/stats.js';
import { ratio, renderTable, type BenchRow } from './lib/table.js';

/** The bench proxy's owner secret, and the labels its owned containers carry. */
const OWNER_SECRET = randomBytes(32).toString('hex');
const tokens = new OwnerTokens(OWNER_SECRET);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
const IMAGE = 'helvetia-base:latest';
// 100 create+start cycles per target: Docker's own spread on one (tens of ms) left the median of 40
// swinging by ±5 %, wider than the 3 % the row is about.
const N = { warmup: 2000, ping: 2000, list: 500, containers: 100, throughput: 5000, concurrency: 10 };
/**
 * The daemon of a host that runs the bot: the six containers of its own stack (Redis, the two
 * socket proxies, Traefik, app, worker; docker-compose.yml), which the bot does not own, and four
 * deployments, which it does. The proxy is one of those containers, so it never serves an empty daemon.
 */
const HOST = { stack: 6, deployments: 4 };
const FLAGS = { CONTAINERS: '1', POST: '1', IMAGES: '1', NETWORKS: '1', VOLUMES: '1', EXEC: '1', BUILD: '1', ALLOW_START: '1', ALLOW_STOP: '1' };

interface Target {
  name: string;
  agent: http.Agent;
  address: { socketPath: string } | { host: string; port: number };
}

function call(t: Target, method: string, path: string, body?: object): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {};
    const req = http.request({ ...t.address, agent: t.agent, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function ok(t: Target, method: string, path: string, body?: object): Promise<string> {
  const r = await call(t, method, path, body);
  if (r.status >= 300) throw new Error(`${t.name}: ${method} ${path} → ${r.status} ${r.text}`);
  return r.text;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

async function waitForPing(t: Target, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${t.name} exited with ${child.exitCode}`);
    if ((await call(t, 'GET', '/_ping').catch(() => ({ status: 0 }))).status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${t.name} did not answer /_ping`);
}

/**
 * Our proxy as its own process running plain JavaScript, like `node dist/cli.js proxy`: the
 * sources are transpiled (no type check) into a throwaway folder under
 * node_modules/.cache, so the figures do not depend on the rest of the app compiling right now.
 */
function buildProxy(run: string): { dir: string; args: string[]; label: string } {
  const dir = join(ROOT, 'node_modules/.cache/helvetia-proxy-bench', run);
  const sources = listTs(join(ROOT, 'src'));
  for (const source of sources) {
    const rel = relative(ROOT, resolve(ROOT, source));
    const { outputText } = ts.transpileModule(readFileSync(join(ROOT, rel), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      fileName: rel,
    });
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel.replace(/\.ts$/, '.js')), outputText);
  }
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  return { dir, args: [join(dir, 'src/cli.js'), 'proxy'], label: 'node <transpiled src>/cli.js proxy' };
}

const listTs = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listTs(join(dir, e.name)) : e.name.endsWith('.ts') ? [relative(ROOT, join(dir, e.name))] : []));

const rssKb = (pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number => {
  if (pid === undefined) return Number.NaN;
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
};

/** Every ordering of the targets, so that each one follows each other one equally often. */
function orderings<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((first, i) => orderings([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [first, ...rest]));
}

/**
 * Runs fn once per target per round, in a different ordering each round. Rotating one fixed
 * order is not enough: the cycle stays the same, so a target would always run right after the
 * same neighbour (a warm dockerd after the direct socket, say) and carry that bias in every sample.
 */
async function interleaved(targets: Target[], rounds: number, fn: (t: Target, i: number) => Promise<number>): Promise<Map<string, number[]>> {
  const out = new Map(targets.map((t) => [t.name, [] as number[]]));
  const orders = orderings(targets);
  for (let i = 0; i < rounds; i++) {
    for (const t of orders[i % orders.length]!) out.get(t.name)!.push(await fn(t, i));
  }
  return out;
}

async function throughput(t: Target): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < N.throughput) {
      next++;
      await ok(t, 'GET', '/_ping');
    }
  };
  await Promise.all(Array.from({ length: N.concurrency }, worker));
  return N.throughput / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function runProxyBench(): Promise<BenchRow[]> {
  const run = randomBytes(4).toString('hex');
  const workdir = mkdtempSync(join(tmpdir(), 'proxy-bench-'));
  const children: ChildProcess[] = [];
  const agent = () => new http.Agent({ keepAlive: true, maxSockets: N.concurrency });
  const direct: Target = { name: 'direct socket', agent: agent(), address: { socketPath: SOCKET } };
  const agents = [direct.agent];
  const cleanupDirs = [workdir];
  try {
    await ok(direct, 'GET', `/images/${IMAGE}/json`);
    // Containers join a bench-only bridge (like the worker's edge network), created on the socket.
    const network = `proxybench-${run}`;
    await ok(direct, 'POST', '/networks/create', { Name: network, CheckDuplicate: true, Labels: { proxybench: run } });
    const [oursPort, hapPort] = [await freePort(), await freePort()];
    const cmd = buildProxy(run);
    cleanupDirs.push(cmd.dir);
    const ours = spawn(process.execPath, cmd.args, {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
      env: { PATH: process.env.PATH ?? '', DOCKER_SOCKET: SOCKET, PROXY_OWNER_SECRET: OWNER_SECRET, PROXY_LISTEN: `127.0.0.1:${oursPort}`, PROXY_ALLOWED_NETWORKS: network, ...FLAGS },
    });
    const hap = spawn('haproxy', ['-db', '-f', join(ROOT, 'bench/haproxy/haproxy.cfg')], {
      cwd: workdir, stdio: ['ignore', 'ignore', 'inherit'],
      env: { PATH: process.env.PATH ?? '', BIND: `127.0.0.1:${hapPort}`, DOCKER_SOCKET: SOCKET, PING: '1', VERSION: '1', EVENTS: '1', ...FLAGS },
    });
    children.push(ours, hap);
    const oursT: Target = { name: 'ours', agent: agent(), address: { host: '127.0.0.1', port: oursPort } };
    const hapT: Target = { name: 'HAProxy', agent: agent(), address: { host: '127.0.0.1', port: hapPort } };
    agents.push(oursT.agent, hapT.agent);
    await Promise.all([waitForPing(oursT, ours), waitForPing(hapT, hap)]);
    const targets = [direct, oursT, hapT];

    // A long-running proxy serves from optimized code: warm every target's hot paths up first
    // (with 200 rounds the JIT was still compiling ours during the first measured ones).
    await interleaved(targets, N.warmup, (t, i) => timeMs(() => ok(t, 'GET', i % 2 ? '/containers/json' : '/_ping')));
    const ping = await interleaved(targets, N.ping, (t) => timeMs(() => ok(t, 'GET', '/_ping')));
    // Ours lists only owned containers: it asks dockerd for the filtered list, which costs dockerd
    // itself some time. Measured beside the others on the socket, that cost is visible on its own.
    const filtered: Target = { ...direct, name: 'direct, owner filter' };
    const ownerOnly = `/containers/json?filters=${encodeURIComponent(injectOwnerFilter(undefined, tokens.filters('object')))}`;
    const listOn = () => interleaved([...targets, filtered], N.list, (t) => timeMs(() => ok(t, 'GET', t === filtered ? ownerOnly : '/containers/json')));
    const emptyList = await listOn();
    const running = async (i: number, owned: boolean): Promise<void> => {
      const labels = { proxybench: run, ...(owned ? tokens.labels('object') : {}) };
      const { Id } = JSON.parse(await ok(direct, 'POST', `/containers/create?name=proxybench-${run}-host-${i}`, { Image: IMAGE, Cmd: ['sleep', '3600'], Labels: labels, HostConfig: { NetworkMode: network } })) as { Id: string };
      await ok(direct, 'POST', `/containers/${Id}/start`);
    };
    for (let i = 0; i < HOST.stack + HOST.deployments; i++) await running(i, i >= HOST.stack);
    const list = await listOn();
    const createStart = new Map(targets.map((t) => [t.name, [] as number[]]));
    const cycle = await interleaved(targets, N.containers, async (t, i) => {
      const name = `proxybench-${run}-${t.name.replace(/\W/g, '')}-${i}`;
      const started = process.hrtime.bigint();
      const { Id } = JSON.parse(await ok(t, 'POST', `/containers/create?name=${name}`, { Image: IMAGE, Cmd: ['sleep', '30'], Labels: { proxybench: run }, HostConfig: { NetworkMode: network } })) as { Id: string };
      await ok(t, 'POST', `/containers/${Id}/start`);
      createStart.get(t.name)!.push(Number(process.hrtime.bigint() - started) / 1e6);
      await ok(t, 'DELETE', `/containers/${Id}?force=1&v=1`);
      return Number(process.hrtime.bigint() - started) / 1e6;
    });
    const rps = new Map<string, number>();
    for (const t of targets) rps.set(t.name, await throughput(t));
    const rss = { ours: rssKb(ours.pid, 'VmRSS'), oursPeak: rssKb(ours.pid, 'VmHWM'), hap: rssKb(hap.pid, 'VmRSS') };

    const rows: BenchRow[] = [];
    const G = 'Socket proxy';
    const lat = (s: number[]) => `p50 ${fmt(median(s), 3)} ms · p99 ${fmt(p99(s), 3)} ms`;
    const latency = (metric: string, samples: Map<string, number[]>, gated = true): void => {
      const [d, o, h] = [samples.get('direct socket')!, samples.get('ours')!, samples.get('HAProxy')!];
      const base = median(d);
      const [ao, ah] = [median(o) - base, median(h) - base];
      const added = (ms: number) => `${ms >= 0 ? '+' : '−'}${fmt(Math.abs(ms), 3)} ms`;
      rows.push({ group: G, metric: `${metric}: latency (direct socket ${lat(d)})`, ours: `${lat(o)} · ${added(ao)} over direct`, baseline: `HAProxy: ${lat(h)} · ${added(ah)}`, ratio: `p50 ${ratio(median(o), median(h))}`, ...(gated ? { target: 'added p50 ≤ HAProxy', met: ao <= ah } : {}) });
    };
    latency('GET /_ping', ping);
    const host = `${HOST.stack} containers of the bot's stack + ${HOST.deployments} deployments running`;
    latency(`GET /containers/json on the bot's host (${host}; ours lists the ${HOST.deployments} it owns, HAProxy all)`, list);
    latency('GET /containers/json on a daemon running nothing (informative: both answer an empty list)', emptyList, false);
    const filterCost = (samples: Map<string, number[]>) => {
      const ms = median(samples.get(filtered.name)!) - median(samples.get(direct.name)!);
      return `${ms >= 0 ? '+' : '−'}${fmt(Math.abs(ms), 3)} ms`;
    };
    rows.push({ group: G, metric: 'GET /containers/json: dockerd answering the owner-filtered list ours asks for, over the plain list (direct socket, same rounds)', ours: `bot's host: ${filterCost(list)} · daemon running nothing: ${filterCost(emptyList)}` });
    // Docker's own spread on a ~300 ms cycle is several ms either way, so this row informs; the
    // container target is the issue's "create+start within 3 % of direct", in the next row.
    latency('create+start+remove', cycle, false);
    const cs = (name: string) => median(createStart.get(name)!);
    const overhead = (cs('ours') / cs('direct socket') - 1) * 100;
    rows.push({ group: G, metric: 'container create+start, median', ours: `${fmt(cs('ours'))} ms (${overhead >= 0 ? '+' : ''}${fmt(overhead, 2)} % over direct ${fmt(cs('direct socket'))} ms)`, baseline: `HAProxy: ${fmt(cs('HAProxy'))} ms`, ratio: ratio(cs('ours'), cs('HAProxy')), target: '≤ +3 % over direct', met: overhead <= 3 });
    const [ro, rh] = [rps.get('ours')!, rps.get('HAProxy')!];
    rows.push({ group: G, metric: `GET /_ping throughput, concurrency ${N.concurrency} (direct socket ${fmt(rps.get('direct socket')!, 0)} req/s)`, ours: `${fmt(ro, 0)} req/s`, baseline: `HAProxy: ${fmt(rh, 0)} req/s`, ratio: ratio(ro, rh) });
    rows.push({ group: G, metric: `RSS after the run (${cmd.label})`, ours: `${fmt(rss.ours / 1024, 1)} MB (peak ${fmt(rss.oursPeak / 1024, 1)} MB)`, baseline: `HAProxy: ${fmt(rss.hap / 1024, 1)} MB`, ratio: ratio(rss.ours, rss.hap) });
    return rows;
  } finally {
    await stopChildren(children);
    const leftovers = JSON.parse(await ok(direct, 'GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [`proxybench=${run}`] }))}`)) as Array<{ Id: string }>;
    for (const c of leftovers) await call(direct, 'DELETE', `/containers/${c.Id}?force=1&v=1`);
    await call(direct, 'DELETE', `/networks/proxybench-${run}`);
    for (const a of agents) a.destroy();
    for (const dir of cleanupDirs) rmSync(dir, { recursive: true, force: true });
    const cacheDir = join(ROOT, 'node_modules/.cache/helvetia-proxy-bench');
    if (readdirSync(cacheDir, { withFileTypes: true }).length === 0) rmSync(cacheDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runProxyBench()
    .then((rows) => console.log(renderTable(rows)))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
