import type { DeployRecord } from '../../history/deploy-history.js';
import type { UserRepository } from '../github-user.js';
import { allows, type AccessLevel } from '../permissions.js';
import { commitLink, csrfField, duration, environmentPath, escapeHtml, repoPath, safeHref, statusBadge, timeTag } from './html.js';
import { layout, type LayoutUser } from './layout.js';

export interface HistoryView {
  user: LayoutUser;
  web: string;
  repository: UserRepository;
  environment: string;
  level: AccessLevel;
  records: DeployRecord[];
  /** Images kept for rollback (DeployHistory.kept). */
  kept: Set<string>;
  /** The commit the environment runs now, if any. */
  liveSha?: string;
  /** A note after an action (queued, refused). */
  notice?: string;
}

const actionForm = (view: HistoryView, action: string, sha: string, label: string, cls = ''): string =>
  `<form method="post" class="inline" action="${escapeHtml(environmentPath(view.repository, view.environment))}/actions">${csrfField(view.user.csrf)}` +
  `<input type="hidden" name="action" value="${action}"><input type="hidden" name="sha" value="${escapeHtml(sha)}">` +
  `<button type="submit" class="${cls}" data-action="${action}" data-sha="${escapeHtml(sha)}">${label}</button></form>`;

/** The image serving now: the newest successful deploy of the live commit. */
function liveImage(view: HistoryView): string | undefined {
  return view.records.find((r) => r.outcome === 'success' && r.sha === view.liveSha)?.image;
}

function row(view: HistoryView, record: DeployRecord, canAct: boolean, live: string | undefined): string {
  const log = safeHref(record.logUrl);
  const total = record.finishedAt !== undefined ? record.finishedAt - record.startedAt : undefined;
  const rollback = canAct && record.outcome === 'success' && record.image !== undefined && view.kept.has(record.image) && record.image !== live;
  return `<tr data-job="${escapeHtml(record.jobId)}">
<td data-label="Status">${statusBadge(record.outcome)}${record.rollback ? ' <span class="tag">rollback</span>' : ''}${record.image !== undefined && record.image === live ? ' <span class="tag live">serving</span>' : ''}</td>
<td data-label="Commit" data-field="commit">${commitLink(view.web, view.repository.fullName, record.sha)}</td>
<td data-label="Trigger" data-field="trigger">${escapeHtml(record.trigger)}</td>
<td data-label="Started" data-field="deployed">${timeTag(record.startedAt)}</td>
<td data-label="Build · health · total" data-field="durations">${duration(record.buildMs)} · ${duration(record.healthMs)} · ${duration(total)}</td>
<td data-label="Result" data-field="title">${escapeHtml(record.title ?? '')}</td>
<td data-label="Log" data-field="log">${log ? `<a href="${escapeHtml(log)}">log</a>` : '<span class="muted">–</span>'}</td>
<td data-label="Actions">${rollback ? actionForm(view, 'rollback', record.sha, 'Roll back') : ''}</td>
</tr>`;
}

export function renderHistoryPage(view: HistoryView): string {
  const { repository, environment } = view;
  const canAct = allows(view.level, 'write');
  const live = liveImage(view);
  const current = view.liveSha ?? view.records[0]?.sha;
  const preview = /^pr-\d+$/.test(environment);
  const actions = canAct
    ? `<div class="actions" id="actions">${current ? actionForm(view, 'redeploy', current, 'Redeploy') : ''}${preview && current ? actionForm(view, 'destroy', current, 'Destroy preview', 'danger') : ''}</div>`
    : '<p class="muted" id="read-only">You can read this repository; deploy actions need write access.</p>';
  return layout({
    title: `${environment} · ${repository.fullName}`,
    user: view.user,
    crumbs: [{ href: '/', label: 'Repositories' }, { href: repoPath(repository), label: repository.fullName }, { label: environment }],
    mainAttributes: `data-page="history" data-events="${escapeHtml(repoPath(repository, '/events'))}" data-repository="${escapeHtml(repository.fullName)}" data-environment="${escapeHtml(environment)}" data-commit-base="${escapeHtml(`${view.web}/${repository.fullName}/commit/`)}"`,
    body: `<div class="heading"><h1>${escapeHtml(environment)}</h1>${actions}</div>
${view.notice ? `<p class="notice" id="notice">${escapeHtml(view.notice)}</p>` : ''}
<p class="muted">Running: ${commitLink(view.web, repository.fullName, view.liveSha)}. <span id="live-state" class="live-state">Live updates connecting…</span></p>
<table class="grid" id="history"><thead><tr><th>Status</th><th>Commit</th><th>Trigger</th><th>Started</th><th>Build · health · total</th><th>Result</th><th>Log</th><th>Actions</th></tr></thead>
<tbody>${view.records.map((r) => row(view, r, canAct, live)).join('\n')}</tbody></table>`,
  });
}
