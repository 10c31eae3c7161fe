import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/proxy/errors.js';
import { OwnedIds } from '../../src/proxy/owned-ids.js';
import { Ownership } from '../../src/proxy/ownership.js';
import type { Upstream, UpstreamHandlers } from '../../src/proxy/upstream.js';

const OURS = 'a'.repeat(64);
const FOREIGN = 'f'.repeat(64);
const inspectOf = (id: string, owned: boolean) => ({ Id: id, Created: '2026-11-24T00:00:00Z', Config: { Labels: owned ? { 'cloud.helvetia.managed': 'true' } : {} }, HostConfig: {} });

/** A stand-in dockerd behind Ownership: answers container inspects by name or ID and records every request path. */
function fakeDaemon(containers: Record<string, ReturnType<typeof inspectOf>>): { upstream: Upstream; paths: string[] } {
  const paths: string[] = [];
  const upstream = {
    send(req: { path: string }, on: UpstreamHandlers) {
      paths.push(req.path);
      const ref = /^\/containers\/([^/]+)\/json$/.exec(req.path)?.[1] ?? '';
      const found = containers[ref];
      const body = Buffer.from(JSON.stringify(found ?? { message: `No such container: ${ref}` }));
      queueMicrotask(() => {
        on.head({ status: found ? 200 : 404, statusMessage: '', rawHeaders: [], contentLength: body.length, close: false, untilClose: false } as never);
        on.data(body);
        on.end();
      });
      return { resume: () => undefined, abort: () => undefined };
    },
  } as unknown as Upstream;
  return { upstream, paths };
}

const feed = (ids: OwnedIds, ...chunks: string[]): void => {
  const observer = ids.createObserver();
  for (const chunk of chunks) observer.data(Buffer.from(chunk));
  observer.end();
};

describe('owned container IDs remembered by the proxy', () => {
  it('an owned container is inspected once by its full ID; later requests by that ID need no round trip', async () => {
    const daemon = fakeDaemon({ [OURS]: inspectOf(OURS, true) });
    const ownership = new Ownership(daemon.upstream, []);
    expect(await ownership.container(OURS)).toBe(OURS);
    expect(await ownership.container(OURS)).toBe(OURS);
    expect(daemon.paths).toEqual([`/containers/${OURS}/json`]);
  });

  it('a name is inspected every time (it can come to mean another container); the ID it resolved to is remembered', async () => {
    const daemon = fakeDaemon({ web: inspectOf(OURS, true) });
    const ownership = new Ownership(daemon.upstream, []);
    expect(await ownership.container('web')).toBe(OURS);
    expect(await ownership.container('web')).toBe(OURS);
    expect(daemon.paths).toEqual(['/containers/web/json', '/containers/web/json']);
    expect(ownership.owned.has(OURS)).toBe(true);
  });

  it('a foreign container is refused on every request and never remembered', async () => {
    const daemon = fakeDaemon({ [FOREIGN]: inspectOf(FOREIGN, false) });
    const ownership = new Ownership(daemon.upstream, []);
    for (let i = 0; i < 2; i++) await expect(ownership.container(FOREIGN)).rejects.toSatisfy((e) => e instanceof PolicyError && e.rule === 'not-owned');
    expect(daemon.paths).toHaveLength(2);
    expect(ownership.owned.has(FOREIGN)).toBe(false);
  });

  it('learns the ID a create answer announces, and nothing from an error, a short ID or an oversized answer', async () => {
    const ids = new OwnedIds();
    feed(ids, `{"Id":"${OURS.slice(0, 30)}`, `${OURS.slice(30)}","Warnings":[]}`);
    expect(ids.has(OURS)).toBe(true);
    feed(ids, '{"message":"No such image: nope:latest"}');
    feed(ids, '{"Id":"abc123","Warnings":[]}');
    feed(ids, `{"Id":"${'b'.repeat(64)}","Warnings":["${'x'.repeat(70 * 1024)}"]}`);
    feed(ids, `{"Id":"${'c'.repeat(64)}"`); // cut off
    expect([...['abc123', 'b'.repeat(64), 'c'.repeat(64)].map((id) => ids.has(id))]).toEqual([false, false, false]);
    // And a remembered ID skips the inspect: the daemon is never asked.
    const daemon = fakeDaemon({});
    expect(await new Ownership(daemon.upstream, [], ids).container(OURS)).toBe(OURS);
    expect(daemon.paths).toEqual([]);
  });

  it('is bounded: the oldest ID goes first', () => {
    const ids = new OwnedIds(2);
    const [a, b, c] = ['1', '2', '3'].map((d) => d.repeat(64)) as [string, string, string];
    ids.add(a);
    ids.add(b);
    ids.add(c);
    expect([ids.has(a), ids.has(b), ids.has(c)]).toEqual([false, true, true]);
  });
});
