import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildLogStore } from '../../src/logs/build-log-store.js';
import { signLogToken } from '../../src/logs/log-token.js';
import { deleteKeys, eventually, newRedis, newStore, startLogServer, TEST_SIGNING_KEY, uniquePrefix, type TestServer } from '../helpers/logs-fixtures.js';
import { SseClient } from '../helpers/logs-sse-client.js';

const META = { repository: 'octo/app', sha: 'abc1234', environment: 'production' };

describe('SSE stream of a build log', () => {
  let redis: Redis;
  let writerRedis: Redis;
  let store: BuildLogStore;
  let writer: BuildLogStore;
  let app: TestServer;
  const prefix = uniquePrefix();
  const streamUrl = (id: string) => `${app.baseUrl}/logs/${id}/stream?token=${encodeURIComponent(signLogToken(TEST_SIGNING_KEY, id, Date.now() + 3_600_000))}`;
  const texts = (client: SseClient) => client.lines().map((l) => l[3]);

  beforeAll(async () => {
    redis = newRedis();
    writerRedis = newRedis();
    store = newStore(redis, prefix);
    // The "worker": another store on another connection, as in a separate process.
    writer = newStore(writerRedis, prefix, { tailConnectionName: 'unused-writer-tail' });
    app = await startLogServer(store, { ALLOWED_ORIGINS: 'https://dash.example.com' }, 50);
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await writer.close();
    await deleteKeys(redis, prefix);
    await Promise.all([redis.quit(), writerRedis.quit()]);
  });

  it('replays a finished log and ends with the conclusion, using stream ids as event ids', async () => {
    await writer.open('done', META);
    await writer.append('done', 'one\ntwo\nthree');
    await writer.setStatus('done', 'deployed', { url: 'https://done.preview.example.com' });
    await writer.end('done', 'success');
    const client = await SseClient.connect(streamUrl('done'));
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toMatch(/^text\/event-stream/);
    await client.waitFor((c) => c.ended, 'server to close the stream');
    expect(texts(client)).toEqual(['one', 'two', 'three']);
    const entries = await store.readEntries('done', '0-0', 100);
    const lineIds = entries.filter((e) => e.kind === 'line').map((e) => e.id);
    expect(client.lines().map((l) => l[0])).toEqual(lineIds);
    const linesEvent = client.events.find((e) => e.event === 'lines')!;
    expect(linesEvent.id).toBe(lineIds[2]);
    const end = client.events[client.events.length - 1]!;
    expect(end.event).toBe('end');
    expect(JSON.parse(end.data)).toEqual({ conclusion: 'success', status: 'deployed', url: 'https://done.preview.example.com' });
    expect(end.id).toBe(entries[entries.length - 1]!.id);
  });

  it('tails live lines appended by another process until the end', async () => {
    await writer.open('live', META);
    await writer.append('live', 'before connect');
    const client = await SseClient.connect(streamUrl('live'));
    await client.waitFor((c) => texts(c).includes('before connect'), 'replayed line');
    await writer.setStatus('live', 'building');
    for (let i = 0; i < 5; i++) await writer.append('live', `live ${i}`);
    await client.waitFor((c) => texts(c).length === 6, 'live lines');
    expect(client.ended).toBe(false);
    await writer.end('live', 'failure');
    await client.waitFor((c) => c.ended, 'end');
    expect(texts(client)).toEqual(['before connect', 'live 0', 'live 1', 'live 2', 'live 3', 'live 4']);
    const status = client.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data).status);
    expect(status).toEqual(['queued', 'building']);
    expect(JSON.parse(client.events.at(-1)!.data).conclusion).toBe('failure');
  });

  it('resumes after Last-Event-ID without repeating lines', async () => {
    await writer.open('resume', META);
    await writer.append('resume', 'a\nb\nc');
    const first = await SseClient.connect(streamUrl('resume'));
    await first.waitFor((c) => texts(c).length === 3, 'first lines');
    const lastId = first.events.filter((e) => e.event === 'lines').at(-1)!.id!;
    first.close();
    await writer.append('resume', 'd\ne');
    const second = await SseClient.connect(streamUrl('resume'), { 'Last-Event-ID': lastId });
    await second.waitFor((c) => texts(c).length >= 2, 'resumed lines');
    await writer.end('resume', 'success');
    await second.waitFor((c) => c.ended, 'end');
    expect(texts(second)).toEqual(['d', 'e']);
    const third = await SseClient.connect(`${streamUrl('resume')}&lastEventId=${encodeURIComponent(lastId)}`);
    await third.waitFor((c) => c.ended, 'end via query resume');
    expect(texts(third)).toEqual(['d', 'e']);
    const garbage = await SseClient.connect(streamUrl('resume'), { 'Last-Event-ID': 'not-an-id' });
    await garbage.waitFor((c) => c.ended, 'end with ignored Last-Event-ID');
    expect(texts(garbage)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('sends heartbeat comment lines while the build is quiet', async () => {
    await writer.open('quiet', META);
    const client = await SseClient.connect(streamUrl('quiet'));
    await client.waitFor((c) => c.comments.filter((x) => x === 'heartbeat').length >= 2, 'two heartbeats');
    client.close();
  });

  it('sets SSE CORS headers from getSafeOrigin and refuses other origins', async () => {
    await writer.open('cors', META);
    const allowed = await SseClient.connect(streamUrl('cors'), { Origin: 'https://dash.example.com' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    expect(allowed.headers.vary).toMatch(/Origin/);
    allowed.close();
    const none = await SseClient.connect(streamUrl('cors'));
    expect(none.status).toBe(200);
    expect(none.headers['access-control-allow-origin']).toBeUndefined();
    none.close();
    const evil = await SseClient.connect(streamUrl('cors'), { Origin: 'https://evil.example.com' });
    expect(evil.status).toBe(403);
    expect(evil.headers['content-type']).not.toMatch(/event-stream/);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    await evil.waitFor((c) => c.ended, 'refusal to finish');
    expect(evil.events).toEqual([]);
  });

  it('streams a large replay in order with backpressure', async () => {
    await writer.open('big', META);
    const all = Array.from({ length: 20_000 }, (_, i) => `row ${i} ${'x'.repeat(100)}`);
    await writer.append('big', all.join('\n'));
    await writer.end('big', 'success');
    const client = await SseClient.connect(streamUrl('big'));
    await client.waitFor((c) => c.ended, 'end of big replay', 60_000);
    expect(texts(client)).toEqual(all);
    await eventually(() => store.stats().listeners === 0, 'listeners released');
  });
});
