/**
 * Browser source of the log viewer (served at /logs/_assets/viewer.js, no inline script).
 * EventSource with resume (Last-Event-ID, or ?lastEventId= after a manual reconnect), dedupe by
 * stream entry id, rows rendered in requestAnimationFrame batches into blocks of 500 lines
 * (content-visibility keeps 100,000-line logs fast), follows the tail only while at the bottom.
 */
import { ANSI_SCRIPT } from './ansi-script.js';

const MAIN = String.raw`
var STATUSES = ['queued', 'building', 'deployed', 'failed', 'cancelled'];
var BLOCK_LINES = 500, FRAME_LINES = 4000;
var body = document.body;
var logId = body.getAttribute('data-log-id') || '';
var token = new URLSearchParams(location.search).get('token') || '';
var query = '?token=' + encodeURIComponent(token);
var logEl = document.getElementById('log');
var statusEl = document.getElementById('status');
var previewEl = document.getElementById('preview');
var connEl = document.getElementById('conn');
var followEl = document.getElementById('follow');
document.getElementById('raw').setAttribute('href', encodeURIComponent(logId) + '.txt' + query);

var lastLineId = '0-0', resumeId = '', lineCount = 0, pending = [], scheduled = false;
var ended = false, following = true, block = null, blockLines = 0, source = null, retryMs = 1000;

function compareIds(a, b) {
  var x = a.split('-'), y = b.split('-');
  var d = Number(x[0]) - Number(y[0]);
  return d !== 0 ? d : Number(x[1]) - Number(y[1]);
}
function scroller() { return document.scrollingElement || document.documentElement; }
function atBottom() { var s = scroller(); return s.scrollHeight - s.scrollTop - s.clientHeight < 48; }
function setConn(text) { connEl.textContent = text; body.setAttribute('data-conn', text); }
function setStatus(status, url) {
  if (STATUSES.indexOf(status) < 0) return;
  statusEl.textContent = status;
  statusEl.className = 'badge badge-' + status;
  body.setAttribute('data-status', status);
  if (typeof url === 'string' && /^https?:\/\//i.test(url)) { previewEl.setAttribute('href', url); previewEl.hidden = false; }
}
function pad(n) { return n < 10 ? '0' + n : String(n); }
function clock(t) { var d = new Date(t); return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()); }

function renderLine(entry) {
  var row = document.createElement('div');
  row.className = entry[2] === 'build' ? 'ln' : 'ln src-' + entry[2];
  var no = document.createElement('span');
  no.className = 'no';
  no.textContent = String(++lineCount);
  var ts = document.createElement('span');
  ts.className = 'ts';
  ts.textContent = clock(entry[1]);
  var tx = document.createElement('span');
  tx.className = 'tx';
  var segs = parseAnsi(String(entry[3]));
  for (var i = 0; i < segs.length; i++) {
    var seg = segs[i];
    if (!seg.cls && !seg.fg && !seg.bg) { tx.appendChild(document.createTextNode(seg.text)); continue; }
    var span = document.createElement('span');
    if (seg.cls) span.className = seg.cls;
    if (seg.fg) span.style.color = seg.fg;
    if (seg.bg) span.style.backgroundColor = seg.bg;
    span.textContent = seg.text;
    tx.appendChild(span);
  }
  row.appendChild(no); row.appendChild(ts); row.appendChild(tx);
  return row;
}

function flush() {
  scheduled = false;
  // Measured before appending: a scroll the reader just made may not have fired its event yet.
  var stick = following && atBottom();
  var n = Math.min(pending.length, FRAME_LINES);
  var batch = pending.splice(0, n);
  var frag = null;
  for (var i = 0; i < batch.length; i++) {
    if (!block || blockLines >= BLOCK_LINES) {
      if (frag) block.appendChild(frag);
      block = document.createElement('div');
      block.className = 'blk';
      logEl.appendChild(block);
      blockLines = 0;
      frag = document.createDocumentFragment();
    }
    if (!frag) frag = document.createDocumentFragment();
    frag.appendChild(renderLine(batch[i]));
    blockLines++;
  }
  if (frag) block.appendChild(frag);
  body.setAttribute('data-lines', String(lineCount));
  if (stick) scroller().scrollTop = scroller().scrollHeight;
  if (pending.length > 0) schedule();
}
function schedule() { if (!scheduled) { scheduled = true; requestAnimationFrame(flush); } }

window.addEventListener('scroll', function () {
  following = atBottom();
  followEl.hidden = following;
}, { passive: true });
followEl.addEventListener('click', function () {
  following = true;
  followEl.hidden = true;
  scroller().scrollTop = scroller().scrollHeight;
});

function onLines(ev) {
  if (ev.lastEventId) resumeId = ev.lastEventId;
  var rows = JSON.parse(ev.data);
  for (var i = 0; i < rows.length; i++) {
    if (compareIds(rows[i][0], lastLineId) > 0) { lastLineId = rows[i][0]; pending.push(rows[i]); }
  }
  schedule();
}
function onStatus(ev) {
  if (ev.lastEventId) resumeId = ev.lastEventId;
  var d = JSON.parse(ev.data);
  setStatus(d.status, d.url);
}
function onEnd(ev) {
  var d = JSON.parse(ev.data);
  ended = true;
  source.close();
  if (d.status) setStatus(d.status, d.url);
  body.setAttribute('data-ended', 'true');
  setConn('finished: ' + d.conclusion);
}
function connect() {
  var url = encodeURIComponent(logId) + '/stream' + query + (resumeId ? '&lastEventId=' + encodeURIComponent(resumeId) : '');
  source = new EventSource(url);
  source.addEventListener('open', function () { retryMs = 1000; setConn('live'); });
  source.addEventListener('lines', onLines);
  source.addEventListener('status', onStatus);
  source.addEventListener('end', onEnd);
  source.addEventListener('error', function () {
    if (ended) return;
    if (source.readyState === EventSource.CLOSED) {
      setConn('connection lost, retrying');
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    } else {
      setConn('reconnecting');
    }
  });
}
setStatus(body.getAttribute('data-status') || 'queued', previewEl.getAttribute('href'));
connect();
`;

export const VIEWER_SCRIPT = `(function () {\n'use strict';\n${ANSI_SCRIPT}\n${MAIN}\n})();\n`;
