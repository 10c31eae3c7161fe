import { PolicyError } from '../errors.js';
import { isObject, type JsonValue } from '../json-strict.js';
import { isWorkspace } from '../workspace.js';
import { bool, list, map, mustBeEmpty, num, oneOf, str, strMap, struct, type Check, type PolicyContext } from './schema.js';

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function hostBindRefused(at: string, source: string, ctx: PolicyContext): never {
  const allowed = ctx.workspaceDir ? `only WORKSPACE_DIR (${ctx.workspaceDir}) may be bind-mounted, read-only` : 'host bind mounts are disabled';
  throw new PolicyError('host-bind', `${at} mounts host path ${source}; ${allowed}`);
}

/** Anonymous volumes are created by dockerd on the fly, unlabelled: nothing the proxy could own or clean up. */
function anonymousVolume(at: string, target: string): never {
  throw new PolicyError('anonymous-volume', `${at} mounts an anonymous volume at ${target || '(no target)'}; mount an owned named volume (created through the proxy) or a tmpfs`);
}

/** A named volume: it must exist and carry this proxy's owner label (checked on the daemon through ctx.refs). */
function namedVolume(name: string, at: string, ctx: PolicyContext): void {
  if (!VOLUME_NAME.test(name)) throw new PolicyError('volume-name', `${at} names volume ${JSON.stringify(name)}, which is not a valid volume name`);
  ctx.refs.volumes.add(name);
}

/** One HostConfig.Binds entry, parsed like dockerd's Linux parser: [source:]target[:mode]. */
export const bindSpec: Check = (v, at, ctx) => {
  if (typeof v !== 'string') throw new PolicyError('json-type', `${at} must be a string`);
  const parts = v.split(':');
  if (parts.length > 3 || parts[0] === '') throw new PolicyError('bind-spec', `${at} ${JSON.stringify(v)} is not source:target[:mode]`);
  if (parts.length === 1) anonymousVolume(at, v);
  const [source = '', , mode = ''] = parts;
  const modes = mode === '' ? [] : mode.split(',');
  if (source.startsWith('/')) {
    if (!isWorkspace(source, ctx.workspaceDir)) hostBindRefused(at, source, ctx);
    if (!modes.includes('ro')) throw new PolicyError('host-bind-rw', `${at} must mount the workspace read-only (":ro")`);
    const extra = modes.filter((m) => !['ro', 'private', 'rprivate'].includes(m));
    if (extra.length > 0) throw new PolicyError('bind-mode', `${at} uses mount options ${extra.join(',')}; only ro, private, rprivate are allowed`);
  } else {
    namedVolume(source, at, ctx);
    const extra = modes.filter((m) => !['ro', 'rw', 'nocopy'].includes(m));
    if (extra.length > 0) throw new PolicyError('bind-mode', `${at} uses mount options ${extra.join(',')}; only ro, rw, nocopy are allowed`);
  }
  return v;
};

const driverConfig: Check = (v, at, ctx) => {
  const out = struct({ Name: oneOf('volume-driver', ['', 'local']), Options: mustBeEmpty('volume-driver-opts') })(v, at, ctx);
  return out;
};

const mountShape = struct({
  Type: oneOf('mount-type', ['bind', 'volume', 'tmpfs']),
  Source: str,
  Target: str,
  ReadOnly: bool,
  Consistency: oneOf('mount-consistency', ['', 'default', 'consistent', 'cached', 'delegated']),
  BindOptions: struct({ Propagation: oneOf('bind-propagation', ['', 'private', 'rprivate']), NonRecursive: bool }),
  VolumeOptions: struct({ NoCopy: bool, Labels: strMap, DriverConfig: driverConfig }),
  TmpfsOptions: struct({ SizeBytes: num, Mode: num }),
});

/** One HostConfig.Mounts entry: tmpfs, owned named volumes, or the read-only workspace. */
export const mountSpec: Check = (v, at, ctx) => {
  const m = mountShape(v, at, ctx);
  if (!isObject(m)) throw new PolicyError('json-type', `${at} must be an object`);
  const source = typeof m.Source === 'string' ? m.Source : '';
  const present = (k: string): boolean => m[k] !== undefined && m[k] !== null;
  if (m.Type === 'bind') {
    if (!isWorkspace(source, ctx.workspaceDir)) hostBindRefused(at, source || '(empty)', ctx);
    if (m.ReadOnly !== true) throw new PolicyError('host-bind-rw', `${at} must mount the workspace with ReadOnly: true`);
    if (present('VolumeOptions') || present('TmpfsOptions')) throw new PolicyError('mount-options', `${at} mixes bind with other mount options`);
  } else if (m.Type === 'volume') {
    if (source === '') anonymousVolume(at, typeof m.Target === 'string' ? m.Target : '');
    namedVolume(source, at, ctx);
    if (present('BindOptions') || present('TmpfsOptions')) throw new PolicyError('mount-options', `${at} mixes volume with other mount options`);
  } else if (m.Type === 'tmpfs') {
    if (source !== '') throw new PolicyError('mount-options', `${at} tmpfs mounts take no Source`);
    if (present('BindOptions') || present('VolumeOptions')) throw new PolicyError('mount-options', `${at} mixes tmpfs with other mount options`);
  } else {
    throw new PolicyError('mount-type', `${at}.Type is required (bind, volume or tmpfs)`);
  }
  return m;
};

/** "container[:ro|:rw]" (VolumesFrom) or "container[:alias]" (Links): the container must be ours. */
export const containerRef =
  (kind: 'VolumesFrom' | 'Links'): Check =>
  (v: JsonValue, at, ctx) => {
    if (typeof v !== 'string' || v === '') throw new PolicyError('json-type', `${at} must be a container reference`);
    const name = v.split(':')[0]!.replace(/^\//, '');
    if (name === '') throw new PolicyError(kind === 'Links' ? 'links' : 'volumes-from', `${at} names no container`);
    ctx.refs.containers.add(name);
    return v;
  };

export const binds = list(bindSpec);
export const mounts = list(mountSpec);
export const tmpfs = map(str);
