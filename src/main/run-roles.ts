/** Entrypoint of `helvetia start|app|worker` (implemented in the pipeline work). */
export async function runRoles(_role: 'start' | 'app' | 'worker', _env: NodeJS.ProcessEnv): Promise<void> {
  throw new Error('not implemented yet');
}
