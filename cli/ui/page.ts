/**
 * The `ui` command's page: one static HTML document, no framework. It opens `/events`
 * (server-sent events) and re-renders on every `state` event; the browser's EventSource
 * reconnects by itself if the command restarts. Every value from etcd is set as text, never
 * as HTML.
 * @module
 */

const STYLE = `
  :root { font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
  body { margin: 0 auto; max-width: 1180px; padding: 16px 24px 40px; }
  header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
  h1 { font-size: 20px; margin: 0; }
  h2 { font-size: 15px; margin: 22px 0 6px; text-transform: uppercase; letter-spacing: .04em; color: #4a5468; }
  .where { color: #5b6478; font-family: ui-monospace, monospace; font-size: 12px; }
  .pill { border-radius: 10px; padding: 1px 10px; font-size: 12px; font-weight: 600; }
  .pill.ok { background: #d8f3dc; color: #1b5e20; }
  .pill.connecting { background: #fff3c4; color: #6d5200; }
  .pill.unreachable { background: #ffd6d6; color: #8a1010; }
  #banner { display: none; margin: 12px 0; padding: 10px 14px; border-radius: 6px; background: #ffe3e3; border: 1px solid #f0a0a0; color: #7a0d0d; }
  #banner.show { display: block; }
  table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #dde1e8; border-radius: 6px; }
  th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #eceff3; vertical-align: top; }
  th { font-size: 12px; color: #5b6478; font-weight: 600; background: #f0f2f5; }
  td.key, td .key { font-family: ui-monospace, monospace; font-size: 12px; white-space: pre-line; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .none { color: #8a93a5; font-style: italic; }
  .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 24px; }
  #timeline li { font-size: 13px; margin: 2px 0; }
  #timeline time { color: #5b6478; font-variant-numeric: tabular-nums; margin-right: 6px; }
`;

const SCRIPT = `
  const $ = (id) => document.getElementById(id);
  let state;
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }
  function keyCell(text) { return el('td', { className: 'key' }, text); }
  function ago(ms) {
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    return s < 120 ? s + 's' : s < 7200 ? Math.round(s / 60) + 'm' : Math.round(s / 3600) + 'h';
  }
  function ttl(t) { return t === undefined ? '?' : t < 0 ? 'expired' : t + 's'; }
  function fill(id, headers, rows) {
    const box = $(id);
    box.replaceChildren();
    if (rows.length === 0) { box.append(el('p', { className: 'none' }, 'none')); return; }
    const table = el('table', {}, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))));
    const body = el('tbody');
    for (const row of rows) body.append(row);
    table.append(body);
    box.append(table);
  }
  function row(attrs, ...cells) {
    const tr = el('tr');
    for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
    tr.append(...cells.map((c) => (c instanceof Node ? c : el('td', {}, c))));
    return tr;
  }
  function render() {
    const s = state;
    if (!s) return;
    $('where').textContent = (s.namespace ? 'namespace ' + JSON.stringify(s.namespace) + ' on ' : '') + s.endpoints.join(', ');
    const pill = $('status');
    pill.className = 'pill ' + s.status;
    pill.textContent = s.status === 'ok' ? 'live' : s.status;
    const banner = $('banner');
    banner.className = s.status === 'ok' ? '' : 'show';
    banner.textContent = s.status === 'connecting' ? 'Connecting to etcd…' :
      s.status === 'unreachable' ? 'etcd is unreachable: ' + (s.message || 'no answer') + (s.readAt ? ' — showing what was read at ' + new Date(s.readAt).toLocaleTimeString() : '') : '';
    const m = s.model;
    if (!m) return;
    const since = (key) => (s.heldSince[key] ? ago(s.heldSince[key]) : '?');
    fill('locks', ['Name', 'Holder', 'Fencing token', 'TTL left', 'Held for', 'Waiters (in order)'], m.locks.map((l) =>
      row({ 'data-lock': l.name }, el('td', {}, l.name), el('td', { className: 'key holder' }, l.holder.key), el('td', { className: 'num' }, l.holder.fencingToken),
        el('td', { className: 'num' }, ttl(l.holder.ttl)), el('td', { className: 'num' }, since(l.holder.key)),
        el('td', { className: 'key waiters' }, l.waiters.map((w) => w.key).join('\\n') || '–'))));
    fill('elections', ['Name', 'Leader', 'Value', 'Term', 'TTL left', 'Leading for', 'Candidates'], m.elections.map((e) =>
      row({ 'data-election': e.name }, el('td', {}, e.name), el('td', { className: 'key leader' }, e.leader.key), el('td', { className: 'value' }, e.leader.value),
        el('td', { className: 'num' }, e.leader.revision), el('td', { className: 'num' }, ttl(e.leader.ttl)), el('td', { className: 'num' }, since(e.leader.key)),
        el('td', { className: 'num' }, e.candidates.length))));
    fill('rwlocks', ['Name', 'Holders', 'Waiters'], m.rwlocks.map((r) =>
      row({ 'data-rwlock': r.name }, el('td', {}, r.name), keyCell(r.holders.map((h) => h.mode + ' ' + h.key).join('\\n') || '–'),
        keyCell(r.waiters.map((w) => w.mode + ' ' + w.key).join('\\n') || '–'))));
    fill('semaphores', ['Name', 'Keys', 'In order (the first <permits> hold)'], m.semaphores.map((x) =>
      row({ 'data-semaphore': x.name }, el('td', {}, x.name), el('td', { className: 'num' }, x.keys.length), keyCell(x.keys.map((k) => k.key).join('\\n')))));
    fill('queues', ['Name', 'Kind', 'Depth', 'Claimed', 'Delayed', 'Dead-letter'], m.queues.map((q) =>
      row({ 'data-queue': q.name }, el('td', {}, q.name), el('td', {}, q.kind), ...[q.depth, q.claimed, q.delayed, q.deadLetter].map((n) => el('td', { className: 'num' }, n)))));
    fill('topics', ['Name', 'Retained', 'Groups (lag, members)'], m.topics.map((t) =>
      row({ 'data-topic': t.name }, el('td', {}, t.name), el('td', { className: 'num' }, t.retained),
        el('td', {}, t.groups.map((g) => g.name + ' (lag ' + g.lag + ', ' + g.members + (g.members === 1 ? ' member)' : ' members)')).join(', ') || '–'))));
    fill('services', ['Service', 'Instance', 'Address'], m.services.flatMap((x) => x.instances.map((i) =>
      row({ 'data-service': x.name }, el('td', {}, x.name), keyCell(i.id), keyCell(i.address)))));
    const list = $('timeline');
    list.replaceChildren();
    if (s.timeline.length === 0) list.append(el('li', { className: 'none' }, 'no handover seen yet'));
    for (const t of s.timeline) {
      const what = t.kind === 'lock'
        ? (t.to ? 'lock ' + t.name + ' → ' + t.to : 'lock ' + t.name + ' released by ' + t.from)
        : (t.to ? 'election ' + t.name + ': leader ' + t.to + ' (' + JSON.stringify(t.value) + ')' : 'election ' + t.name + ': no leader');
      list.append(el('li', {}, el('time', {}, new Date(t.at).toLocaleTimeString()), what));
    }
  }
  const events = new EventSource('events');
  events.addEventListener('state', (e) => { state = JSON.parse(e.data); render(); });
  events.onerror = () => {
    if (!state) return;
    state = { ...state, status: 'unreachable', message: 'the conclave ui command does not answer' };
    render();
  };
  setInterval(render, 1000);
`;

/** The page, as served at `/`. */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Conclave</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Conclave</h1><span id="status" class="pill connecting">connecting</span><span id="where" class="where"></span></header>
<div id="banner" class="show">Connecting…</div>
<h2>Locks</h2><div id="locks"><p class="none">…</p></div>
<h2>Elections</h2><div id="elections"><p class="none">…</p></div>
<div class="grid"><div><h2>Read/write locks</h2><div id="rwlocks"></div></div><div><h2>Semaphores</h2><div id="semaphores"></div></div></div>
<h2>Queues</h2><div id="queues"></div>
<div class="grid"><div><h2>Topics</h2><div id="topics"></div></div><div><h2>Services</h2><div id="services"></div></div></div>
<h2>Timeline: lock handovers and leader changes</h2><ul id="timeline"></ul>
<script>${SCRIPT}</script>
</body>
</html>
`;
