import { chmod, lstat, unlink } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logger.js';
import { serveMetrics } from '../metrics/metrics-route.js';
import { ProxyMetrics } from '../metrics/proxy-metrics.js';
import { DaemonApiVersion } from './api-version.js';
import { BuildSteps } from './build-steps.js';
import type { ProxyConfig } from './config.js';
import { PolicyError, UpstreamError } from './errors.js';
import { forward } from './forward.js';
import { formatTarget, parseTarget } from './normalize-path.js';
import { Ownership } from './ownership.js';
import { matchRoute } from './path-rules.js';
import { formatQuery } from './query.js';
import { readJsonBody } from './read-body.js';
import type { ForwardPlan, Method } from './routes/types.js';
import { isPure } from './routes/common.js';
import { relayUpgrade } from './upgrade.js';
import { Upstream } from './upstream.js';

export interface ProxyServer {
  /** Starts listening on config.listen; resolves with the bound address (port 0 picks one). */
  listen(): Promise<AddressInfo>;
  /** Stops accepting, drops open and hijacked connections, closes the upstream pool. */
  close(): Promise<void>;
  address(): AddressInfo | null;
  readonly server: http.Server;
}

type Decision = { decision: 'allow' | 'deny' | 'error'; rule: string };
type Authorized = { plan: ForwardPlan; rule: string; target: string };

/** Docker-style error answer: dockerd clients print `message`. */
function errorBody(error: unknown): { status: number; body: string; decision: Decision } {
  if (error instanceof PolicyError) {
    const message = error.rule === 'not-found' ? error.message : `refused by helvetia proxy [${error.rule}]: ${error.message}`;
    return { status: error.status, body: JSON.stringify({ message }), decision: { decision: 'deny', rule: error.rule } };
  }
  const message = error instanceof Error ? error.message : String(error);
  const status = error instanceof UpstreamError ? error.status : 500;
  return { status, body: JSON.stringify({ message: `helvetia proxy: ${message}` }), decision: { decision: 'error', rule: 'upstream' } };
}

/** The socket proxy: checks every request against the flags, path rules, body policy and ownership. */
export function createProxyServer(config: Readonly<ProxyConfig>, logger: Logger): ProxyServer {
  const upstream = new Upstream(config.dockerSocket);
  const ownership = new Ownership(upstream, config.owner, config.allowedNetworks, config.profile === 'swarm' ? ['bridge', 'overlay'] : ['bridge']);
  const apiVersion = new DaemonApiVersion(upstream);
  const relays = new Set<Duplex>();
  // Lines carry only fixed fields (no bodies, no query values such as buildargs), so the root
  // logger's wildcard redaction is skipped on this hot path.
  const log = logger.child({ component: 'proxy' }, { redact: [] });
  const metrics = new ProxyMetrics();
  const buildSteps = new BuildSteps(undefined, undefined, (id, why) => log.warn({ step: id, why }, 'build step not recorded'));

  // Decisions of pure routes (/_ping, /version, container lists, ...) depend on method and URL
  // only; remembering them keeps the hot read path short. Bounded, and config never changes.
  const decided = new Map<string, Authorized>();

  const cacheKey = (req: http.IncomingMessage): string => `${req.method ?? ''} ${req.url ?? ''}`;

  /** Decides a request the cache does not know (onRequest looks there first; upgrades never are). */
  async function authorize(req: http.IncomingMessage, upgrade: boolean): Promise<Authorized> {
    const method = (req.method ?? '') as Method;
    const target = parseTarget(req.url ?? '');
    const { route, params } = matchRoute(method, target.path, config);
    if (upgrade && !route.upgrade) throw new PolicyError('upgrade', `${route.name} cannot switch protocols`);
    const plan = await route.authorize({
      method, target, params, upgrade, ownership, buildSteps, config, apiVersion,
      readJson: () => readJsonBody(req, config.maxBodyBytes),
    });
    const result = { plan, rule: plan.rule ?? route.name, target: formatTarget(target.version, plan.segments, formatQuery(plan.query)) };
    if (!upgrade && isPure(route.authorize)) {
      if (decided.size >= 1024) decided.clear();
      decided.set(cacheKey(req), result);
    }
    return result;
  }

  const clientOf = (req: http.IncomingMessage): string => `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;

  function record(req: http.IncomingMessage, client: string, started: bigint, d: Decision, status: number): void {
    const entry = {
      method: req.method,
      path: (req.url ?? '').split('?', 1)[0]!.slice(0, 1024),
      client,
      decision: d.decision,
      rule: d.rule,
      status,
      durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
    };
    if (d.decision === 'allow') log.info(entry, 'docker api');
    else log.warn(entry, 'docker api');
    metrics.decisions.inc({ rule: d.rule, decision: d.decision });
  }

  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    // Not a Docker API path (dockerd serves metrics elsewhere, if at all): the proxy's own counters.
    if (req.method === 'GET' && req.url === '/metrics') return void serveMetrics(req, res, metrics.registry, undefined).catch(() => res.destroy());
    const started = process.hrtime.bigint();
    const client = clientOf(req);
    let decision: Decision = { decision: 'error', rule: 'unhandled' };
    res.on('close', () => record(req, client, started, decision, res.statusCode));
    const fail = (error: unknown): void => {
      const answer = errorBody(error);
      decision = answer.decision;
      if (res.headersSent) return void res.destroy();
      req.resume();
      res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer.body) });
      res.end(answer.body);
    };
    const allow = ({ plan, rule, target }: Authorized): void => {
      decision = { decision: 'allow', rule };
      forward(upstream, req, res, target, plan, (error) => {
        decision = { decision: 'error', rule };
        fail(error);
      });
    };
    // Known pure decisions (/_ping, lists, ...) are forwarded in the same tick.
    const known = decided.get(cacheKey(req));
    if (!known) return void authorize(req, false).then(allow).catch(fail);
    try {
      allow(known);
    } catch (error) {
      fail(error);
    }
  }

  async function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const started = process.hrtime.bigint();
    const client = clientOf(req);
    socket.on('error', () => socket.destroy());
    try {
      const { rule, target } = await authorize(req, true);
      const relay = relayUpgrade(config.dockerSocket, socket, head, req.method ?? 'POST', target, req.rawHeaders, ({ status }) => {
        relays.delete(relay);
        record(req, client, started, { decision: 'allow', rule }, status);
      });
      relays.add(relay);
    } catch (error) {
      const answer = errorBody(error);
      record(req, client, started, answer.decision, answer.status);
      const reason = answer.status === 404 ? 'Not Found' : answer.status === 403 ? 'Forbidden' : 'Error';
      socket.end(`HTTP/1.1 ${answer.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(answer.body)}\r\nConnection: close\r\n\r\n${answer.body}`);
    }
  }

  const server = http.createServer({ requestTimeout: 0, headersTimeout: 30_000, keepAliveTimeout: 5_000 }, onRequest);
  server.timeout = 0;
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void onUpgrade(req, socket, head));
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex & { remoteAddress?: string; remotePort?: number }) => {
    const body = '{"message":"helvetia proxy: malformed HTTP request"}';
    if (!socket.writable) return void socket.destroy();
    // Requests that never parse are part of the audit trail too (one line, like every decision).
    const client = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    log.warn({ method: null, path: null, client, decision: 'deny', rule: 'malformed', error: error.code ?? error.message, status: 400, durationMs: 0 }, 'docker api');
    metrics.decisions.inc({ rule: 'malformed', decision: 'deny' });
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  });

  return {
    server,
    listen: async () => {
      const { listen } = config;
      if ('path' in listen) await removeStaleSocket(listen.path);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        const bound = () => (server.off('error', reject), resolve());
        if ('path' in listen) server.listen(listen.path, bound);
        else server.listen(listen.port, listen.host, bound);
      });
      if (!('path' in listen)) return server.address() as AddressInfo;
      // Like a TCP port on 127.0.0.1, open to whoever reaches it: the directory (a volume only the
      // proxy and its worker mount) is the boundary, and a worker under another uid must connect.
      await chmod(listen.path, 0o666);
      return { address: listen.path, family: 'unix', port: 0 };
    },
    close: () =>
      new Promise((resolve) => {
        for (const relay of relays) relay.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
        upstream.close();
      }),
    address: () => (server.listening ? (server.address() as AddressInfo) : null),
  };
}

/** A socket file left by a proxy that did not close (killed): replaced. Anything else at the path is an error. */
async function removeStaleSocket(path: string): Promise<void> {
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
  if (!info) return;
  if (!info.isSocket()) throw new Error(`PROXY_LISTEN: ${path} exists and is not a socket`);
  await unlink(path);
}
