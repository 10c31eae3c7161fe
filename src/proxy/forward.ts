import type http from 'node:http';
import { UpstreamError } from './errors.js';
import type { BodyPlan } from './routes/types.js';
import type { Upstream } from './upstream.js';

/** Hop-by-hop and framing headers the proxy sets itself. */
const HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect',
]);

/** Client headers worth passing on (X-Registry-Auth, Content-Type of a tar, ...), minus hop-by-hop ones. */
export function forwardHeaders(raw: readonly string[], drop: ReadonlySet<string> = HOP): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (drop.has(name)) continue;
    const prev = out[name];
    out[name] = prev === undefined ? raw[i + 1]! : ([] as string[]).concat(prev, raw[i + 1]!);
  }
  return out;
}

/**
 * Sends the checked request to dockerd and streams the answer back. Streaming bodies (build
 * contexts, archive uploads) and streaming answers (logs?follow, events, build output, wait) flow
 * both ways without buffering and without any idle timeout.
 */
export function forward(
  upstream: Upstream,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: string,
  body: BodyPlan,
  onError: (error: UpstreamError) => void,
): void {
  const headers: http.OutgoingHttpHeaders = { ...forwardHeaders(req.rawHeaders), host: 'docker' };
  let payload: Buffer | null = null;
  if (body.kind === 'json') {
    payload = Buffer.from(JSON.stringify(body.value), 'utf8');
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
    delete headers['content-encoding'];
  } else if (body.kind === 'stream' && req.headers['content-length'] !== undefined) {
    headers['content-length'] = req.headers['content-length'];
  } else if (body.kind === 'none') {
    if (req.method !== 'GET' && req.method !== 'HEAD') headers['content-length'] = '0';
    delete headers['content-type'];
  }
  const up = upstream.request({ method: req.method ?? 'GET', path: target, headers });
  up.on('error', (error) => onError(new UpstreamError(`Docker daemon: ${error.message}`)));
  up.on('response', (upRes) => {
    const status = upRes.statusCode ?? 502;
    const out = forwardHeaders(upRes.rawHeaders, new Set([...HOP].filter((h) => h !== 'content-length')));
    const framed = upRes.headers['content-length'] !== undefined || upRes.headers['transfer-encoding'] !== undefined;
    if (!framed && req.method !== 'HEAD' && status !== 204 && status !== 304) {
      // dockerd's old-style hijack (200 + raw stream until close): answer the same way, unchunked.
      res.removeHeader('transfer-encoding');
      res.removeHeader('content-length');
      res.shouldKeepAlive = false;
      out.connection = 'close';
    }
    res.writeHead(status, upRes.statusMessage, out);
    res.flushHeaders();
    upRes.pipe(res);
    upRes.on('error', () => res.destroy());
  });
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  if (payload !== null) {
    req.resume();
    up.end(payload);
  } else if (body.kind === 'stream') {
    req.pipe(up);
    req.on('error', () => up.destroy());
  } else {
    req.resume();
    up.end();
  }
}
