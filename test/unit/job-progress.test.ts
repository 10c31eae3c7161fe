import { describe, expect, it } from 'vitest';
import { DeployEvents, JobProgress, type DeployEvent } from '../../src/worker/deploy-events.js';
import { reportToGitHub } from '../../src/worker/github-progress.js';
import { recordLogStatus } from '../../src/worker/log-progress.js';
import type { Reporter } from '../../src/worker/reporter.js';
import type { LogSink } from '../../src/worker/deploy-log.js';

const subject = { repository: 'o/r', environment: 'pr-3', kind: 'preview', sha: 'a'.repeat(40), jobId: 'j1' } as const;

/** A Reporter that records what it was asked to send. */
function fakeReporter(calls: string[], startGate?: Promise<void>) {
  return {
    start: async () => {
      calls.push('start');
      await startGate;
      calls.push('announced');
      return true;
    },
    conclude: async (conclusion: string, title: string, summary: string, url?: string) => void calls.push(`conclude ${conclusion} ${title} url=${url ?? '-'} ${summary.includes('| Commit |') ? 'rows' : 'no-rows'}`),
    markServing: () => void calls.push('serving'),
    comment: async (status: { state: string; logUrl?: string; url?: string; note?: string }) => void calls.push(`comment ${status.state} log=${status.logUrl ?? '-'} url=${status.url ?? '-'} note=${status.note ?? '-'}`),
  } as unknown as Reporter;
}

function fakeSink(calls: string[]): LogSink {
  return {
    open: async () => void calls.push('log open'),
    append: async () => undefined,
    setStatus: async (_id, status) => void calls.push(`log ${status}`),
    end: async (_id, conclusion) => void calls.push(`log end ${conclusion}`),
  };
}

function progressWith(calls: string[], startGate?: Promise<void>, handOff = async (r: () => Promise<void>) => r()) {
  const observers = new DeployEvents();
  const heard: DeployEvent['type'][] = [];
  observers.subscribe((e) => void heard.push(e.type));
  const progress = new JobProgress(subject, observers)
    .subscribe(recordLogStatus(fakeSink(calls), 'j1', { repository: 'o/r', sha: subject.sha, environment: 'pr-3', commitUrl: 'u', secrets: [] }))
    .subscribe(reportToGitHub(fakeReporter(calls, startGate), { logUrl: 'L', handOff, onAnnounced: async () => void calls.push('ids kept') }));
  return { progress, heard };
}

describe('a deploy job\'s progress stream', () => {
  it('a successful deploy: the log opens first, GitHub starts without holding the build, concludes with the URL, the log ends once retired', async () => {
    const calls: string[] = [];
    let announce!: () => void;
    const { progress, heard } = progressWith(calls, new Promise<void>((r) => (announce = r)));
    await progress.emit({ type: 'started', trigger: 'push' });
    await progress.emit({ type: 'built', image: 'img', buildMs: 5 });
    expect(calls).toEqual(['log open', 'log building', 'start']);
    const live = progress.emit({ type: 'live', url: 'http://x', image: 'img', healthMs: 1 });
    announce();
    await live;
    await progress.emit({ type: 'finished', outcome: 'success', title: 'Deployed', url: 'http://x', buildMs: 5000, details: { rows: [['Commit', 'c']] } });
    await progress.emit({ type: 'retired' });
    // GitHub hears "live" (it drops progress reports still waiting) before it concludes.
    expect(calls.indexOf('serving')).toBeGreaterThan(calls.indexOf('log deployed'));
    expect(calls.indexOf('serving')).toBeLessThan(calls.findIndex((c) => c.startsWith('conclude')));
    expect(calls.filter((c) => c !== 'serving')).toEqual(['log open', 'log building', 'start', 'log deployed', 'announced', 'ids kept', 'conclude success Deployed url=http://x rows', 'comment deployed log=L url=http://x note=-', 'log end success']);
    expect(heard).toEqual(['started', 'built', 'live', 'finished', 'retired']);
  });

  it('held at the gate: concluded and commented with no build log (none was opened, none is linked)', async () => {
    const calls: string[] = [];
    const { progress } = progressWith(calls);
    await progress.emit({ type: 'finished', outcome: 'action_required', title: 'Approval needed', note: 'why' });
    await progress.emit({ type: 'finished', outcome: 'failure', title: 'Preview limit reached', note: 'close one' });
    expect(calls).toEqual([
      'conclude action_required Approval needed url=- no-rows', 'comment awaiting approval log=- url=- note=why',
      'conclude failure Preview limit reached url=- no-rows', 'comment failed log=- url=- note=close one',
    ]);
  });

  it('cancelled: the GitHub report is handed off, no comment is sent, the log says cancelled', async () => {
    const calls: string[] = [];
    const handedOff: (() => Promise<void>)[] = [];
    const { progress } = progressWith(calls, undefined, async (r) => void handedOff.push(r));
    await progress.emit({ type: 'started', trigger: 'push' });
    await progress.emit({ type: 'finished', outcome: 'cancelled', title: 'Superseded' });
    expect(calls).toEqual(['log open', 'log building', 'start', 'announced', 'ids kept', 'log cancelled', 'log end cancelled']);
    await handedOff[0]!();
    expect(calls.at(-1)).toBe('conclude cancelled Superseded url=- no-rows');
  });

  it('a reporter that fails fails the emit (the job retries, as a direct call did) and the observers do not hear it', async () => {
    const observers = new DeployEvents();
    const heard: string[] = [];
    observers.subscribe((e) => void heard.push(e.type));
    const progress = new JobProgress(subject, observers).subscribe(() => Promise.reject(new Error('GitHub is down')));
    await expect(progress.emit({ type: 'retired' })).rejects.toThrow('GitHub is down');
    expect(heard).toEqual([]);
  });
});
