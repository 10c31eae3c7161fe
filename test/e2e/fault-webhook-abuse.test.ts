import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_SECRET, FaultStack, randomSha } from '../helpers/fault-stack.js';
import { processMemoryMb } from '../helpers/fault-util.js';
import { deliver, sign } from '../helpers/webhooks.js';

/**
 * Fault drill (issue 7): abusive webhook traffic against the real `helvetia app` process. What
 * test/integration/webhook-server.test.ts already proves in-process (status codes of unsigned,
 * mis-signed and text/plain deliveries) is not repeated; here every abuse must also leave Redis
 * untouched (nothing enqueued under the stack's prefix) and the process alive and healthy.
 */
describe('fault drill: webhook abuse', () => {
  const stack = new FaultStack({ name: 'abuse' });
  const repo = stack.repo('abuse');

  beforeAll(() => stack.start({ worker: false }));
  afterAll(() => stack.stop());

  const signed = (event: string, body: string, deliveryId?: string) => deliver(stack.baseUrl, event, body, { secret: FAULT_SECRET, deliveryId });

  /** Nothing under the stack's prefix in Redis, the process alive, /healthz 200. */
  async function expectUntouched(): Promise<void> {
    // BullMQ writes each queue's :meta key when the app starts; any other key would be a job, a claim or a log.
    expect((await stack.redisKeys()).filter((k) => !k.endsWith(':meta'))).toEqual([]);
    expect(stack.alive(stack.app)).toBe(true);
    expect((await fetch(`${stack.baseUrl}/healthz`)).status).toBe(200);
  }

  /** Streams `totalBytes` of garbage as one webhook body; resolves with the status, or 'reset' when the server cut it off. */
  function streamBody(totalBytes: number, headers: Record<string, string>): Promise<number | 'reset'> {
    return new Promise((resolve) => {
      const url = new URL(`${stack.baseUrl}/api/github/webhooks`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve('reset'));
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      let sent = 0;
      const pump = () => {
        while (sent < totalBytes) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
  }

  it('rejects deliveries missing GitHub headers with 4xx', async () => {
    const body = JSON.stringify(stack.pushPayload(repo, randomSha()));
    const base = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'abuse-1', 'x-hub-signature-256': sign(FAULT_SECRET, body) };
    for (const missing of ['x-github-event', 'x-github-delivery'] as const) {
      const headers: Record<string, string> = { ...base };
      delete headers[missing];
      const res = await fetch(`${stack.baseUrl}/api/github/webhooks`, { method: 'POST', headers, body });
      expect(res.status, missing).toBe(400);
    }
    await expectUntouched();
  });

  it('answers 400 to correctly signed bodies that are not JSON', async () => {
    for (const body of ['{"ref": "refs/heads/master", ', 'not json at all', '']) {
      expect((await signed('push', body)).status, JSON.stringify(body)).toBe(400);
    }
    await expectUntouched();
  });

  it('never answers 5xx (which GitHub would redeliver) to signed JSON of the wrong shape', async () => {
    const shapes = ['{}', '[]', 'null', '42', '"text"', '{"ref": 5, "repository": "x"}', '{"ref":"refs/heads/master","after":null,"repository":{}}'];
    for (const event of ['push', 'pull_request', 'issue_comment', 'check_run']) {
      for (const body of shapes) {
        const { status } = await signed(event, body);
        expect(status, `${event} ${body}`).toBeLessThan(500);
      }
    }
    await expectUntouched();
  });

  it('acknowledges and ignores signed unknown and unhandled events', async () => {
    const payload = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    for (const event of ['ping', 'star', 'not_a_github_event', '../../etc/passwd']) {
      const { status } = await signed(event, payload);
      expect(status, event).toBeGreaterThanOrEqual(200);
      expect(status, event).toBeLessThan(500);
    }
    await expectUntouched();
  });

  it('refuses an oversized body with 413 before buffering it, declared or streamed', async () => {
    const pid = stack.app!.child.pid!;
    const before = processMemoryMb(pid).peak;
    const headers = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'abuse-big', 'x-hub-signature-256': 'sha256=00' };
    // Declared: refused from the Content-Length alone.
    expect([413, 'reset']).toContain(await streamBody(26 * 1024 * 1024, { ...headers, 'content-length': String(26 * 1024 * 1024) }));
    // Chunked, 300 MB: without a cap the app would hold all of it (twice: bytes and string).
    const streamed = await streamBody(300 * 1024 * 1024, { ...headers, 'transfer-encoding': 'chunked' });
    expect([413, 'reset']).toContain(streamed);
    expect(processMemoryMb(pid).peak - before).toBeLessThan(150);
    await expectUntouched();
  });

  it('still enqueues a genuine push afterwards (the checks above were able to see a job)', async () => {
    const res = await stack.push(repo, randomSha(), undefined);
    expect(res.status).toBe(200);
    // No worker runs here: the delivery waits in the intake stream, a key expectUntouched would have seen.
    expect((await stack.redisKeys()).filter((k) => !k.endsWith(':meta'))).toContain(`${stack.prefix}:helvetia-intake`);
    expect(stack.alive(stack.app)).toBe(true);
  });
});
