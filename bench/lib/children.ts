import type { ChildProcess } from 'node:child_process';

/** SIGTERMs the child processes still running and resolves once each of them has exited. */
export async function stopChildren(children: (ChildProcess | undefined)[]): Promise<void> {
  const running = children.filter((c): c is ChildProcess => c !== undefined && c.exitCode === null && c.signalCode === null);
  const exited = running.map((c) => new Promise((resolve) => c.once('exit', resolve)));
  for (const child of running) child.kill('SIGTERM');
  await Promise.all(exited);
}
