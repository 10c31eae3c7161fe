import type { AppManifest } from './manifest.js';

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.6rem}form{border:1px solid #d0d7de;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
button{font:inherit;background:#1f883d;color:#fff;border:0;border-radius:6px;padding:.5rem 1rem;cursor:pointer}
input[type=text]{font:inherit;padding:.35rem .5rem;border:1px solid #d0d7de;border-radius:6px}
code,pre{background:#f6f8fa;border-radius:4px;padding:.1rem .3rem}pre{padding:.75rem;overflow:auto;white-space:pre-wrap;word-break:break-all}
.muted{color:#59636e}.ok{color:#1a7f37}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>
`;
}

/**
 * The setup page: two forms that post the manifest to GitHub (no script: the organization form
 * posts here and is sent on with a 307, which keeps the body).
 */
export function renderSetupPage(input: { manifest: AppManifest; state: string; githubWeb: string }): string {
  const manifest = escapeHtml(JSON.stringify(input.manifest));
  const state = encodeURIComponent(input.state);
  return page(
    'Set up helvetia',
    `<h1>Set up helvetia</h1>
<p>This server has no GitHub App yet. Register one in a click: GitHub shows you the app
(<strong>${escapeHtml(input.manifest.name)}</strong>, webhooks to <code>${escapeHtml(input.manifest.hook_attributes.url)}</code>)
before you create it, and sends its credentials back here.</p>
<form id="personal" method="post" action="${escapeHtml(`${input.githubWeb}/settings/apps/new?state=${state}`)}">
<input type="hidden" name="manifest" value="${manifest}">
<p><button type="submit" id="register-personal">Register GitHub App</button> <span class="muted">on your personal account</span></p>
</form>
<form id="organization" method="post" action="/setup/organization?state=${state}">
<input type="hidden" name="manifest" value="${manifest}">
<p><label>Organization <input type="text" name="organization" id="org" required pattern="[A-Za-z0-9][A-Za-z0-9-]{0,38}"></label>
<button type="submit" id="register-organization">Register GitHub App</button></p>
</form>
<p class="muted">GitHub: ${escapeHtml(input.githubWeb)}. This page is served only until the app is registered.</p>`,
  );
}

export function renderDonePage(input: { slug: string; installUrl: string; written?: string; values?: Record<string, string> }): string {
  const where = input.written
    ? `<p class="ok" id="written">The credentials were written to <code>${escapeHtml(input.written)}</code>.</p>`
    : `<p id="not-written">The credentials could not be written to a <code>.env</code> file here (in a container, it is not writable).
Put these lines into your <code>.env</code> now: they are shown once.</p>
<pre id="credentials">${escapeHtml(Object.entries(input.values ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n'))}</pre>`;
  return page(
    'helvetia is registered',
    `<h1>GitHub App <code>${escapeHtml(input.slug)}</code> registered</h1>
${where}
<ol><li>Restart helvetia (<code>docker compose up -d</code>, or <code>npm start</code> again) so it loads them.</li>
<li><a id="install" href="${escapeHtml(input.installUrl)}">Install the app</a> on the repositories helvetia should deploy.</li>
<li>Push to a default branch or open a pull request.</li></ol>`,
  );
}

export const renderGonePage = (message: string): string => page('helvetia setup', `<h1>Setup</h1><p>${escapeHtml(message)}</p>`);
