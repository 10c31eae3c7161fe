import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildLogStore } from '../../src/logs/build-log-store.js';
import { signLogToken } from '../../src/logs/log-token.js';
import { deleteKeys, eventually, newRedis, newStore, startLogServer, TEST_SIGNING_KEY, uniquePrefix, type TestServer } from '../helpers/logs-fixtures.js';
import { SseClient } from '../helpers/logs-sse-client.js';

const META = { repository: 'octo/app', sha: 'abc1234', environment: 'production' };
const TAIL_NAME = `leak-tail-${process.pid}-${Date.now()}`;

async function namedConnections(redis: Redis, name: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

describe('1,000 SSE clients come and go', () => {
  let redis: Redis;
  let store: BuildLogStore;
  let app: TestServer;
  const prefix = uniquePrefix();
  const url = (id: string) => `${app.baseUrl}/logs/${id}/stream?token=${encodeURIComponent(signLogToken(TEST_SIGNING_KEY, id, Date.now() + 3_600_000))}`;

  beforeAll(async () => {
    redis = newRedis();
    store = newStore(redis, prefix, { tailConnectionName: TAIL_NAME });
    app = await startLogServer(store, {}, 1000);
    for (const id of ['leak-a', 'leak-b', 'leak-c']) {
      await store.open(id, META);
      await store.append(id, `${id} first line`);
    }
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  const openConnections = () => new Promise<number>((resolve, reject) => app.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));

  it('leaves no Redis connection, tail listener, event listener or socket behind', async () => {
    // Warm up: the first viewer creates the one shared tail connection.
    const warm = await SseClient.connect(url('leak-a'));
    await warm.waitFor((c) => c.lines().length === 1, 'warm-up line');
    warm.close();
    await eventually(async () => store.stats().listeners === 0 && (await openConnections()) === 0, 'warm-up cleanup');
    const before = {
      tailConnections: await namedConnections(redis, TAIL_NAME),
      redisListeners: redis.eventNames().map((e) => redis.listenerCount(e)),
      processListeners: process.eventNames().map((e) => process.listenerCount(e)),
    };
    expect(before.tailConnections).toBe(1);

    for (let wave = 0; wave < 10; wave++) {
      const clients = await Promise.all(
        Array.from({ length: 100 }, (_, i) => SseClient.connect(url(['leak-a', 'leak-b', 'leak-c'][i % 3]!))),
      );
      await Promise.all(clients.map((c) => c.waitFor((x) => x.lines().length >= 1, 'replayed line')));
      // While they are connected, every one is a listener of the single shared tail.
      await eventually(() => store.stats().listeners === 100, 'all 100 clients subscribed');
      expect(store.stats().tailedLogs).toBe(3);
      await store.append('leak-b', `wave ${wave}`);
      const onB = clients.filter((_, i) => i % 3 === 1);
      await Promise.all(onB.map((c) => c.waitFor((x) => x.lines().some((l) => l[3] === `wave ${wave}`), 'live line')));
      expect(await namedConnections(redis, TAIL_NAME)).toBe(1);
      for (const c of clients) c.close();
      await eventually(async () => store.stats().listeners === 0 && (await openConnections()) === 0, 'clients released');
    }

    expect(store.stats()).toMatchObject({ tailedLogs: 0, listeners: 0, connectionOpen: true });
    expect(await namedConnections(redis, TAIL_NAME)).toBe(before.tailConnections);
    expect(redis.eventNames().map((e) => redis.listenerCount(e))).toEqual(before.redisListeners);
    expect(process.eventNames().map((e) => process.listenerCount(e))).toEqual(before.processListeners);

    await store.close();
    expect(store.stats().connectionOpen).toBe(false);
    await eventually(async () => (await namedConnections(redis, TAIL_NAME)) === 0, 'tail connection closed');
  });
});
