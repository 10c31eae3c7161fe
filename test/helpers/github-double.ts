import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitHubDoubleUsers } from './github-double-users.js';
import { filesOfTarball, githubTarball } from './tarball.js';
import { repoId } from './webhooks.js';

export interface RecordedCall {
  method: string;
  path: string;
  body: any;
  authorization?: string;
  /** The id the double gave a created object (check runs, deployments, comments). */
  responseId?: number;
}

/** One check run as GitHub would show it: its create and every update merged, in order. */
export interface CheckRunState {
  id: number;
  /** owner/repo */
  repository: string;
  sha: string;
  state: any;
  /** The POST that created it and each PATCH, in order. */
  writes: RecordedCall[];
}

/**
 * A local stand-in for the GitHub REST API (as GHE at /api/v3), over real HTTP on 127.0.0.1:
 * installation tokens, tarballs (with GitHub's 302 to an archive host), check runs, deployments.
 * Records every call so tests can assert what the bot told GitHub.
 */
export class GitHubDouble {
  readonly calls: RecordedCall[] = [];
  readonly tokens: string[] = [];
  private readonly sources = new Map<string, Record<string, string | Buffer>>();
  private readonly archives = new Map<string, Buffer>();
  /** Manifests posted to the app-creation page, by the code GitHub hands back; and the app's key. */
  readonly manifests = new Map<string, { manifest: string; organization?: string }>();
  readonly receivedManifests: { manifest: any; organization?: string }[] = [];
  appPem = '';
  /** Pull requests by "owner/repo#n": what GET /pulls/:n answers. `headRepo: null`: a deleted fork. */
  readonly pulls = new Map<string, { state: 'open' | 'closed'; merged?: boolean; headSha: string; headRepo: string | null; baseRepo: string }>();
  /** Users with write access; everyone else reads. */
  readonly writers = new Set<string>();
  /** The installation covering each repository ("owner/repo"); unknown ones: 404, like GitHub. */
  readonly installations = new Map<string, number>();
  /** Issue comments by id. */
  readonly comments = new Map<number, { issue: string; body: string }>();
  readonly deployments: { id: number; repo: string; environment: string; sha: string }[] = [];
  /** Users: OAuth sign-in and what their tokens see (github-double-users.ts). */
  readonly users = new GitHubDoubleUsers(this.installations);
  private readonly checks = new Map<number, CheckRunState>();
  private server?: Server;
  private nextId = 1000;
  port = 0;

  /** Registers the files of `owner/repo@sha`. */
  addCommit(owner: string, repo: string, sha: string, files: Record<string, string | Buffer>): void {
    this.sources.set(`${owner}/${repo}@${sha}`, files);
  }

  /** Serves `archive` as is for `owner/repo@sha` (an oversized or hostile tarball). */
  addRawArchive(owner: string, repo: string, sha: string, archive: Buffer): void {
    this.archives.set(`${owner}/${repo}@${sha}`, archive);
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req).then(
        ({ status, body, headers }) => {
          // Like GitHub: every API answer says how much of the hour's rate limit is left.
          res.writeHead(status, { 'content-type': 'application/json', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': String(Math.max(0, 5000 - this.calls.length)), ...headers });
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

  /** Resolves once no call came for `quietMs` (at most `timeoutMs`): the bot's paced GitHub writes have drained. */
  async waitQuiet(quietMs: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let count = this.calls.length;
    let since = Date.now();
    while (Date.now() < deadline && Date.now() - since < quietMs) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (this.calls.length !== count) [count, since] = [this.calls.length, Date.now()];
    }
  }

  find(method: string, pattern: RegExp): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && pattern.test(c.path));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const body = !raw ? undefined : form ? Object.fromEntries(new URLSearchParams(raw)) : JSON.parse(raw);
    const call: RecordedCall = { method: req.method ?? 'GET', path, body, authorization: req.headers.authorization };
    this.calls.push(call);
    const userAnswer = this.users.handle(call.method, new URL(req.url ?? '/', 'http://x'), body, req.headers.authorization);
    if (userAnswer) return userAnswer;
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/api\/v3\/app\/installations\/(\d+)\/access_tokens$/)) && req.method === 'POST') {
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      this.tokens.push(token);
      return { status: 201, body: { token, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {}, repository_selection: 'all' } };
    }
    // GitHub's manifest flow: the user confirms on github.com, GitHub sends them back with a code.
    if ((m = path.match(/^\/(?:organizations\/([^/]+)\/)?settings\/apps\/new$/)) && req.method === 'POST') {
      const manifest = JSON.parse(call.body.manifest) as { redirect_url: string };
      const code = `code${this.nextId++}`;
      this.manifests.set(code, { manifest: call.body.manifest, organization: m[1] });
      this.receivedManifests.push({ manifest: JSON.parse(call.body.manifest), organization: m[1] });
      const state = new URL(req.url ?? '/', 'http://x').searchParams.get('state') ?? '';
      return { status: 302, headers: { location: `${manifest.redirect_url}?code=${code}&state=${encodeURIComponent(state)}` } };
    }
    if ((m = path.match(/^\/api\/v3\/app-manifests\/([^/]+)\/conversions$/)) && req.method === 'POST') {
      const found = this.manifests.get(m[1]!);
      this.manifests.delete(m[1]!);
      if (!found) return { status: 404, body: { message: 'Not Found' } };
      const name = (JSON.parse(found.manifest) as { name: string }).name;
      return {
        status: 201,
        body: {
          id: 4711, slug: name.toLowerCase(), name, pem: this.appPem, webhook_secret: `whsec-${randomBytes(8).toString('hex')}`,
          client_id: 'Iv1.double', client_secret: randomBytes(20).toString('hex'), html_url: `http://${this.host}/apps/${name.toLowerCase()}`, owner: { login: found.organization ?? 'someone' },
        },
      };
    }
    if (path === '/api/v3/app' && req.method === 'GET') {
      if (!req.headers.authorization?.startsWith('bearer ') && !req.headers.authorization?.startsWith('Bearer ')) return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
      return { status: 200, body: { id: 777, slug: 'helvetia-double', name: 'helvetia double' } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+\/[^/]+)\/installation$/)) && req.method === 'GET') {
      const id = this.installations.get(m[1]!);
      return id === undefined ? { status: 404, body: { message: 'Not Found' } } : { status: 200, body: { id, app_id: 1, target_type: 'Organization' } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+)\/([^/]+)$/)) && req.method === 'GET') {
      const full = `${m[1]}/${m[2]}`;
      return { status: 200, body: { id: repoId(full), name: m[2], full_name: full, owner: { login: m[1] }, default_branch: 'master' } };
    }
    // The contents API, raw (what the bot asks for): a file's bytes, a folder's listing as JSON, or 404.
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/)) && req.method === 'GET') {
      const ref = new URL(req.url ?? '/', 'http://x').searchParams.get('ref') ?? '';
      const file = decodeURIComponent(m[3]!);
      const raw = this.archives.get(`${m[1]}/${m[2]}@${ref}`);
      const files = raw ? await filesOfTarball(raw) : this.sources.get(`${m[1]}/${m[2]}@${ref}`);
      if (!files) return { status: 404, body: { message: 'No commit found for the ref' } };
      if (files[file] !== undefined) return { status: 200, body: Buffer.from(files[file]!), headers: { 'content-type': 'application/vnd.github.raw; charset=utf-8' } };
      const listing = Object.keys(files).filter((f) => f.startsWith(`${file}/`));
      if (listing.length) return { status: 200, body: listing.map((f) => ({ name: f.slice(file.length + 1), path: f, type: 'file' })) };
      return { status: 404, body: { message: 'Not Found' } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/tarball\/(.+)$/))) {
      return { status: 302, headers: { location: `http://${this.host}/_codeload/${m[1]}/${m[2]}/legacy.tar.gz/${m[3]}` } };
    }
    if ((m = path.match(/^\/_codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/(.+)$/))) {
      const raw = this.archives.get(`${m[1]}/${m[2]}@${m[3]}`);
      if (raw) return { status: 200, body: raw, headers: { 'content-type': 'application/x-gzip' } };
      const files = this.sources.get(`${m[1]}/${m[2]}@${m[3]}`);
      if (!files) return { status: 404, body: { message: 'Not Found' } };
      return { status: 200, body: await githubTarball(m[1]!, m[2]!, m[3]!, files), headers: { 'content-type': 'application/x-gzip' } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+\/[^/]+)\/check-runs$/)) && req.method === 'POST') {
      const id = (call.responseId = this.nextId++);
      this.checks.set(id, { id, repository: m[1]!, sha: call.body.head_sha, state: { ...call.body }, writes: [call] });
      return { status: 201, body: { id, ...call.body } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/)) && req.method === 'PATCH') {
      const check = this.checks.get(Number(m[1]));
      // Ids a test planted in the bot's state (never created here) are updated blindly, as before.
      if (!check) return { status: 200, body: { id: Number(m[1]), ...call.body } };
      check.state = { ...check.state, ...call.body };
      check.writes.push(call);
      return { status: 200, body: { id: check.id, ...check.state } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+\/[^/]+)\/deployments$/)) && req.method === 'POST') {
      const id = this.nextId++;
      this.deployments.push({ id, repo: m[1]!, environment: call.body.environment, sha: call.body.ref });
      return { status: 201, body: { id, ...call.body } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+\/[^/]+)\/deployments$/)) && req.method === 'GET') {
      const environment = new URL(req.url ?? '/', 'http://x').searchParams.get('environment');
      const list = this.deployments.filter((d) => d.repo === m![1] && (!environment || d.environment === environment)).reverse();
      return { status: 200, body: list.map((d) => ({ id: d.id, environment: d.environment, sha: d.sha })) };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)$/)) && req.method === 'GET') {
      const pr = this.pulls.get(`${m[1]}#${m[2]}`);
      if (!pr) return { status: 404, body: { message: 'Not Found' } };
      return { status: 200, body: this.pullBody(Number(m[2]), pr) };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+\/[^/]+)\/pulls$/)) && req.method === 'GET') {
      const state = new URL(req.url ?? '/', 'http://x').searchParams.get('state') ?? 'open';
      return { status: 200, body: this.pullsOf(m[1]!).filter(([, pr]) => state === 'all' || pr.state === state).map(([n, pr]) => this.pullBody(n, pr)) };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+\/[^/]+)\/commits\/([0-9a-f]{40})\/pulls$/)) && req.method === 'GET') {
      return { status: 200, body: this.pullsOf(m[1]!).filter(([, pr]) => pr.headSha === m![2]).map(([n, pr]) => this.pullBody(n, pr)) };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+\/[^/]+)\/collaborators\/([^/]+)\/permission$/))) {
      const permission = this.writers.has(m[2]!) ? 'write' : 'read';
      return { status: 200, body: { permission, role_name: permission, user: { login: m[2] } } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/))) {
      const issue = `${m[1]}#${m[2]}`;
      if (req.method === 'POST') {
        const id = this.nextId++;
        this.comments.set(id, { issue, body: call.body.body });
        return { status: 201, body: { id, body: call.body.body } };
      }
      return { status: 200, body: [...this.comments].filter(([, c]) => c.issue === issue).map(([id, c]) => ({ id, body: c.body })) };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/)) && req.method === 'PATCH') {
      const comment = this.comments.get(Number(m[1]));
      if (!comment) return { status: 404, body: { message: 'Not Found' } };
      comment.body = call.body.body;
      return { status: 200, body: { id: Number(m[1]), body: comment.body } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)\/reactions$/)) && req.method === 'POST') {
      return { status: 201, body: { id: this.nextId++, content: call.body.content } };
    }
    if ((m = path.match(/^\/api\/v3\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/)) && req.method === 'POST') {
      return { status: 201, body: { id: this.nextId++, ...call.body } };
    }
    return { status: 404, body: { message: `double has no route for ${req.method} ${path}` } };
  }

  private pullsOf(repository: string): [number, GitHubDouble['pulls'] extends Map<string, infer P> ? P : never][] {
    return [...this.pulls].filter(([key]) => key.startsWith(`${repository}#`)).map(([key, pr]) => [Number(key.split('#')[1]), pr]);
  }

  /** A pull request as GET /pulls answers it: repositories with their ids (a deleted fork: null). */
  private pullBody(number: number, pr: { state: string; merged?: boolean; headSha: string; headRepo: string | null; baseRepo: string }) {
    const repo = (full: string) => ({ id: repoId(full), full_name: full, name: full.split('/')[1] });
    return {
      number, state: pr.state, merged: pr.merged ?? false,
      head: { sha: pr.headSha, ref: 'topic', repo: pr.headRepo === null ? null : repo(pr.headRepo) },
      base: { ref: 'master', repo: repo(pr.baseRepo) },
    };
  }

  /** The bot comments on a pull request. */
  commentsOn(repository: string, pullRequest: number): string[] {
    return [...this.comments.values()].filter((c) => c.issue === `${repository}#${pullRequest}`).map((c) => c.body);
  }

  /** Check runs created, in order; optionally of one repository (owner/repo) and commit. */
  checkRuns(filter: { repository?: string; sha?: string } = {}): CheckRunState[] {
    return [...this.checks.values()].filter((c) => (!filter.repository || c.repository === filter.repository) && (!filter.sha || c.sha === filter.sha));
  }

  /** The latest check run of a commit as it stands now. */
  checkOf(sha: string): any {
    return this.checkRuns({ sha }).at(-1)?.state;
  }

  /**
   * Every write that left a check run completed, in order: an update, or a create that made it
   * completed at once (a superseded deploy's); optionally of one repository (owner/repo).
   */
  checkCompletions(repository?: string): RecordedCall[] {
    const mine = new Set(this.checkRuns({ repository }).flatMap((c) => c.writes));
    return this.calls.filter((c) => mine.has(c) && c.body?.status === 'completed');
  }

  /** The check-run updates for one check run id, in order. */
  checkRunUpdates(id: number): any[] {
    return this.calls.filter((c) => c.method === 'PATCH' && c.path.endsWith(`/check-runs/${id}`)).map((c) => c.body);
  }
}
