import { describe, expect, it } from 'vitest';
import { BuildSteps } from '../../src/proxy/build-steps.js';
import { BuildStreamParser } from '../../src/proxy/build-stream.js';

const STEP = 'a1b2c3d4e5f6';
const FULL = `${STEP}${'0'.repeat(52)}`;
const msg = (stream: string): string => `${JSON.stringify({ stream })}\r\n`;

function parse(chunks: Array<string | Buffer>, maxLine?: number): string[] {
  const seen: string[] = [];
  const parser = new BuildStreamParser((id) => seen.push(id), maxLine);
  for (const c of chunks) parser.feed(Buffer.isBuffer(c) ? c : Buffer.from(c));
  parser.end();
  return seen;
}

describe('build stream parser', () => {
  it('finds the step announcements among the other messages', () => {
    const text = msg('Step 2/3 : RUN make\n') + msg(` ---> Running in ${STEP}\n`) + msg('compiling\n') + msg('Removing intermediate container x\n');
    expect(parse([text])).toEqual([STEP]);
  });

  it('finds them however the answer is split, down to single bytes and inside multi-byte text', () => {
    const text = msg('é ünïcödé ✓\n') + msg(` ---> Running in ${STEP}\n`) + msg(' ---> Running in 0123456789ab\n');
    const bytes = Buffer.from(text);
    expect(parse([...bytes].map((b) => Buffer.from([b])))).toEqual([STEP, '0123456789ab']);
    for (const at of [1, 10, 20, 40, bytes.length - 2]) expect(parse([bytes.subarray(0, at), bytes.subarray(at)])).toEqual([STEP, '0123456789ab']);
  });

  it('reads dockerd\'s own encoding (Go escapes ">" as \\u003e)', () => {
    expect(parse([`{"stream":" ---\\u003e Running in ${STEP}\\n"}\n`])).toEqual([STEP]);
  });

  it('reads a last line without newline, and an announcement among several lines of one message', () => {
    expect(parse([msg(`Step 1/1 : RUN x\n ---> Running in ${STEP}\n`).trimEnd()])).toEqual([STEP]);
  });

  it('ignores garbage, other shapes and near misses', () => {
    const noise = [
      'not json\n', '{"stream":\n', '[1,2]\n', 'null\n', '{"status":" ---> Running in a1b2c3d4e5f6\\n"}\n',
      '{"stream":42}\n', msg(` ---> Running in ${STEP.toUpperCase()}\n`), msg(` ---> Running in ${STEP}; rm -rf /\n`),
      msg(' ---> Running in abc\n'), msg(`--> Running in ${STEP}\n`), msg(`x ---> Running in ${STEP}\n`), '\n\n',
    ];
    expect(parse(noise)).toEqual([]);
    expect(parse([...noise, msg(` ---> Running in ${STEP}\n`)])).toEqual([STEP]);
  });

  it('drops a line longer than the cap whole, then reads the next ones', () => {
    const long = msg(`${'x'.repeat(5000)}\n ---> Running in ${STEP}\n`);
    expect(parse([long.slice(0, 3000), long.slice(3000), msg(' ---> Running in 0123456789ab\n')], 1024)).toEqual(['0123456789ab']);
    expect(parse([long], 1024)).toEqual([]);
    expect(parse([long])).toEqual([STEP]);
  });
});

describe('recorded build steps', () => {
  const announce = (id: string): Buffer => Buffer.from(msg(` ---> Running in ${id}\n`));

  it('knows a step by its full ID while its build streams, and forgets it a grace period after the build ends', () => {
    let now = 1_000;
    const steps = new BuildSteps({ maxSteps: 10, maxPerBuild: 10, ttlMs: 60_000, endGraceMs: 200 }, () => now);
    const build = steps.track({ memory: 64 });
    build.data(announce(STEP));
    expect(steps.find(FULL)).toMatchObject({ id: STEP, expect: { memory: 64 } });
    expect(steps.find(`${STEP.slice(0, 11)}f${'0'.repeat(52)}`)).toBeUndefined();
    expect(steps.find('0123456789ab' + '0'.repeat(52))).toBeUndefined();
    build.end();
    // An update the worker sent as it cancelled the build may still arrive.
    now += 199;
    expect(steps.find(FULL)).toMatchObject({ id: STEP });
    build.data(announce('0123456789ab'));
    now += 1;
    expect(steps.find(FULL)).toBeUndefined();
    expect(steps.size).toBe(0);
  });

  it('forgets a step after its time to live', () => {
    let now = 1_000;
    const steps = new BuildSteps({ maxSteps: 10, maxPerBuild: 10, ttlMs: 500, endGraceMs: 5_000 }, () => now);
    steps.track({ memory: 0 }).data(announce(STEP));
    now += 499;
    expect(steps.find(FULL)).toBeDefined();
    now += 1;
    expect(steps.find(FULL)).toBeUndefined();
  });

  it('caps what one build and all builds together may record, and keeps builds apart', () => {
    const dropped: string[] = [];
    let now = 1_000;
    const steps = new BuildSteps({ maxSteps: 5, maxPerBuild: 3, ttlMs: 60_000, endGraceMs: 100 }, () => now, (id) => dropped.push(id));
    const id = (n: number): string => n.toString(16).padStart(12, '0');
    const a = steps.track({ memory: 0 });
    for (let n = 1; n <= 4; n++) a.data(announce(id(n)));
    expect(steps.size).toBe(3);
    expect(dropped).toEqual([id(4)]);
    const b = steps.track({ memory: 0 });
    for (let n = 10; n <= 13; n++) b.data(announce(id(n)));
    expect(steps.size).toBe(5);
    b.data(announce(id(1))); // another build's step cannot be claimed
    expect(dropped).toEqual([id(4), id(12), id(13), id(1)]);
    a.end();
    now += 100;
    expect(steps.find(id(1))).toBeUndefined();
    expect(steps.find(id(10))).toBeDefined();
  });
});
