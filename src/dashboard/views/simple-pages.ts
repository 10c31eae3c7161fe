import type { UserRepository } from '../github-user.js';
import { escapeHtml, repoPath } from './html.js';
import { layout, type LayoutUser } from './layout.js';

export function renderSignInPage(message?: string): string {
  return layout({
    title: 'Sign in',
    body: `<section class="card center"><h1>helvetia</h1><p>Deployments, previews and secrets of the repositories you can reach through this GitHub App.</p>
${message ? `<p class="notice" id="message">${escapeHtml(message)}</p>` : ''}
<p><a class="button" id="sign-in" href="/auth/login">Sign in with GitHub</a></p></section>`,
  });
}

export function renderRepositoriesPage(user: LayoutUser, repositories: UserRepository[]): string {
  const items = repositories
    .map((r) => `<li><a href="${escapeHtml(repoPath(r))}" data-repository="${escapeHtml(r.fullName)}">${escapeHtml(r.fullName)}</a>${r.private ? ' <span class="tag">private</span>' : ''}</li>`)
    .join('');
  return layout({
    title: 'Repositories',
    user,
    body: `<h1>Repositories</h1>${repositories.length ? `<ul class="list" id="repositories">${items}</ul>` : '<p class="muted" id="no-repositories">No repository of this app\'s installations is yours to see.</p>'}`,
  });
}

/** The same page for a repository that does not exist and one the user cannot see. */
export function renderMessagePage(title: string, message: string, user?: LayoutUser): string {
  return layout({ title, user, body: `<section class="card center"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><a href="/">Back to your repositories</a></p></section>` });
}
