/**
 * Signed ~25 KB default-branch push deliveries built from the real push example of
 * @octokit/webhooks-examples, padded with further commits. The JSON is serialized once; each
 * delivery only swaps in its own `after` SHA and is signed on its own.
 */
import { randomUUID } from 'node:crypto';
import { pushPayload, sign } from '../../test/helpers/webhooks.js';

const PLACEHOLDER = 'a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0';

export interface Delivery {
  body: string;
  headers: Record<string, string>;
}

export class PushDeliveries {
  private readonly template: string;
  private readonly secret: string;

  constructor(opts: { owner: string; repo: string; installationId: number; secret: string; targetBytes?: number }) {
    this.secret = opts.secret;
    const payload = pushPayload({ owner: opts.owner, repo: opts.repo, sha: PLACEHOLDER, installationId: opts.installationId });
    const example = (payload.commits as Record<string, any>[])[0] ?? payload.head_commit;
    const commits: Record<string, any>[] = [...(payload.commits as Record<string, any>[])];
    const target = opts.targetBytes ?? 25 * 1024;
    for (let i = 0; JSON.stringify({ ...payload, commits }).length < target; i++) {
      commits.push({ ...example, id: `${i.toString(16).padStart(8, '0')}${'c'.repeat(32)}`, message: `bench padding commit ${i}: ${'lorem ipsum '.repeat(8)}`, added: [`src/file-${i}.ts`], modified: [`README-${i}.md`] });
    }
    payload.commits = commits;
    this.template = JSON.stringify(payload);
  }

  /** Size of one delivery body in bytes. */
  get bytes(): number {
    return Buffer.byteLength(this.template);
  }

  /** A fresh delivery (new delivery id, `after` = `sha`), signed with the shared secret. */
  next(sha: string): Delivery {
    const body = this.template.replaceAll(PLACEHOLDER, sha);
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': sign(this.secret, body),
      },
    };
  }
}
