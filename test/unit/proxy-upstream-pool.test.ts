import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Upstream } from '../../src/proxy/upstream.js';

/** A stand-in dockerd on a unix socket: answers every request head with `body`, counting connections. */
async function fakeDaemon(body: string): Promise<{ path: string; connections: () => number; sockets: net.Socket[]; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'upstream-pool-'));
  const path = join(dir, 'docker.sock');
  let connections = 0;
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    connections++;
    sockets.push(socket);
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        pending = pending.slice(end + 4);
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    sockets,
    connections: () => connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function get(upstream: Upstream, backpressure: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('no answer within 2 s')), 2000);
    upstream.send({ method: 'GET', path: '/containers/json', headers: [], body: null }, {
      head: () => undefined,
      data: (chunk) => {
        text += chunk.toString('latin1');
        return !backpressure; // as when the client's socket is full: pause dockerd's side
      },
      end: () => (clearTimeout(timer), resolve(text)),
      error: (error) => (clearTimeout(timer), reject(error)),
    });
  });
}

describe('Upstream connection pool', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => cleanup.splice(0).forEach((f) => f()));

  it('reuses a kept-alive connection even when the previous answer ended under backpressure', async () => {
    const daemon = await fakeDaemon('x'.repeat(100));
    const upstream = new Upstream(daemon.path);
    cleanup.push(() => upstream.close(), daemon.close);
    expect(await get(upstream, true)).toBe('x'.repeat(100));
    // The same connection again: it was paused when the answer ended, and must answer anyway.
    expect(await get(upstream, false)).toBe('x'.repeat(100));
    expect(await get(upstream, false)).toBe('x'.repeat(100));
    expect(daemon.connections()).toBe(1);
  });

  it('does not reuse a connection dockerd wrote to while it sat idle', async () => {
    const daemon = await fakeDaemon('ok');
    const upstream = new Upstream(daemon.path);
    cleanup.push(() => upstream.close(), daemon.close);
    expect(await get(upstream, false)).toBe('ok');
    // An answer nobody asked for arrives on the pooled connection: it must be dropped, not handed to the next request.
    daemon.sockets[0]!.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await get(upstream, false)).toBe('ok');
    expect(daemon.connections()).toBe(2);
  });
});
