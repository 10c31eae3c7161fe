import { posix } from 'node:path';
import { ConfigError } from '../config/errors.js';

/** Host paths no container may ever see, whatever WORKSPACE_DIR says (the guidelines' list and more). */
export const NEVER_MOUNT = [
  '/home', '/Users', '/root', '/etc', '/proc', '/sys', '/dev', '/boot', '/run', '/var/run',
  '/var/lib/docker', '/usr', '/bin', '/sbin', '/lib', '/lib64',
] as const;

const within = (path: string, root: string): boolean => path === root || path.startsWith(`${root}/`);

/** Normalizes an absolute host path ("/tmp//ws/." → "/tmp/ws"). */
export const cleanHostPath = (p: string): string => posix.normalize(p).replace(/(.)\/+$/, '$1');

/**
 * Validates WORKSPACE_DIR at boot: absolute, at least two levels deep, not inside a sensitive
 * tree and not a parent of one or of the Docker socket. "none" disables host binds entirely.
 */
export function checkWorkspaceDir(raw: string, dockerSocket: string): string | null {
  if (raw === 'none') return null;
  const fail = (message: string): never => {
    throw new ConfigError([{ variable: 'WORKSPACE_DIR', message }]);
  };
  if (!raw.startsWith('/')) fail('must be an absolute path (or "none")');
  const dir = cleanHostPath(raw);
  if (dir.split('/').filter(Boolean).length < 2) fail(`${dir} is too close to the root; use a dedicated folder such as /tmp/helvetia-workspaces`);
  for (const root of [...NEVER_MOUNT, cleanHostPath(dockerSocket)]) {
    if (within(dir, root) || within(root, dir)) fail(`${dir} overlaps ${root}, which must never be mounted`);
  }
  return dir;
}

/** True only for the configured workspace itself (no sub-folders: a symlink inside could point anywhere). */
export function isWorkspace(source: string, workspaceDir: string | null): boolean {
  if (workspaceDir === null || !source.startsWith('/')) return false;
  const path = cleanHostPath(source);
  if (path === '/' || NEVER_MOUNT.some((root) => within(path, root))) return false;
  return path === workspaceDir;
}
