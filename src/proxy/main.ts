/** Entrypoint of `helvetia proxy` (implemented in the proxy work). */
export async function runProxy(_env: NodeJS.ProcessEnv): Promise<void> {
  throw new Error('helvetia proxy is not implemented yet');
}
