import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, MANAGED_ONLY, NO_NET, SOCKET, cleanup, direct, ownerLabels, ownerSecret, raw, uniquePrefix } from './proxy-harness.js';

const P = uniquePrefix();
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let child: ChildProcess;
let port = 0;
let ownedId = '';
let foreignId = '';
let forgedId = '';
let started = 0;
/** Shared with the worker's proxy in compose; here a fresh one. */
const SECRET = ownerSecret();
const OWNED = ownerLabels(SECRET);

/** Runs `helvetia proxy` as its own process, the way compose runs the second, read-only instance. */
function runCli(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'proxy'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DOCKER_SOCKET: SOCKET, PROXY_LISTEN: '127.0.0.1:0', PROXY_OWNER_SECRET: SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Its exit code, or 'running' (then it is stopped) if it is still up after `ms`: a proxy that should have refused to boot. */
function exitOf(child: ChildProcess, ms = 20_000): Promise<number | string | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('running');
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

beforeAll(async () => {
  const d = direct();
  started = Math.floor(Date.now() / 1000) - 1;
  // "Owned" as if the worker's proxy (same secret) had created it.
  const owned = await d.createContainer({ name: `${P}-owned`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], Labels: { ...OWNED.object, 'traefik.enable': 'true' }, HostConfig: NO_NET });
  const foreign = await d.createContainer({ name: `${P}-foreign`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], Labels: { 'traefik.enable': 'true' }, HostConfig: NO_NET });
  // The managed label and a guessed owner token, e.g. inherited from a public image: not ours.
  const forged = await d.createContainer({ name: `${P}-forged`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], Labels: { ...MANAGED_ONLY, 'cloud.helvetia.owner': 'guess', 'traefik.enable': 'true' }, HostConfig: NO_NET });
  ownedId = owned.id;
  foreignId = foreign.id;
  forgedId = forged.id;
  for (const c of [owned, foreign, forged]) {
    await c.start();
    await c.stop({ t: 0 });
  }
  child = runCli({ PROXY_PROFILE: 'traefik' });
  port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"listen":"127\.0\.0\.1:(\d+)"/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`proxy exited with ${code}: ${out}`)));
  });
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await cleanup(P);
});

describe('read-only Traefik profile (second instance, PROXY_PROFILE=traefik)', () => {
  it('answers GET /_ping as its health check', async () => {
    const ping = await raw(port, 'GET', '/_ping');
    expect(ping.status).toBe(200);
    expect(ping.text).toBe('OK');
    expect((await raw(port, 'GET', '/v1.41/version')).json.ApiVersion).toBeTruthy();
  });

  it('lists and inspects owned containers only', async () => {
    const list = await raw(port, 'GET', '/v1.41/containers/json?all=1');
    const ids = (list.json as unknown as Array<{ Id: string }>).map((c) => c.Id);
    expect(ids).toContain(ownedId);
    expect(ids).not.toContain(foreignId);
    expect(ids).not.toContain(forgedId);
    const labelled = await raw(port, 'GET', `/v1.41/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: ['traefik.enable=true'] }))}`);
    expect((labelled.json as unknown as Array<{ Id: string }>).map((c) => c.Id).filter((id) => [ownedId, foreignId, forgedId].includes(id))).toEqual([ownedId]);
    expect((await raw(port, 'GET', `/containers/${ownedId}/json`)).status).toBe(200);
    expect((await raw(port, 'GET', `/containers/${foreignId}/json`)).status).toBe(403);
    expect((await raw(port, 'GET', `/containers/${forgedId}/json`)).status).toBe(403);
  });

  it('streams events of owned containers only', async () => {
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const path = `/events?since=${started}&until=${Math.ceil(Date.now() / 1000) + 1}&filters=${encodeURIComponent(JSON.stringify({ type: ['container'] }))}`;
      const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: body }));
      });
      req.on('error', reject);
    });
    expect(status).toBe(200);
    const ids = new Set(text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { Actor?: { ID?: string } }).Actor?.ID));
    expect(ids.has(ownedId)).toBe(true);
    expect(ids.has(foreignId)).toBe(false);
    expect(ids.has(forgedId)).toBe(false);
  });

  it('refuses everything else, writes first of all', async () => {
    for (const [method, path, rule] of [
      ['POST', '/containers/create', 'profile'], ['POST', `/containers/${ownedId}/start`, 'profile'], ['POST', `/containers/${ownedId}/stop`, 'profile'],
      ['DELETE', `/containers/${ownedId}`, 'profile'], ['GET', `/containers/${ownedId}/logs?stdout=1`, 'profile'], ['GET', '/images/json', 'profile'],
      ['GET', '/info', 'profile'], ['POST', '/build', 'profile'], ['GET', '/networks', 'flag'], ['POST', '/networks/create', 'profile'],
    ] as const) {
      const answer = await raw(port, method, path, method === 'POST' ? '{}' : undefined);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.json.message).toContain(`[${rule}]`);
    }
    expect((await direct().getContainer(ownedId).inspect()).State.Running).toBe(false);
  });

  it('refuses to boot without PROXY_OWNER_SECRET, naming it', async () => {
    const bad = runCli({ PROXY_PROFILE: 'traefik', PROXY_OWNER_SECRET: '' });
    let err = '';
    bad.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const code = await exitOf(bad);
    expect(code).toBe(78);
    expect(err).toContain('PROXY_OWNER_SECRET');
  });

  it('refuses to boot with a write flag on', async () => {
    const bad = runCli({ PROXY_PROFILE: 'traefik', POST: '1' });
    let err = '';
    bad.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const code = await exitOf(bad);
    expect(code).toBe(78);
    expect(err).toContain('POST');
  });
});
