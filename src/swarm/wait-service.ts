import { LABEL } from '../docker/labels.js';
import type { SwarmEngine, TaskState } from './swarm-engine.js';

export class SwarmUpdateError extends Error {
  override readonly name = 'SwarmUpdateError';
}

const FAILED = new Set(['failed', 'rejected']);
const ROLLED_BACK = new Set(['rollback_started', 'rollback_paused', 'rollback_completed']);

/** The newest error of this job's tasks, in words ("task: non-zero exit (1)", "No such image…"). */
export function taskError(tasks: TaskState[], jobId: string): string | undefined {
  const failed = tasks.filter((t) => t.labels[LABEL.job] === jobId && (FAILED.has(t.state) || t.error)).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const task = failed[0];
  return task && `${task.error ?? task.message ?? task.state}${task.nodeId ? ` (node ${task.nodeId.slice(0, 12)})` : ''}`;
}

/**
 * Waits until `replicas` tasks of this deploy job run: Swarm reports a task with a HEALTHCHECK
 * running only once it is healthy, so that is the health gate. A rolling update that Swarm rolls
 * back (the new tasks failed) fails with the task's error once the previous spec serves again; a
 * first deploy fails when its tasks keep failing. `deadline` bounds both.
 */
export async function waitServiceConverged(
  engine: SwarmEngine,
  service: { id: string; replicas: number; jobId: string; update: boolean },
  opts: { deadline: number; signal: AbortSignal; onProgress?: (line: string) => void },
): Promise<void> {
  let reported = '';
  for (;;) {
    opts.signal.throwIfAborted();
    const [state, tasks] = await Promise.all([engine.inspectService(service.id), engine.listTasks(service.id)]);
    if (!state) throw new SwarmUpdateError('the service disappeared during the deploy');
    const ours = tasks.filter((t) => t.labels[LABEL.job] === service.jobId);
    const running = ours.filter((t) => t.state === 'running' && t.desiredState === 'running').length;
    const line = `${running}/${service.replicas} task(s) of this deploy running${state.updateState ? `, update ${state.updateState}` : ''}`;
    if (line !== reported) opts.onProgress?.((reported = line));
    // A rollback state counts once this job's tasks exist: before, it may be a previous update's.
    if (service.update && ours.length > 0 && state.updateState && ROLLED_BACK.has(state.updateState)) {
      const reason = taskError(tasks, service.jobId) ?? state.updateMessage ?? 'its tasks failed';
      if (state.updateState === 'rollback_completed') throw new SwarmUpdateError(`Swarm rolled the service back to the previous version: ${reason}`);
    } else if (running >= service.replicas && (!service.update || state.updateState === 'completed')) {
      return;
    } else if (!service.update && ours.filter((t) => FAILED.has(t.state)).length >= 3) {
      throw new SwarmUpdateError(`the service's tasks keep failing: ${taskError(tasks, service.jobId)}`);
    }
    if (Date.now() > opts.deadline) throw new SwarmUpdateError(`not running after the deadline (${line})${taskError(tasks, service.jobId) ? `; last task error: ${taskError(tasks, service.jobId)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
