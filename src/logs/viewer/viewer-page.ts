/** Server-rendered shell of the viewer: metadata only; lines arrive over SSE. No inline script or style. */
import type { LogMeta } from '../log-entry.js';

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const safeHref = (url: string | undefined): string | undefined => (url && /^https?:\/\//i.test(url) ? url : undefined);

export function renderViewerPage(id: string, meta: LogMeta): string {
  const short = meta.sha.slice(0, 7);
  const commit = safeHref(meta.commitUrl);
  const preview = safeHref(meta.url);
  const link = (elId: string, href: string | undefined, text: string): string =>
    `<a id="${elId}"${href ? ` href="${escapeHtml(href)}"` : ''} rel="noopener noreferrer" target="_blank"${href ? '' : ' hidden'}>${text}</a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(`${meta.repository} @ ${short} · build log`)}</title>
<link rel="stylesheet" href="_assets/viewer.css">
<script src="_assets/viewer.js" defer></script>
</head>
<body data-log-id="${escapeHtml(id)}" data-status="${escapeHtml(meta.status)}">
<header class="bar">
<span id="status" class="badge badge-${escapeHtml(meta.status)}">${escapeHtml(meta.status)}</span>
<span class="title"><strong>${escapeHtml(meta.repository)}</strong> <code>${escapeHtml(short)}</code> → ${escapeHtml(meta.environment)}</span>
${link('commit', commit, `commit ${escapeHtml(short)}`)}
${link('preview', preview, 'open preview')}
<a id="raw" href="#">raw log</a>
<span id="conn" class="conn">connecting</span>
</header>
<main id="log" class="log" role="log" aria-label="Build log"></main>
<button id="follow" class="follow" type="button" hidden>↓ follow</button>
</body>
</html>
`;
}
