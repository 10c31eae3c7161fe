import type { StoredSecretInfo } from '../../secrets/secret-store.js';
import { SCOPES } from '../../secrets/sealed-format.js';
import type { UserRepository } from '../github-user.js';
import { allows, type AccessLevel } from '../permissions.js';
import { csrfField, escapeHtml, repoPath, timeTag } from './html.js';
import { layout, type LayoutUser } from './layout.js';

export interface SecretsView {
  user: LayoutUser;
  repository: UserRepository;
  level: AccessLevel;
  /** Undefined: this server has no SEAL_PRIVATE_KEY, so there is no store. */
  secrets?: StoredSecretInfo[];
  notice?: string;
}

export function renderSecretsPage(view: SecretsView): string {
  const { repository } = view;
  const admin = allows(view.level, 'admin');
  const writer = allows(view.level, 'write');
  const action = escapeHtml(repoPath(repository, '/secrets'));
  const rows = (view.secrets ?? [])
    .map((s) => `<tr data-secret="${escapeHtml(`${s.scope}/${s.name}`)}"><td data-label="Scope">${s.scope}</td><td data-label="Name"><code>${escapeHtml(s.name)}</code></td>
<td data-label="Changed">${timeTag(s.updatedAt)}${s.by ? ` by ${escapeHtml(s.by)}` : ''}</td>
<td data-label="">${admin ? `<form method="post" class="inline" action="${action}">${csrfField(view.user.csrf)}<input type="hidden" name="op" value="unset"><input type="hidden" name="scope" value="${s.scope}"><input type="hidden" name="name" value="${escapeHtml(s.name)}"><button type="submit" class="danger" data-unset="${escapeHtml(`${s.scope}/${s.name}`)}">Unset</button></form>` : ''}</td></tr>`)
    .join('\n');
  const form = admin
    ? `<form method="post" action="${action}" class="card" id="set-secret" autocomplete="off">${csrfField(view.user.csrf)}<input type="hidden" name="op" value="set">
<h2>Set a value</h2>
<div class="fields"><label>Scope <select name="scope">${SCOPES.map((s) => `<option value="${s}">${s}</option>`).join('')}</select></label>
<label>Name <input type="text" name="name" required maxlength="128" pattern="[A-Za-z_][A-Za-z0-9_]*" placeholder="DATABASE_URL"></label>
<label>Value <input type="password" name="value" required maxlength="65536" autocomplete="new-password"></label></div>
<p><button type="submit" id="set-secret-button">Save</button></p>
<p class="muted">Values are write-only: nobody can read them back here. They apply at the next deploy: press <strong>Redeploy</strong> below for the scope (production, or the same-repository previews).</p></form>`
    : '<p class="muted" id="read-only">Setting and unsetting values needs admin access to the repository.</p>';
  const redeploy = writer && view.secrets !== undefined
    ? `<div class="card" id="redeploy-scopes"><h2>Apply the current values</h2><p>${SCOPES.map((scope) => `<form method="post" class="inline" action="${escapeHtml(repoPath(repository, '/secrets/redeploy'))}">${csrfField(view.user.csrf)}<input type="hidden" name="scope" value="${scope}"><button type="submit" data-redeploy-scope="${scope}">Redeploy ${scope}</button></form>`).join(' ')}</p>
<p class="muted">Every live environment of the scope deploys its current commit again. Fork previews get no secrets and are left alone.</p></div>`
    : '';
  const body = view.secrets === undefined
    ? '<p class="notice">This server has no secret store (SEAL_PRIVATE_KEY is not set).</p>'
    : `${rows ? `<table class="grid" id="secrets"><thead><tr><th>Scope</th><th>Name</th><th>Changed</th><th></th></tr></thead><tbody>${rows}</tbody></table>` : '<p class="muted" id="no-secrets">No stored values.</p>'}${form}${redeploy}`;
  return layout({
    title: `Secrets · ${repository.fullName}`,
    user: view.user,
    crumbs: [{ href: '/', label: 'Repositories' }, { href: repoPath(repository), label: repository.fullName }, { label: 'secrets' }],
    body: `<h1>Secrets</h1>${view.notice ? `<p class="notice" id="notice">${escapeHtml(view.notice)}</p>` : ''}${body}`,
  });
}
