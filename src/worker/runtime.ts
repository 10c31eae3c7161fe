import type { DockerEngine } from '../docker/engine.js';
import { LABEL, ownedFilters } from '../docker/labels.js';
import { prepareEnvironment, type PrepareInput, type PreparedEnvironment } from '../services/ensure-services.js';
import { runTask, type TaskInput } from '../services/run-task.js';
import { runStep, type RunInput, type RunResult } from './run-step.js';

/**
 * Where environments run: containers on one Docker host (the default), or Swarm services
 * (src/swarm). The pipeline, reporting and previews call only this; the backend is chosen once,
 * from DEPLOY_BACKEND, in the entrypoint.
 */
export interface Runtime {
  /** The environment's companions before its app: network, volumes, services. */
  prepare(input: PrepareInput): Promise<PreparedEnvironment>;
  /** A release or seed command in the new image, with the app's env and volumes. */
  runTask(input: TaskInput): Promise<void>;
  /** Starts the new version of the environment and makes it serve once healthy (the previous one keeps serving until then). */
  run(input: RunInput): Promise<RunResult>;
  /** Removes what serves the environment beyond its containers (Swarm: its services); resolves with their names. */
  removeEnvironment(target: { instance: string; repository: string; environment: string }): Promise<string[]>;
  /** The labels of everything serving an app now (containers, or services), narrowed by `extra` labels: the preview reconciler and cap. */
  listApps(instance: string, extra?: Record<string, string>): Promise<Record<string, string>[]>;
}

/** One Docker host: a container per environment, swapped by runStep; a teardown removes the containers itself. */
export function containerRuntime(engine: DockerEngine): Runtime {
  return {
    run: runStep,
    prepare: prepareEnvironment,
    runTask,
    removeEnvironment: async () => [],
    listApps: async (instance, extra = {}) => (await engine.listContainers(ownedFilters(instance, { ...extra, [LABEL.role]: 'app' }))).map((c) => c.labels),
  };
}

/** The runtime the deps were given (DEPLOY_BACKEND), else containers on their engine's host. */
export const runtimeOf = (deps: { runtime?: Runtime; engine: DockerEngine }): Runtime => deps.runtime ?? containerRuntime(deps.engine);
