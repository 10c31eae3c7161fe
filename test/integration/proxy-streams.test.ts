import http from 'node:http';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, NO_NET, WORKER_FLAGS, cleanup, contextTar, followProgress, startProxy, uniquePrefix, type RunningProxy } from './proxy-harness.js';

const P = uniquePrefix();
let proxy: RunningProxy;
let docker: Docker;

beforeAll(async () => {
  proxy = await startProxy(WORKER_FLAGS);
  docker = proxy.docker;
});

afterAll(async () => {
  await proxy?.close();
  await cleanup(P);
});

/** Reads a stream until `predicate(text)` holds, then destroys it. */
function readUntil(stream: NodeJS.ReadableStream, predicate: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (c: Buffer) => {
      text += c.toString('utf8');
      if (predicate(text)) {
        (stream as unknown as { destroy(): void }).destroy();
        resolve(text);
      }
    });
    stream.on('error', reject);
    stream.on('end', () => (predicate(text) ? resolve(text) : reject(new Error(`stream ended: ${text}`))));
  });
}

describe('streaming and hijacked connections through the proxy', () => {
  it('streams events as they happen', async () => {
    const events = (await docker.getEvents({ filters: { type: ['container'], event: ['create'] } })) as NodeJS.ReadableStream;
    const seen = readUntil(events, (t) => t.includes(`${P}-evented`));
    const c = await docker.createContainer({ name: `${P}-evented`, Image: BASE_IMAGE, Cmd: ['true'], HostConfig: NO_NET });
    expect(await seen).toContain('"Action":"create"');
    await c.remove();
  });

  it('follows logs of a container that prints slowly, and long-polls wait', async () => {
    const c = await docker.createContainer({
      name: `${P}-slow`, Image: BASE_IMAGE, Cmd: ['sh', '-c', 'for i in 1 2 3; do echo tick-$i; sleep 1; done'], HostConfig: NO_NET,
    });
    const waiting = c.wait({ condition: 'next-exit' });
    await c.start();
    const logs = (await c.logs({ follow: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
    const text = await readUntil(logs, (t) => t.includes('tick-3'));
    expect(text.indexOf('tick-1')).toBeLessThan(text.indexOf('tick-3'));
    expect(((await waiting) as { StatusCode: number }).StatusCode).toBe(0);
    await c.remove();
  });

  it('attaches with the Upgrade handshake: stdin in, stdout out', async () => {
    const c = await docker.createContainer({
      name: `${P}-attach`, Image: BASE_IMAGE, Cmd: ['sh', '-c', 'read line; echo "got:$line"'], OpenStdin: true, StdinOnce: true,
      AttachStdin: true, AttachStdout: true, HostConfig: NO_NET,
    });
    const stream = (await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream;
    await c.start();
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    docker.modem.demuxStream(stream, out, out);
    const ended = new Promise((resolve) => stream.on('end', resolve));
    stream.write('hello-attach\n');
    await ended;
    expect(text).toContain('got:hello-attach');
    await c.remove({ force: true });
  });

  it('answers the older hijack (no Upgrade header) as a raw, unchunked 200 stream', async () => {
    const c = await docker.createContainer({ name: `${P}-rawexec`, Image: BASE_IMAGE, Cmd: ['sleep', '60'], HostConfig: NO_NET });
    await c.start();
    const exec = await c.exec({ Cmd: ['sh', '-c', 'echo raw-one; echo raw-two'], AttachStdout: true, AttachStderr: true, Tty: true });
    const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'POST', path: `/exec/${exec.id}/start`, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      });
      req.on('error', reject);
      req.end('{"Detach":false,"Tty":true}');
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/vnd.docker.raw-stream');
    expect(answer.headers['transfer-encoding']).toBeUndefined();
    expect(answer.text).toContain('raw-one');
    expect(answer.text).toContain('raw-two');
    await c.remove({ force: true });
  });

  it('does not cut a silent build (no idle timeout anywhere)', async () => {
    expect(proxy.proxy.server.requestTimeout).toBe(0);
    expect(proxy.proxy.server.timeout).toBe(0);
    const context = await contextTar(`FROM ${BASE_IMAGE}\nRUN sleep 4\nRUN echo after-silence\n`);
    const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: `${P}-silent:1`, rm: true, networkmode: 'none' });
    const output = await followProgress(docker, stream);
    expect(output.map((o) => o.stream ?? '').join('')).toContain('after-silence');
  });

  it('relays a client-side disconnect to dockerd (follow stream ends when the client goes)', async () => {
    const c = await docker.createContainer({ name: `${P}-follow`, Image: BASE_IMAGE, Cmd: ['sh', '-c', 'while true; do echo x; sleep 1; done'], HostConfig: NO_NET });
    await c.start();
    const logs = (await c.logs({ follow: true, stdout: true })) as NodeJS.ReadableStream;
    await readUntil(logs, (t) => t.includes('x'));
    await c.remove({ force: true });
    const line = proxy.logs.filter((l) => l.rule === 'containers.read').at(-1);
    expect(line).toMatchObject({ decision: 'allow', status: 200 });
  });
});
