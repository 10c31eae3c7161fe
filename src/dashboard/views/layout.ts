import { csrfField, escapeHtml } from './html.js';

export interface LayoutUser {
  login: string;
  csrf: string;
}

/** Script and style are external files (strict CSP: script-src 'self', no inline script). */
export function layout(input: { title: string; user?: LayoutUser; body: string; crumbs?: { href?: string; label: string }[]; mainAttributes?: string }): string {
  const crumbs = (input.crumbs ?? []).map((c) => (c.href ? `<a href="${escapeHtml(c.href)}">${escapeHtml(c.label)}</a>` : `<span>${escapeHtml(c.label)}</span>`)).join('<span class="sep">/</span>');
  const user = input.user
    ? `<div class="user"><span id="login">@${escapeHtml(input.user.login)}</span><form method="post" action="/auth/logout">${csrfField(input.user.csrf)}<button type="submit" class="link">Sign out</button></form></div>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin"><title>${escapeHtml(input.title)} · helvetia</title>
<link rel="stylesheet" href="/dashboard/_assets/dashboard.css"><script src="/dashboard/_assets/dashboard.js" defer></script></head>
<body><header class="top"><a class="brand" href="/">helvetia</a>${user}</header>
${crumbs ? `<nav class="crumbs">${crumbs}</nav>` : ''}
<main ${input.mainAttributes ?? ''}>${input.body}</main></body></html>
`;
}
