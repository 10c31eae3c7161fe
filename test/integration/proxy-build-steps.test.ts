import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUILD_STEP_LIMITS } from '../../src/proxy/build-steps.js';
import { BASE_IMAGE, NO_NET, WORKER_FLAGS, cleanup, contextTar, direct, raw, startProxy, uniquePrefix, type RunningProxy } from './proxy-harness.js';

const P = uniquePrefix();
const MEMORY = 128 * 1024 * 1024;
const ANNOUNCED = /^ ---> Running in ([0-9a-f]{12,64})$/gm;
let proxy: RunningProxy;
let foreignId = '';

beforeAll(async () => {
  proxy = await startProxy(WORKER_FLAGS);
  // Created on the raw socket: neither owned nor a build step (stands for Redis, the proxy, ...).
  // Same memory limit as the build's steps: only its age tells a forged announcement apart.
  const foreign = await direct().createContainer({ name: `${P}-foreign`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], HostConfig: { ...NO_NET, Memory: MEMORY } });
  await foreign.start();
  foreignId = foreign.id;
});

afterAll(async () => {
  await proxy?.close();
  await cleanup(P);
});

const update = (id: string, body: string) => raw(proxy.port, 'POST', `/v1.41/containers/${id}/update`, body);
const pidsLimitOf = async (id: string): Promise<number | null | undefined> => (await direct().getContainer(id).inspect()).HostConfig.PidsLimit;

/** The build's output as it streams (all of it, never paused), and its end. */
function collect(stream: NodeJS.ReadableStream): { text: () => string; done: Promise<void> } {
  let text = '';
  let partial = '';
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => {
      const lines = (partial + c.toString('utf8')).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.trim()) text += (JSON.parse(line) as { stream?: string }).stream ?? '';
    });
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  done.catch(() => undefined); // awaited by the test; a failed test must not leave it unhandled
  return { text: () => text, done };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the pids limit of a build step, through the proxy', () => {
  it('lets the worker tighten a running step of a build it relays, and nothing else', async () => {
    // The step also prints a forged announcement naming the foreign container, then waits for /tmp/go.
    const dockerfile = [
      `FROM ${BASE_IMAGE}`,
      `RUN printf ' ---> Running in %s\\n' ${foreignId.slice(0, 12)}; echo waiting-$((40+2)); i=0; while [ ! -f /tmp/go ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done`,
      '',
    ].join('\n');
    const stream = await proxy.docker.buildImage(Readable.from([await contextTar(dockerfile)]), {
      t: `${P}-steps:1`, memory: MEMORY, memswap: MEMORY, networkmode: 'none', rm: true, forcerm: true, version: '1',
    } as Docker.ImageBuildOptions);
    const build = collect(stream);
    const output = await until('the step to wait', () => (build.text().includes('waiting-42') ? build.text() : undefined));
    const announced = [...output.matchAll(ANNOUNCED)].map((m) => m[1]!);
    expect(announced).toEqual([expect.any(String), foreignId.slice(0, 12)]);
    const step = announced[0]!;
    expect(step).not.toBe(foreignId.slice(0, 12));
    expect((await direct().getContainer(step).inspect()).State.Running).toBe(true);

    // Allowed: exactly {"PidsLimit": n} on the step, applied while it runs.
    const allowed = await update(step, '{"PidsLimit":48}');
    expect(allowed.status, allowed.text).toBe(200);
    expect(await pidsLimitOf(step)).toBe(48);
    const cgroupMax = await new Promise<string>((resolve, reject) => {
      void direct().getContainer(step).exec({ Cmd: ['sh', '-c', 'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max'], AttachStdout: true })
        .then((e) => e.start({ hijack: true, stdin: false }))
        .then((s) => {
          let text = '';
          s.on('data', (c: Buffer) => (text += c.toString('latin1')));
          s.on('end', () => resolve(text));
        }, reject);
    });
    expect(cgroupMax).toContain('48');

    // Refused on the step: any other key, raising it again, no limit at all; and every other call.
    for (const [body, message] of [
      ['{"PidsLimit":32,"Memory":0}', 'Memory is not an allowed field'],
      ['{"PidsLimit":32,"pidslimit":16}', 'twice'],
      ['{"PidsLimit":64}', 'raise the current limit of 48'],
      ['{"PidsLimit":-1}', 'integer from 1'],
      ['{"RestartPolicy":{"Name":"always"}}', 'RestartPolicy is not an allowed field'],
    ] as const) {
      const refused = await update(step, body);
      expect(refused.status, body).toBe(403);
      expect(refused.json.message).toContain('refused by helvetia proxy [build-step-update]');
      expect(refused.json.message).toContain(message);
    }
    expect(await pidsLimitOf(step)).toBe(48);
    for (const [method, path] of [['POST', 'kill'], ['POST', 'stop'], ['GET', 'json'], ['POST', 'exec']] as const) {
      const refused = await raw(proxy.port, method, `/v1.41/containers/${step}/${path}`, method === 'POST' ? '{}' : undefined);
      expect(refused.status, path).toBe(403);
      expect(refused.json.message, path).toMatch(/\[(not-owned|flag)\]/);
    }

    // The foreign container, even named by the step's forged announcement, stays untouchable.
    const forged = await update(foreignId, '{"PidsLimit":48}');
    expect(forged.status).toBe(403);
    expect(forged.json.message).toContain('[build-step-update]');
    expect(forged.json.message).toContain('created before that build started');
    expect(await pidsLimitOf(foreignId)).not.toBe(48);

    await direct().getContainer(step).exec({ Cmd: ['touch', '/tmp/go'] }).then((e) => e.start({ Detach: true }));
    await build.done;
    expect(build.text()).toContain('Successfully built');
    expect(proxy.logs).toContainEqual(expect.objectContaining({ decision: 'allow', rule: 'containers.update-build-step', status: 200, path: `/v1.41/containers/${step}/update` }));
    expect(proxy.logs.filter((l) => l.rule === 'containers.update-build-step' && l.decision === 'allow')).toHaveLength(1);
  });

  it('refuses the same update on a container that is neither owned nor a build step, changing nothing', async () => {
    // The build that named it (in a forged announcement) ended; its steps are forgotten 5 s later.
    await new Promise((resolve) => setTimeout(resolve, DEFAULT_BUILD_STEP_LIMITS.endGraceMs + 100));
    const before = await direct().getContainer(foreignId).inspect();
    for (const id of [foreignId, foreignId.slice(0, 12), `${P}-foreign`]) {
      const refused = await update(id, '{"PidsLimit":48}');
      expect(refused.status, id).toBe(403);
      expect(refused.json.message).toMatch(/^refused by helvetia proxy \[not-owned\]: container .* is not managed by helvetia .* and is not a step of a build this proxy is relaying$/);
    }
    const after = await direct().getContainer(foreignId).inspect();
    expect(after.HostConfig).toEqual(before.HostConfig);
    expect(after.State.Running).toBe(true);
    expect(proxy.logs).toContainEqual(expect.objectContaining({ decision: 'deny', rule: 'not-owned', status: 403, path: `/v1.41/containers/${foreignId}/update` }));
  });

  it('still applies the full update policy to an owned container', async () => {
    const owned = await proxy.docker.createContainer({ name: `${P}-owned`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], HostConfig: NO_NET });
    const ok = await update(owned.id, '{"PidsLimit":64,"Memory":67108864,"MemorySwap":67108864}');
    expect(ok.status, ok.text).toBe(200);
    expect((await direct().getContainer(owned.id).inspect()).HostConfig).toMatchObject({ PidsLimit: 64, Memory: 67108864 });
    const privileged = await update(owned.id, '{"Privileged":true}');
    expect(privileged.status).toBe(403);
    expect(proxy.logs).toContainEqual(expect.objectContaining({ decision: 'allow', rule: 'containers.update', status: 200 }));
  });
});
