/**
 * The dashboard's one script (served from /dashboard/_assets/dashboard.js, CSP script-src 'self'):
 * follows the repository's SSE stream and updates the environment or history rows in place.
 * Text only (textContent), never HTML from the stream.
 */
export const DASHBOARD_SCRIPT = String.raw`(function () {
  'use strict';
  var main = document.querySelector('main[data-events]');
  if (!main || typeof EventSource === 'undefined') return;
  var page = main.getAttribute('data-page');
  var commitBase = main.getAttribute('data-commit-base') || '';
  var envBase = main.getAttribute('data-env-base') || '';
  var onlyEnvironment = main.getAttribute('data-environment');
  var state = document.getElementById('live-state');
  var LABELS = { success: 'deployed', failure: 'failed', timed_out: 'timed out', cancelled: 'cancelled', neutral: 'skipped', action_required: 'needs approval' };
  var ENV_CELLS = ['Environment', 'Status', 'URL', 'Commit', 'Trigger', 'Deployed', 'Image', 'Resources', 'Services', 'Volumes'];
  var HISTORY_CELLS = ['Status', 'Commit', 'Trigger', 'Started', 'Build \u00b7 health \u00b7 total', 'Result', 'Log', 'Actions'];

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function fill(cell, child) { cell.textContent = ''; cell.appendChild(child); }
  function field(row, name) { return row.querySelector('[data-field="' + name + '"]'); }
  function isoTime(ms) {
    if (typeof ms !== 'number') return el('span', '\u2013', 'muted');
    var iso = new Date(ms).toISOString();
    var t = el('time', iso.slice(0, 16).replace('T', ' ') + ' UTC');
    t.setAttribute('datetime', iso);
    return t;
  }
  function seconds(ms) { return typeof ms === 'number' ? (ms / 1000).toFixed(1) + ' s' : '\u2013'; }
  function badge(outcome) {
    var key = outcome || 'in_progress';
    var b = el('span', LABELS[key] || (outcome ? String(outcome) : 'in progress'), 'badge badge-' + key.replace(/[^a-z_]/g, ''));
    b.setAttribute('data-field', 'status');
    return b;
  }
  function commit(sha) {
    if (typeof sha !== 'string' || !/^[0-9a-f]{7,40}$/.test(sha)) return el('span', '\u2013', 'muted');
    var a = el('a', sha.slice(0, 7), 'sha');
    a.href = commitBase + sha;
    return a;
  }
  function link(url, text) {
    if (typeof url !== 'string' || !/^(https?:\/\/|\/(?!\/))/.test(url)) return el('span', '\u2013', 'muted');
    var a = el('a', text || url.replace(/^https?:\/\//, ''));
    a.href = url;
    return a;
  }
  function newRow(labels, attr, value) {
    var tr = document.createElement('tr');
    tr.setAttribute(attr, value);
    labels.forEach(function (label) { var td = el('td'); td.setAttribute('data-label', label); tr.appendChild(td); });
    return tr;
  }
  function flash(row) {
    row.classList.remove('flash');
    void row.offsetWidth;
    row.classList.add('flash');
  }

  // The row of body whose attribute equals value (compared as text, never put into a selector), or null.
  function rowOf(body, attribute, value) {
    var found = null;
    body.querySelectorAll('tr[' + attribute + ']').forEach(function (tr) { if (tr.getAttribute(attribute) === value) found = tr; });
    return found;
  }

  function updateEnvironment(r) {
    var body = document.querySelector('#environments tbody');
    if (!body) return;
    var row = rowOf(body, 'data-environment', r.environment);
    if (!row) {
      row = newRow(ENV_CELLS, 'data-environment', r.environment);
      var cells = row.children;
      var a = el('a', r.environment);
      a.href = envBase + encodeURIComponent(r.environment);
      cells[0].appendChild(a);
      ['status', 'url', 'commit', 'trigger', 'deployed', 'image', 'usage'].forEach(function (name, i) { if (i > 0) cells[i + 1].setAttribute('data-field', name); });
      cells[7].appendChild(el('span', '\u2013', 'muted'));
      cells[8].appendChild(el('span', '\u2013', 'muted'));
      body.appendChild(row);
      var empty = document.getElementById('no-environments');
      if (empty) empty.remove();
    }
    var status = field(row, 'status');
    if (status) status.replaceWith(badge(r.outcome)); else row.children[1].appendChild(badge(r.outcome));
    fill(field(row, 'url'), link(r.url));
    fill(field(row, 'commit'), commit(r.sha));
    field(row, 'trigger').textContent = r.trigger || '\u2013';
    fill(field(row, 'deployed'), isoTime(r.finishedAt || r.startedAt));
    fill(field(row, 'image'), el('code', r.image || '\u2013'));
    flash(row);
  }

  function updateHistory(r) {
    if (r.environment !== onlyEnvironment) return;
    var body = document.querySelector('#history tbody');
    if (!body) return;
    var row = rowOf(body, 'data-job', r.jobId);
    if (!row) {
      row = newRow(HISTORY_CELLS, 'data-job', r.jobId);
      ['', 'commit', 'trigger', 'deployed', 'durations', 'title', 'log'].forEach(function (name, i) { if (name) row.children[i].setAttribute('data-field', name); });
      body.insertBefore(row, body.firstChild);
    }
    var status = field(row, 'status');
    if (status) status.replaceWith(badge(r.outcome)); else row.children[0].appendChild(badge(r.outcome));
    fill(field(row, 'commit'), commit(r.sha));
    field(row, 'trigger').textContent = r.trigger || '';
    fill(field(row, 'deployed'), isoTime(r.startedAt));
    var total = typeof r.finishedAt === 'number' ? r.finishedAt - r.startedAt : undefined;
    field(row, 'durations').textContent = seconds(r.buildMs) + ' \u00b7 ' + seconds(r.healthMs) + ' \u00b7 ' + seconds(total);
    field(row, 'title').textContent = r.title || '';
    fill(field(row, 'log'), link(r.logUrl, 'log'));
    flash(row);
  }

  function connect() {
    var source = new EventSource(main.getAttribute('data-events'));
    source.addEventListener('open', function () { if (state) { state.textContent = 'Live'; state.className = 'live-state on'; } });
    source.addEventListener('error', function () { if (state) { state.textContent = 'Reconnecting\u2026'; state.className = 'live-state off'; } });
    source.addEventListener('record', function (event) {
      var r;
      try { r = JSON.parse(event.data); } catch (e) { return; }
      if (!r || typeof r.environment !== 'string') return;
      if (page === 'environments') updateEnvironment(r); else if (page === 'history') updateHistory(r);
    });
  }
  connect();
})();
`;
