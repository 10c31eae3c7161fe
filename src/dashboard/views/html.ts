/** Escapes text for HTML element content and quoted attribute values. */
export const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A time as `YYYY-MM-DD HH:MM UTC` inside a <time> element. */
export function timeTag(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '<span class="muted">–</span>';
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** A duration in seconds with one decimal, or a dash. */
export const duration = (ms: number | undefined): string => (ms === undefined || !Number.isFinite(ms) ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** Repository paths in the dashboard: /repos/<owner>/<repo>[/…]. */
export const repoPath = (r: { owner: string; repo: string }, rest = ''): string => `/repos/${encodeURIComponent(r.owner)}/${encodeURIComponent(r.repo)}${rest}`;

export const environmentPath = (r: { owner: string; repo: string }, environment: string): string => repoPath(r, `/environments/${encodeURIComponent(environment)}`);

/** The hidden CSRF field every form carries. */
export const csrfField = (token: string): string => `<input type="hidden" name="_csrf" value="${escapeHtml(token)}">`;

const OUTCOME_LABEL: Record<string, string> = {
  success: 'deployed', failure: 'failed', timed_out: 'timed out', cancelled: 'cancelled', neutral: 'skipped', action_required: 'needs approval',
};

/** A status badge from a deploy outcome (none yet: in progress). */
export function statusBadge(outcome: string | undefined): string {
  const key = outcome ?? 'in_progress';
  return `<span class="badge badge-${escapeHtml(key)}" data-field="status">${escapeHtml(OUTCOME_LABEL[key] ?? (outcome ? outcome : 'in progress'))}</span>`;
}

/** A commit's short SHA, linked to its GitHub page. */
export function commitLink(web: string, repository: string, sha: string | undefined): string {
  if (!sha || !/^[0-9a-f]{7,40}$/.test(sha)) return '<span class="muted">–</span>';
  return `<a class="sha" href="${escapeHtml(`${web}/${repository}/commit/${sha}`)}">${sha.slice(0, 7)}</a>`;
}

/** Only http(s) links reach an href. */
export const safeHref = (url: string | undefined): string | undefined => (url && /^(https?:\/\/|\/(?!\/))/.test(url) ? url : undefined);
