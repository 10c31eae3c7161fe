import type { EnvironmentStats } from '../../history/environment-stats.js';
import type { DeployRecord } from '../../history/deploy-history.js';
import type { UserRepository } from '../github-user.js';
import type { AccessLevel } from '../permissions.js';
import { commitLink, environmentPath, escapeHtml, repoPath, safeHref, statusBadge, timeTag } from './html.js';
import { layout, type LayoutUser } from './layout.js';

export interface EnvironmentRow {
  environment: string;
  /** A container serves it now (DeployState). */
  live: boolean;
  /** The newest deploy record. */
  record?: DeployRecord;
  stats?: EnvironmentStats;
  /** Companion service names, from the kept image's configuration. */
  services: string[];
  /** Named volumes, from the same: the app's (`name (path)`) and each service's (`service/name`). */
  volumes: string[];
}

const mb = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MB`;

function usage(stats: EnvironmentStats | undefined): string {
  if (!stats) return '<span class="muted">–</span>';
  const limit = stats.memoryLimitBytes > 0 ? ` / ${mb(stats.memoryLimitBytes)}` : '';
  const tasks = stats.tasks === undefined ? '' : ` · ${stats.tasks} task${stats.tasks === 1 ? '' : 's'}`;
  return `${stats.cpuPercent.toFixed(1)} % CPU · ${mb(stats.memoryBytes)}${limit}${tasks}`;
}

const tags = (names: string[]): string => (names.length ? names.map((n) => `<span class="tag">${escapeHtml(n)}</span>`).join(' ') : '<span class="muted">–</span>');

function row(web: string, repository: UserRepository, r: EnvironmentRow): string {
  const rec = r.record;
  const url = safeHref(rec?.url);
  return `<tr data-environment="${escapeHtml(r.environment)}">
<td data-label="Environment"><a href="${escapeHtml(environmentPath(repository, r.environment))}">${escapeHtml(r.environment)}</a>${r.live ? '' : ' <span class="tag">not running</span>'}</td>
<td data-label="Status">${statusBadge(rec?.outcome)}</td>
<td data-label="URL" data-field="url">${url ? `<a href="${escapeHtml(url)}">${escapeHtml(url.replace(/^https?:\/\//, ''))}</a>` : '<span class="muted">–</span>'}</td>
<td data-label="Commit" data-field="commit">${commitLink(web, repository.fullName, rec?.sha)}</td>
<td data-label="Trigger" data-field="trigger">${escapeHtml(rec?.trigger ?? '–')}</td>
<td data-label="Deployed" data-field="deployed">${timeTag(rec?.finishedAt ?? rec?.startedAt)}</td>
<td data-label="Image" data-field="image"><code>${escapeHtml(rec?.image ?? '–')}</code></td>
<td data-label="Resources" data-field="usage">${usage(r.stats)}</td>
<td data-label="Services">${tags(r.services)}</td>
<td data-label="Volumes" data-field="volumes">${tags(r.volumes)}</td>
</tr>`;
}

export function renderEnvironmentsPage(input: { user: LayoutUser; web: string; repository: UserRepository; level: AccessLevel; rows: EnvironmentRow[] }): string {
  const { repository } = input;
  const table = input.rows.length
    ? input.rows.map((r) => row(input.web, repository, r)).join('\n')
    : '';
  return layout({
    title: repository.fullName,
    user: input.user,
    crumbs: [{ href: '/', label: 'Repositories' }, { label: repository.fullName }],
    mainAttributes: `data-page="environments" data-events="${escapeHtml(repoPath(repository, '/events'))}" data-repository="${escapeHtml(repository.fullName)}" data-commit-base="${escapeHtml(`${input.web}/${repository.fullName}/commit/`)}" data-env-base="${escapeHtml(repoPath(repository, '/environments/'))}"`,
    body: `<div class="heading"><h1>${escapeHtml(repository.fullName)}</h1><a class="button secondary" id="secrets-link" href="${escapeHtml(repoPath(repository, '/secrets'))}">Secrets</a></div>
<p class="muted">Your access: <strong id="access-level">${input.level}</strong>. <span id="live-state" class="live-state">Live updates connecting…</span></p>
<table class="grid" id="environments"><thead><tr><th>Environment</th><th>Status</th><th>URL</th><th>Commit</th><th>Trigger</th><th>Deployed</th><th>Image</th><th>Resources</th><th>Services</th><th>Volumes</th></tr></thead>
<tbody>${table}</tbody></table>
${input.rows.length ? '' : '<p class="muted" id="no-environments">Nothing deployed yet: push to the default branch or open a pull request.</p>'}`,
  });
}
