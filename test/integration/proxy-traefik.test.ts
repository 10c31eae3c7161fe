import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, NO_NET, SOCKET, cleanup, direct, raw, uniquePrefix } from './proxy-harness.js';

const P = uniquePrefix();
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let child: ChildProcess;
let port = 0;
let ownedId = '';
let foreignId = '';

/** Runs `helvetia proxy` as its own process, the way compose runs the second, read-only instance. */
function runCli(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'proxy'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DOCKER_SOCKET: SOCKET, PROXY_LISTEN: '127.0.0.1:0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

beforeAll(async () => {
  const d = direct();
  const owned = await d.createContainer({ name: `${P}-owned`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], Labels: { 'cloud.helvetia.managed': 'true', 'traefik.enable': 'true' }, HostConfig: NO_NET });
  const foreign = await d.createContainer({ name: `${P}-foreign`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], Labels: { 'traefik.enable': 'true' }, HostConfig: NO_NET });
  ownedId = owned.id;
  foreignId = foreign.id;
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
    expect((await raw(port, 'GET', `/containers/${ownedId}/json`)).status).toBe(200);
    expect((await raw(port, 'GET', `/containers/${foreignId}/json`)).status).toBe(403);
  });

  it('streams events', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/events?since=0&until=1', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    expect(status).toBe(200);
  });

  it('refuses everything else, writes first of all', async () => {
    for (const [method, path, rule] of [
      ['POST', '/containers/create', 'profile'], ['POST', `/containers/${ownedId}/start`, 'profile'], ['POST', `/containers/${ownedId}/stop`, 'profile'],
      ['DELETE', `/containers/${ownedId}`, 'profile'], ['GET', `/containers/${ownedId}/logs?stdout=1`, 'profile'], ['GET', '/images/json', 'profile'],
      ['GET', '/info', 'profile'], ['POST', '/build', 'profile'], ['GET', '/networks', 'profile'],
    ] as const) {
      const answer = await raw(port, method, path, method === 'POST' ? '{}' : undefined);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.json.message).toContain(`[${rule}]`);
    }
    expect((await direct().getContainer(ownedId).inspect()).State.Running).toBe(false);
  });

  it('refuses to boot with a write flag on', async () => {
    const bad = runCli({ PROXY_PROFILE: 'traefik', POST: '1' });
    let err = '';
    bad.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((resolve) => bad.once('exit', resolve));
    expect(code).toBe(78);
    expect(err).toContain('POST');
  });
});
