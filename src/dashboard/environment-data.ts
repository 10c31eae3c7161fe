import type { DeployHistory, DeployRecord } from '../history/deploy-history.js';
import type { StatsStore } from '../history/environment-stats.js';
import type { DeployState } from '../worker/deploy-state.js';
import type { EnvironmentRow } from './views/environments-page.js';

/** Where the dashboard reads deploy data (the worker writes it). */
export interface DeployData {
  history: DeployHistory;
  stats: StatsStore;
  state: Pick<DeployState, 'liveEnvironments'>;
}

/** Production first, then previews by number, then anything else by name. */
function order(a: string, b: string): number {
  const rank = (e: string) => (e === 'production' ? [0, 0] : /^pr-(\d+)$/.test(e) ? [1, Number(e.slice(3))] : [2, 0]);
  const [ra, na] = rank(a);
  const [rb, nb] = rank(b);
  return ra! - rb! || na! - nb! || a.localeCompare(b);
}

/** Every environment of a repository (live, or with a history), each with its newest deploy, stats, services and volumes. */
export async function environmentRows(data: DeployData, repository: string): Promise<EnvironmentRow[]> {
  const live = new Map((await data.state.liveEnvironments(repository)).map((l) => [l.environment, l.sha]));
  const names = [...new Set([...live.keys(), ...(await data.history.environments(repository))])].sort(order);
  return Promise.all(
    names.map(async (environment) => {
      const [records, stats, kept] = await Promise.all([
        data.history.list(repository, environment),
        data.stats.get(repository, environment),
        data.history.kept(repository, environment),
      ]);
      const record = records[0];
      const config = (kept.find((k) => k.image === record?.image) ?? kept[0])?.repoConfig;
      const volumes = [
        ...Object.entries(config?.volumes ?? {}).map(([name, path]) => `${name} (${path})`),
        ...Object.entries(config?.services ?? {}).flatMap(([service, s]) => Object.keys(s.volumes ?? {}).map((name) => `${service}/${name}`)),
      ];
      return { environment, live: live.has(environment), ...(record ? { record } : {}), ...(stats ? { stats } : {}), services: Object.keys(config?.services ?? {}).sort(), volumes };
    }),
  );
}

/** One environment's history, the images kept for rollback, and the commit it runs now. */
export async function environmentHistory(data: DeployData, repository: string, environment: string): Promise<{ records: DeployRecord[]; kept: Set<string>; liveSha?: string }> {
  const [records, kept, live] = await Promise.all([
    data.history.list(repository, environment),
    data.history.kept(repository, environment),
    data.state.liveEnvironments(repository),
  ]);
  const liveSha = live.find((l) => l.environment === environment)?.sha;
  return { records, kept: new Set(kept.map((k) => k.image)), ...(liveSha ? { liveSha } : {}) };
}

/** True when the environment exists for this repository (live, or with a history). */
export async function environmentExists(data: DeployData, repository: string, environment: string): Promise<boolean> {
  if ((await data.state.liveEnvironments(repository)).some((l) => l.environment === environment)) return true;
  return (await data.history.environments(repository)).includes(environment);
}
