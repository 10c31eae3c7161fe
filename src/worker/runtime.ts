import { runStep, type RunInput, type RunResult } from './run-step.js';

/**
 * Where environments run: containers on one Docker host (the default), or Swarm services
 * (src/swarm). The pipeline, reporting and previews call only this; the backend is chosen once,
 * from DEPLOY_BACKEND, in the entrypoint.
 */
export interface Runtime {
  /** Starts the new version of the environment and makes it serve once healthy (the previous one keeps serving until then). */
  run(input: RunInput): Promise<RunResult>;
  /** Removes what serves the environment beyond its containers (Swarm: its services); resolves with their names. */
  removeEnvironment(target: { instance: string; repository: string; environment: string }): Promise<string[]>;
}

/** One Docker host: a container per environment, swapped by runStep; a teardown removes the containers itself. */
export const containerRuntime: Runtime = {
  run: runStep,
  removeEnvironment: async () => [],
};
