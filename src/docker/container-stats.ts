/** A container's resource use from one sample of the Docker stats API (`GET /containers/{id}/stats?stream=false`). */
export interface ContainerUsage {
  /** Percent of one CPU (200 = two CPUs busy). */
  cpuPercent: number;
  /** Memory in use, without the page cache (what `docker stats` shows). */
  memoryBytes: number;
  memoryLimitBytes: number;
}

interface RawStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
}

/** The docker CLI's arithmetic: CPU delta over system delta between the two samples, times the CPUs; memory minus cache. */
export function usageFromStats(raw: RawStats): ContainerUsage {
  const cpu = raw.cpu_stats ?? {};
  const pre = raw.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const cpus = cpu.online_cpus ?? cpu.cpu_usage?.percpu_usage?.length ?? 1;
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;
  const memory = raw.memory_stats ?? {};
  // cgroup v1 reports the page cache as total_inactive_file / cache, v2 as inactive_file.
  const cache = memory.stats?.total_inactive_file ?? memory.stats?.inactive_file ?? memory.stats?.cache ?? 0;
  return { cpuPercent, memoryBytes: Math.max(0, (memory.usage ?? 0) - cache), memoryLimitBytes: memory.limit ?? 0 };
}
