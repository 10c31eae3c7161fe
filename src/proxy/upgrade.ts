import net from 'node:net';
import type { Duplex } from 'node:stream';
import { forwardHeaders } from './forward.js';

/** Headers rebuilt by the proxy on an upgrade; framing headers stay so dockerd reads the same body. */
const UPGRADE_DROP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'host', 'te', 'trailer', 'expect']);

/** Resolves with `head` plus whatever more the client sends until at least `bytes` are there. */
function readAtLeast(client: Duplex, head: Buffer, bytes: number): Promise<Buffer> {
  if (head.length >= bytes) return Promise.resolve(head);
  return new Promise((resolve) => {
    const parts = [head];
    let size = head.length;
    const onData = (chunk: Buffer): void => {
      parts.push(chunk);
      size += chunk.length;
      if (size < bytes) return;
      client.off('data', onData);
      client.pause();
      resolve(Buffer.concat(parts));
    };
    client.on('data', onData);
    client.once('close', () => resolve(Buffer.concat(parts)));
  });
}

export interface UpgradeResult {
  /** Status of dockerd's answer (101, or 200 for a raw-stream hijack, or an error), 0 if none. */
  status: number;
}

/**
 * Relays an attach/exec/session request that switches protocols: the request head is rebuilt from
 * the checked method, path and headers, then both sockets are spliced. dockerd answers
 * "101 UPGRADED" (or the older "200 OK" raw stream) and the connection becomes a raw duplex
 * stream. "Connection: Upgrade, close" makes dockerd close instead of reading a second, unchecked
 * request from the same connection when it does not hijack it (for example on a 404).
 */
export function relayUpgrade(
  socketPath: string,
  client: Duplex,
  head: Buffer,
  method: string,
  target: string,
  rawHeaders: readonly string[],
  onDone: (result: UpgradeResult) => void,
): Duplex {
  const headers = forwardHeaders(rawHeaders, UPGRADE_DROP);
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: docker', 'Connection: Upgrade, close'];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  const up = net.connect(socketPath);
  let status = 0;
  let reported = false;
  up.once('data', (chunk: Buffer) => {
    status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(chunk.subarray(0, 32).toString('latin1'))?.[1] ?? 0);
  });
  // dockerd drops request-body bytes it has buffered with the headers when it hijacks, but reads
  // later ones as stdin: send head and declared body in one write, as a direct client would.
  const declared = Number(headers.find(([n]) => n.toLowerCase() === 'content-length')?.[1] ?? 0) || 0;
  const body = readAtLeast(client, head, declared);
  up.on('connect', () => {
    up.setNoDelay(true);
    void body.then((first) => {
      up.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), first]));
      client.pipe(up);
      up.pipe(client);
    });
  });
  up.on('error', (error) => {
    if (status !== 0 || !client.writable) return;
    const body = JSON.stringify({ message: `Docker daemon unreachable: ${error.message}` });
    status = 502;
    client.write(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  // dockerd closed: flush what is left to the client, then drop the connection.
  up.on('close', () => {
    if (!client.destroyed) client.end(() => client.destroy());
  });
  client.on('error', () => client.destroy());
  client.on('close', () => {
    up.destroy();
    if (!reported) {
      reported = true;
      onDone({ status });
    }
  });
  return up;
}
