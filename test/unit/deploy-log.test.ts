import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { DeployLog, type LogSink } from '../../src/worker/deploy-log.js';
import { classify, DeployTimeoutError } from '../../src/worker/deploy-errors.js';
import { BuildError } from '../../src/docker/engine.js';
import { UnhealthyError } from '../../src/worker/health.js';

const logger = createLogger({ level: 'silent' });

describe('DeployLog', () => {
  it('redacts the installation token and anything shaped like a GitHub token before keeping a line', async () => {
    const stored: string[] = [];
    const sink: LogSink = {
      open: async () => undefined,
      append: async (_id, text) => void stored.push(text),
      setStatus: async () => undefined,
      end: async () => undefined,
    };
    const log = new DeployLog('job', { maxBytes: 10_000, secrets: ['s3cr3t-installation-token'], sink, logger });
    log.build('using s3cr3t-installation-token here');
    log.build(`leak ghp_${'a'.repeat(36)} and github_pat_${'B'.repeat(30)}`);
    await log.flush();
    expect(stored).toEqual(['using *** here', 'leak *** and ***']);
    expect(log.tail()).toEqual(stored);
  });

  it('caps build output at maxBytes and says so once', () => {
    const log = new DeployLog('job', { maxBytes: 100, secrets: [], logger });
    for (let i = 0; i < 50; i++) log.build(`line ${i} ${'x'.repeat(10)}`);
    const tail = log.tail();
    expect(tail.filter((l) => l.startsWith('[log truncated')).length).toBe(1);
    expect(tail.length).toBeLessThan(10);
    log.step('worker steps still get through');
    expect(log.tail().at(-1)).toMatch(/worker steps still get through$/);
  });
});

describe('classify', () => {
  it('maps errors to conclusions and retryability', () => {
    expect(classify(new DeployTimeoutError('slow'))).toMatchObject({ conclusion: 'timed_out', final: true });
    expect(classify(new BuildError('bad'))).toMatchObject({ conclusion: 'failure', title: 'Build failed', final: true });
    expect(classify(new UnhealthyError('x'))).toMatchObject({ conclusion: 'failure', final: true });
    expect(classify(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({ final: false });
    expect(classify(Object.assign(new Error('server error'), { status: 502 }))).toMatchObject({ final: false });
    expect(classify(Object.assign(new Error('refused'), { statusCode: 403 }))).toMatchObject({ final: true });
  });
});
