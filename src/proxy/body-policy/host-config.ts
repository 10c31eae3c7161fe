import { PolicyError } from '../errors.js';
import { capAdd } from './capabilities.js';
import { containerRef, binds, mounts, tmpfs } from './mounts.js';
import {
  bool, list, map, mustBeEmpty, mustBeFalse, num, numIn, oneOf, str, strList, struct, type Check,
} from './schema.js';

/** "", "default", "bridge", "none" or a network that is ours or on the allowlist; never host or container:<id>. */
export const networkMode: Check = (v, at, ctx) => {
  const mode = str(v, at, ctx);
  if (mode === null || ['', 'default', 'bridge', 'none'].includes(mode as string)) return mode;
  const m = mode as string;
  if (m === 'host' || m.startsWith('container:')) throw new PolicyError('namespace', `${at} ${m} shares another network namespace`);
  ctx.refs.networks.add(m);
  return m;
};

const hostNamespace = (rule: string, allowed: readonly string[]): Check => oneOf(rule, allowed);

const securityOpt: Check = list((v, at) => {
  if (typeof v === 'string' && /^no-new-privileges([:=](true|false))?$/.test(v)) return v;
  throw new PolicyError('security-opt', `${at} ${JSON.stringify(v)} is refused; only no-new-privileges is allowed (no seccomp/apparmor/label/systempaths changes)`);
});

/** Namespaced sysctls on the allowlist (containers' Sysctls and services' ContainerSpec.Sysctls). */
export const sysctls = map(str, (key, at) => {
  if (!/^(net\.[a-z0-9_.]+|kernel\.(shmmax|shmall|shmmni|shm_rmid_forced|msgmax|msgmnb|msgmni|sem)|fs\.mqueue\.[a-z_]+)$/.test(key)) {
    throw new PolicyError('sysctl', `${at} sets ${key}, which is not a namespaced sysctl on the allowlist`);
  }
});

/** A published port (or the low end of a range): 1024 or above, so no privileged port of the host is taken. */
export function checkPublishedPort(low: number | null, at: string, shown: string): void {
  if (low !== null && !(low >= 1024 && low <= 65535)) throw new PolicyError('host-port', `${at} publishes on host port ${shown}; use 1024 or above`);
}

const portBindings = map(
  list(
    struct({
      HostIp: str,
      HostPort: (v, at, ctx) => {
        const p = str(v, at, ctx);
        checkPublishedPort(typeof p === 'string' && p !== '' ? Number(p.split('-')[0]) : null, at, String(p));
        return p;
      },
    }),
  ),
);

/** nofile, nproc and core only, bounded (containers' and services' Ulimits). */
export const ulimits = list(
  struct({ Name: oneOf('ulimit', ['nofile', 'nproc', 'core']), Soft: numIn('ulimit', -1, 1_048_576), Hard: numIn('ulimit', -1, 1_048_576) }),
);

/** Resource limits (inlined in HostConfig, and the body of POST /containers/{id}/update). */
export const RESOURCE_FIELDS: Record<string, Check> = {
  CpuShares: num, Memory: num, NanoCpus: num, CgroupParent: mustBeEmpty('cgroup-parent'), BlkioWeight: num,
  BlkioWeightDevice: mustBeEmpty('devices'), BlkioDeviceReadBps: mustBeEmpty('devices'), BlkioDeviceWriteBps: mustBeEmpty('devices'),
  BlkioDeviceReadIOps: mustBeEmpty('devices'), BlkioDeviceWriteIOps: mustBeEmpty('devices'), CpuPeriod: num, CpuQuota: num,
  CpuRealtimePeriod: mustBeEmpty('cpu-realtime'), CpuRealtimeRuntime: mustBeEmpty('cpu-realtime'), CpusetCpus: str, CpusetMems: str,
  Devices: mustBeEmpty('devices'), DeviceCgroupRules: mustBeEmpty('devices'), DeviceRequests: mustBeEmpty('devices'),
  KernelMemory: num, KernelMemoryTCP: num, MemoryReservation: num, MemorySwap: num, MemorySwappiness: num,
  OomKillDisable: mustBeFalse('oom-kill-disable'), PidsLimit: num, Ulimits: ulimits, CpuCount: num, CpuPercent: num,
  IOMaximumIOps: num, IOMaximumBandwidth: num,
};

/** Log drivers that write on the node only (no shipping to a remote endpoint the bot picks). */
export const logDriverName = oneOf('log-driver', ['', 'json-file', 'local', 'none']);
export const logDriverOptions = map(str, (key, at) => {
  if (!['max-size', 'max-file', 'compress', 'mode', 'max-buffer-size'].includes(key)) throw new PolicyError('log-driver', `${at} option ${key} is not allowed`);
});

/** MaskedPaths: [] would unmask /proc; only "absent" is accepted. */
export const nullOnly =
  (rule: string): Check =>
  (v, at) => {
    if (v !== null) throw new PolicyError(rule, `${at} must not be set`);
    return v;
  };

/** HostConfig of POST /containers/create: every field known, each either inert or checked. */
export const hostConfig = struct({
  ...RESOURCE_FIELDS,
  Binds: binds,
  ContainerIDFile: mustBeEmpty('container-id-file'),
  LogConfig: struct({ Type: logDriverName, Config: logDriverOptions }),
  NetworkMode: networkMode,
  PortBindings: portBindings,
  RestartPolicy: struct({ Name: oneOf('restart-policy', ['', 'no', 'always', 'unless-stopped', 'on-failure']), MaximumRetryCount: num }),
  AutoRemove: bool,
  VolumeDriver: oneOf('volume-driver', ['', 'local']),
  VolumesFrom: list(containerRef('VolumesFrom')),
  CapAdd: capAdd,
  CapDrop: strList,
  CgroupnsMode: hostNamespace('namespace', ['', 'private']),
  Dns: strList,
  DnsOptions: strList,
  DnsSearch: strList,
  ExtraHosts: strList,
  GroupAdd: strList,
  IpcMode: hostNamespace('namespace', ['', 'private', 'shareable', 'none']),
  Cgroup: hostNamespace('namespace', ['']),
  Links: list(containerRef('Links')),
  OomScoreAdj: numIn('oom-score-adj', 0, 1000),
  PidMode: hostNamespace('namespace', ['']),
  Privileged: mustBeFalse('privileged'),
  PublishAllPorts: bool,
  ReadonlyRootfs: bool,
  SecurityOpt: securityOpt,
  StorageOpt: map(str, (key, at) => {
    if (key !== 'size') throw new PolicyError('storage-opt', `${at} option ${key} is not allowed`);
  }),
  Tmpfs: tmpfs,
  UTSMode: hostNamespace('namespace', ['']),
  UsernsMode: hostNamespace('namespace', ['']),
  ShmSize: num,
  Sysctls: sysctls,
  Runtime: oneOf('runtime', ['', 'runc']),
  ConsoleSize: list(num),
  Isolation: oneOf('isolation', ['', 'default']),
  Mounts: mounts,
  MaskedPaths: nullOnly('masked-paths'),
  ReadonlyPaths: nullOnly('masked-paths'),
  Init: bool,
});

