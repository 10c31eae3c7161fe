import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { githubTarball } from './tarball.js';

export interface RecordedCall {
  method: string;
  path: string;
  body: any;
  authorization?: string;
}

/**
 * A local stand-in for the GitHub REST API (as GHE at /api/v3), over real HTTP on 127.0.0.1:
 * installation tokens, tarballs (with GitHub's 302 to an archive host), check runs, deployments.
 * Records every call so tests can assert what the bot told GitHub.
 */
export class GitHubDouble {
  readonly calls: RecordedCall[] = [];
  readonly tokens: string[] = [];
  private readonly sources = new Map<string, Record<string, string>>();
  private server?: Server;
  private nextId = 1000;
  port = 0;

  /** Registers the files of `owner/repo@sha`. */
  addCommit(owner: string, repo: string, sha: string, files: Record<string, string>): void {
    this.sources.set(`${owner}/${repo}@${sha}`, files);
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req).then(
        ({ status, body, headers }) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(Buffer.isBuffer(body) ? body : body === undefined ? '' : JSON.stringify(body));
        },
        (error: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: error.message }));
        },
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  find(method: string, pattern: RegExp): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && pattern.test(c.path));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const call: RecordedCall = { method: req.method ?? 'GET', path, body: raw ? JSON.parse(raw) : undefined, authorization: req.headers.authorization };
    this.calls.push(call);
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/api\/v3\/app\/installations\/(\d+)\/access_tokens$/)) && req.method === 'POST') {
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      this.tokens.push(token);
      return { status: 201, body: { token, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {}, repository_selection: 'all' } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/tarball\/(.+)$/))) {
      return { status: 302, headers: { location: `http://${this.host}/_codeload/${m[1]}/${m[2]}/legacy.tar.gz/${m[3]}` } };
    }
    if ((m = path.match(/^\/_codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/(.+)$/))) {
      const files = this.sources.get(`${m[1]}/${m[2]}@${m[3]}`);
      if (!files) return { status: 404, body: { message: 'Not Found' } };
      return { status: 200, body: await githubTarball(m[1]!, m[2]!, m[3]!, files), headers: { 'content-type': 'application/x-gzip' } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/[^/]+\/[^/]+\/check-runs$/)) && req.method === 'POST') {
      return { status: 201, body: { id: this.nextId++, ...call.body } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/)) && req.method === 'PATCH') {
      return { status: 200, body: { id: Number(m[1]), ...call.body } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/[^/]+\/[^/]+\/deployments$/)) && req.method === 'POST') {
      return { status: 201, body: { id: this.nextId++, ...call.body } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/)) && req.method === 'POST') {
      return { status: 201, body: { id: this.nextId++, ...call.body } };
    }
    return { status: 404, body: { message: `double has no route for ${req.method} ${path}` } };
  }

  /** The check-run updates for one check run id, in order. */
  checkRunUpdates(id: number): any[] {
    return this.calls.filter((c) => c.method === 'PATCH' && c.path.endsWith(`/check-runs/${id}`)).map((c) => c.body);
  }
}
