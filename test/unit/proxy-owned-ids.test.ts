import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/proxy/errors.js';
import { OwnerTokens } from '../../src/proxy/labels.js';
import { OwnedIds } from '../../src/proxy/owned-ids.js';
import { Ownership } from '../../src/proxy/ownership.js';
import type { Upstream, UpstreamHandlers } from '../../src/proxy/upstream.js';

const OURS = 'a'.repeat(64);
const FOREIGN = 'f'.repeat(64);
const OWNER = new OwnerTokens('unit-test-owner-secret-0123456789abcdef');
const withLabels = (id: string, labels: Record<string, string>) => ({ Id: id, Created: '2026-11-24T00:00:00Z', Config: { Labels: labels }, HostConfig: {} });
const inspectOf = (id: string, owned: boolean) => withLabels(id, owned ? OWNER.labels('object') : {});
const ownership = (upstream: Upstream, ids?: OwnedIds) => new Ownership(upstream, OWNER, [], ['bridge'], ids);

/** A stand-in dockerd behind Ownership: answers container (and image) inspects by name or ID and records every request path. */
function fakeDaemon(containers: Record<string, ReturnType<typeof inspectOf>>): { upstream: Upstream; paths: string[] } {
  const paths: string[] = [];
  const upstream = {
    send(req: { path: string }, on: UpstreamHandlers) {
      paths.push(req.path);
      const ref = /^\/(?:containers|images)\/([^/]+)\/json$/.exec(req.path)?.[1] ?? '';
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
    const check = ownership(daemon.upstream);
    expect(await check.container(OURS)).toBe(OURS);
    expect(await check.container(OURS)).toBe(OURS);
    expect(daemon.paths).toEqual([`/containers/${OURS}/json`]);
  });

  it('a name is inspected every time (it can come to mean another container); the ID it resolved to is remembered', async () => {
    const daemon = fakeDaemon({ web: inspectOf(OURS, true) });
    const check = ownership(daemon.upstream);
    expect(await check.container('web')).toBe(OURS);
    expect(await check.container('web')).toBe(OURS);
    expect(daemon.paths).toEqual(['/containers/web/json', '/containers/web/json']);
    expect(check.owned.has(OURS)).toBe(true);
  });

  it('a foreign container is refused on every request and never remembered', async () => {
    const daemon = fakeDaemon({ [FOREIGN]: inspectOf(FOREIGN, false) });
    const check = ownership(daemon.upstream);
    for (let i = 0; i < 2; i++) await expect(check.container(FOREIGN)).rejects.toSatisfy((e) => e instanceof PolicyError && e.rule === 'not-owned');
    expect(daemon.paths).toHaveLength(2);
    expect(check.owned.has(FOREIGN)).toBe(false);
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
    expect(await ownership(daemon.upstream, ids).container(OURS)).toBe(OURS);
    expect(daemon.paths).toEqual([]);
  });

  it('only this proxy\'s object token makes a container ours: forged, image-inherited or managed-only labels do not, and are never remembered', async () => {
    const cases = {
      managedOnly: { 'cloud.helvetia.managed': 'true' },
      guessed: { 'cloud.helvetia.managed': 'true', 'cloud.helvetia.owner': 'guess' },
      // A container created elsewhere from an image the bot built inherits the image token.
      fromOurImage: OWNER.labels('image'),
      tokenWithoutManaged: { 'cloud.helvetia.owner': OWNER.object },
      otherSecret: new OwnerTokens('another-proxy-secret-0123456789abcdefgh').labels('object'),
    };
    const ids = Object.fromEntries(Object.keys(cases).map((k, i) => [k, String(i + 1).repeat(64)]));
    const daemon = fakeDaemon(Object.fromEntries(Object.entries(cases).map(([k, labels]) => [ids[k]!, withLabels(ids[k]!, labels)])));
    const check = ownership(daemon.upstream);
    for (const [name, id] of Object.entries(ids)) {
      await expect(check.container(id), name).rejects.toSatisfy((e) => e instanceof PolicyError && e.rule === 'not-owned' && !e.message.includes(OWNER.object));
      expect((await check.containerInfo(id)).owned, name).toBe(false);
      expect(check.owned.has(id), name).toBe(false);
    }
  });

  it('images need the image token: the object token or a forged label is not enough', async () => {
    const daemon = fakeDaemon({
      ours: withLabels('sha256:1', OWNER.labels('image')),
      objectToken: withLabels('sha256:2', OWNER.labels('object')),
      forged: withLabels('sha256:3', { 'cloud.helvetia.managed': 'true', 'cloud.helvetia.owner': 'guess' }),
    });
    const check = ownership(daemon.upstream);
    await expect(check.image('ours')).resolves.toBeUndefined();
    await expect(check.freeOrOwnedTag('ours')).resolves.toBeUndefined();
    await expect(check.freeOrOwnedTag('missing')).resolves.toBeUndefined();
    for (const name of ['objectToken', 'forged']) {
      await expect(check.image(name)).rejects.toSatisfy((e) => e instanceof PolicyError && e.rule === 'not-owned');
      await expect(check.freeOrOwnedTag(name)).rejects.toSatisfy((e) => e instanceof PolicyError && e.rule === 'image-tag');
    }
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
