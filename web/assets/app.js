// The live page of a production: polls the server that serves it (no
// other origin, no library) and draws four views.
//   #live              the graph with live counts, the run's timeline, the log
//   #trace[/RUN[/ID]]  a kept run's messages, a column per node, failures red
//   #runs              the kept runs and how they ended
//   #settings          the settings as resolved
'use strict';

const POLL_MS = 1000;
const TRACE_POLL_MS = 1500;
const TIMELINE_ROWS = 300;
const TRACE_PAGE = 1000;
const LOG_LINES = 1000;

const state = {
  view: 'live',
  live: null,
  logSeq: 0,
  graphKey: '',
  runs: [],
  traceRun: null,
  trace: null,
  traceShown: TRACE_PAGE,
  selected: null,
  traceTimer: null,
  settingsShown: false,
};

// ---- small helpers -------------------------------------------------------

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = String(text);
  return e;
}

async function getJSON(url) {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
  return r.json();
}

const pad = (n, w) => String(n).padStart(w || 2, '0');

/** "22:27:17.937" in UTC, as the log and the trace command show times. */
function clock(ms) {
  if (!ms) return '-';
  const d = new Date(ms);
  return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) +
    '.' + pad(d.getUTCMilliseconds(), 3);
}

function dateTime(ms) {
  if (!ms) return '-';
  const d = new Date(ms);
  return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
    pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
}

function seconds(s) {
  if (s === null || s === undefined) return '-';
  if (s < 1) return s.toFixed(2) + ' s';
  if (s < 60) return s.toFixed(1) + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min ' + Math.round(s - 60 * m) + ' s';
  return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
}

function bytes(n) {
  if (!n) return '-';
  if (n < 1e6) return (n / 1e3).toFixed(1) + ' kB';
  if (n < 1e9) return (n / 1e6).toFixed(1) + ' MB';
  return (n / 1e9).toFixed(2) + ' GB';
}

const looksBad = (text) => /\b(fail|failed|error|cannot|gave up|refused)\b/i.test(text);

// ---- views and routing ---------------------------------------------------

function route() {
  const parts = location.hash.replace(/^#/, '').split('/');
  const view = ['live', 'trace', 'runs', 'settings'].includes(parts[0]) ? parts[0] : 'live';
  state.view = view;
  if (view === 'trace') {
    const run = parts[1] ? Number(parts[1]) : null;
    if (run !== state.traceRun) {
      state.trace = null;
      state.traceShown = TRACE_PAGE;
    }
    state.traceRun = run;
    state.selected = parts[2] ? Number(parts[2]) : null;
  }
  for (const s of document.querySelectorAll('.view'))
    s.classList.toggle('current', s.id === 'view-' + view);
  for (const a of document.querySelectorAll('nav a'))
    a.classList.toggle('current', a.dataset.view === view);
  if (view === 'trace') loadTrace();
  if (view === 'runs' || view === 'trace') loadRuns();
  if (view === 'settings') loadSettings();
}

// ---- the header ----------------------------------------------------------

function renderHeader(live) {
  const name = (live.production && live.production.name) || 'production';
  $('title').textContent = name;
  document.title = name;
  const badge = $('run-badge');
  const run = live.run;
  if (!run) {
    // This process has not run one yet: the last kept run, if any.
    const last = state.runs[state.runs.length - 1];
    badge.textContent = !live.ready ? 'not ready: ' + live.not_ready_because
                        : last ? 'last run ' + last.run + ' ' + last.outcome : 'no run yet';
    badge.className = 'badge ' + (live.ready && last ? last.outcome : '');
    return;
  }
  const took = run.state === 'running' ? (live.now - run.started_ms) / 1000 : run.seconds;
  badge.textContent = 'run ' + run.id + ' ' + run.state + ' ' + seconds(took);
  badge.className = 'badge ' + run.state;
}

/** The productions served beside the main one (an application's second
 * production, run in the same process): each one's last run and its
 * per-node counts. */
function renderBeside(live) {
  const beside = live.beside || [];
  $('beside-panel').hidden = beside.length === 0;
  const rows = beside.map((b) => {
    const run = b.run;
    const tr = el('tr', 'beside-production');
    tr.dataset.production = b.production.name;
    const cell = el('td');
    if (run) {
      const took = run.state === 'running' ? (live.now - run.started_ms) / 1000 : run.seconds;
      cell.appendChild(el('span', 'badge ' + run.state,
                           'run ' + run.id + ' ' + run.state + ' ' + seconds(took)));
      tr.addEventListener('click', () => { location.hash = '#trace/' + run.id; });
    } else {
      cell.textContent = 'no run yet';
    }
    const counts = Object.entries(b.counts || {}).map(([node, c]) =>
      node + ': ' + c.done + ' done' + (c.active ? ', ' + c.active + ' active' : '') +
      (c.queued ? ', ' + c.queued + ' queued' : '') + (c.failed ? ', ' + c.failed + ' failed' : ''));
    const runs = b.runs || {};
    tr.append(el('td', '', b.production.name), cell,
              el('td', 'what', run ? (run.error || run.summary) : ''),
              el('td', 'muted', counts.join('; ')),
              el('td', '', (runs.ok || 0) + ' ok, ' + (runs.failed || 0) + ' failed'));
    return tr;
  });
  $('beside').tBodies[0].replaceChildren(...rows);
}

// ---- the production graph --------------------------------------------------

const BOX_W = 200, BOX_H = 60, GAP = 10, COL_X = { service: 10, process: 300, operation: 630 };
const GRAPH_W = COL_X.operation + BOX_W + 10;
const COUNTS = ['queued', 'active', 'done', 'failed'];

function layout(production) {
  const nodes = production.nodes;
  const byKind = { service: [], process: [], operation: [] };
  for (const n of nodes) (byKind[n.kind] || byKind.operation).push(n);
  const rows = Math.max(byKind.service.length, byKind.process.length, byKind.operation.length, 1);
  const height = 24 + rows * (BOX_H + GAP);
  const place = {};
  for (const [kind, list] of Object.entries(byKind)) {
    const top = 24 + ((rows - list.length) * (BOX_H + GAP)) / 2;
    list.forEach((n, i) => {
      place[n.id] = { x: COL_X[kind], y: top + i * (BOX_H + GAP), node: n };
    });
  }
  return { place, height, byKind };
}

function buildGraph(production) {
  const { place, height, byKind } = layout(production);
  const root = svg('svg', { viewBox: '0 0 ' + GRAPH_W + ' ' + height, width: GRAPH_W,
                            height, role: 'img', 'aria-label': 'the production graph' });
  const titles = { service: 'Services', process: 'Processes', operation: 'Operations' };
  for (const kind of Object.keys(titles))
    if (byKind[kind].length)
      root.appendChild(svg('text', { x: COL_X[kind], y: 14, class: 'group-label' }, titles[kind]));
  for (const e of production.edges) {
    const a = place[e.from], b = place[e.to];
    if (!a || !b) continue;
    const x1 = a.x + BOX_W, y1 = a.y + BOX_H / 2, x2 = b.x, y2 = b.y + BOX_H / 2;
    const mx = (x1 + x2) / 2;
    root.appendChild(svg('path', { class: 'edge', d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`,
                                   'marker-end': 'url(#arrowhead)' }));
    root.appendChild(svg('text', { class: 'edge-label', x: x2 - 4, y: y2 - 4, 'text-anchor': 'end' },
                         e.message));
  }
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrowhead', viewBox: '0 0 10 10', refX: 9, refY: 5,
                                 markerWidth: 7, markerHeight: 7, orient: 'auto' });
  marker.appendChild(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#9aa6b8' }));
  defs.appendChild(marker);
  root.appendChild(defs);
  for (const { x, y, node } of Object.values(place)) {
    const g = svg('g', { class: 'node', id: 'node-' + node.id, transform: `translate(${x},${y})` });
    g.appendChild(svg('rect', { class: 'box', width: BOX_W, height: BOX_H, rx: 6 }));
    const title = node.title + (node.pooled ? ' \u00d7' + node.size : '');
    g.appendChild(svg('text', { class: 'title', x: 10, y: 17 }, title));
    g.appendChild(svg('title', {}, node.id + ': ' + node.does));
    const role = { service: 'starts runs', process: 'drives each run' }[node.kind] ||
                 (node.size === 1 ? '1 worker' : node.size + ' workers');
    g.appendChild(svg('text', { class: 'sub', x: 10, y: 32 }, node.id + ' \u00b7 ' + role));
    const counts = svg('text', { x: 10, y: 50 });
    COUNTS.forEach((c, i) => {
      counts.appendChild(svg('tspan', { class: 'count-label', dx: i ? 6 : 0 }, c + ' '));
      counts.appendChild(svg('tspan', { class: 'count ' + c, id: 'count-' + node.id + '-' + c }, 0));
    });
    g.appendChild(counts);
    root.appendChild(g);
  }
  const host = $('graph');
  host.replaceChildren(root);
}

/** The service's counts are its runs: active while one goes, done and failed by outcome. */
function countsOf(live, node) {
  if (node.kind === 'service') {
    const runs = live.runs || {};
    return { queued: 0, active: live.run && live.run.state === 'running' ? 1 : 0,
             done: runs.ok || 0, failed: (runs.failed || 0) };
  }
  return live.counts[node.id] || { queued: 0, active: 0, done: 0, failed: 0 };
}

function renderGraph(live) {
  const production = live.production;
  if (!production || !production.nodes) return;
  const key = JSON.stringify(production);
  if (key !== state.graphKey) {
    buildGraph(production);
    state.graphKey = key;
  }
  for (const node of production.nodes) {
    const c = countsOf(live, node);
    for (const k of COUNTS) {
      const t = $('count-' + node.id + '-' + k);
      if (t && t.textContent !== String(c[k] || 0)) t.textContent = String(c[k] || 0);
    }
    const g = $('node-' + node.id);
    if (g) {
      g.classList.toggle('busy', (c.active || 0) > 0);
      g.classList.toggle('has-failed', (c.failed || 0) > 0);
    }
  }
  const run = live.run;
  $('graph-note').textContent = run ? '(counts of run ' + run.id + ')' : '';
}

// ---- the run's timeline ----------------------------------------------------

const PALETTE = ['#3b7dd8', '#2e9e5b', '#8a5cc2', '#c27c2e', '#2aa3a3'];

function renderTimeline(live) {
  const run = live.run;
  $('timeline-run').textContent = run ? run.id : '-';
  const host = $('timeline');
  const rows = live.timeline || [];
  if (!run || rows.length === 0) {
    host.replaceChildren(el('p', 'muted', 'No requests with a subject yet.'));
    $('legend').replaceChildren();
    return;
  }
  const colors = {};
  for (const r of rows)
    for (const b of r.bars)
      if (!(b.node in colors)) colors[b.node] = PALETTE[Object.keys(colors).length % PALETTE.length];
  const legend = [];
  for (const [node, color] of Object.entries(colors)) {
    const item = el('span');
    const sw = el('span', 'swatch');
    sw.style.background = color;
    item.append(sw, node);
    legend.push(item);
  }
  const wait = el('span');
  const ws = el('span', 'swatch');
  ws.style.background = '#dfe6f1';
  wait.append(ws, 'waiting for a worker');
  const failed = el('span');
  const fs = el('span', 'swatch');
  fs.style.background = '#d03b3b';
  failed.append(fs, 'failed');
  legend.push(wait, failed);
  $('legend').replaceChildren(...legend);

  const t0 = run.started_ms;
  let t1 = run.ended_ms || live.now;
  for (const r of rows) for (const b of r.bars) t1 = Math.max(t1, b.finished_ms || 0);
  const span = Math.max(t1 - t0, 1);
  let shown = rows;
  let note = rows.length + ' rows';
  if (rows.length > TIMELINE_ROWS) {
    // The most recently active rows, in their order.
    const last = (r) => Math.max(...r.bars.map((b) => b.finished_ms || live.now));
    const cut = rows.map(last).sort((a, b) => b - a)[TIMELINE_ROWS - 1];
    shown = rows.filter((r) => last(r) >= cut).slice(0, TIMELINE_ROWS);
    note = 'the ' + shown.length + ' most recently active of ' + rows.length + ' rows';
  }
  $('timeline-note').textContent = '(' + note + ')';
  const out = [];
  for (const r of shown) {
    const row = el('div', 'timeline-row');
    row.dataset.key = r.key;
    const track = el('div', 'track');
    for (const b of r.bars) {
      const end = b.finished_ms || live.now;
      const bar = el('div', 'bar ' + b.node + ' ' + b.status);
      bar.style.left = ((100 * (b.sent_ms - t0)) / span).toFixed(3) + '%';
      bar.style.width = ((100 * Math.max(end - b.sent_ms, 0)) / span).toFixed(3) + '%';
      bar.style.background = colors[b.node];
      const started = b.started_ms || end;
      const w = el('div', 'wait');
      w.style.width = ((100 * (started - b.sent_ms)) / Math.max(end - b.sent_ms, 1)).toFixed(1) + '%';
      bar.appendChild(w);
      bar.title = b.node + ' ' + r.key + ': ' + b.status + ', sent ' + clock(b.sent_ms) +
        ', started ' + clock(b.started_ms) + ', answered ' + clock(b.finished_ms);
      track.appendChild(bar);
    }
    row.append(el('span', 'key', r.key), track);
    out.push(row);
  }
  const axis = el('div', 'axis');
  axis.append(el('span', '', '0 s'), el('span', '', seconds(span / 2000)),
              el('span', '', seconds(span / 1000)));
  out.push(axis);
  host.replaceChildren(...out);
}

// ---- the event log -------------------------------------------------------

function logLine(entry) {
  const line = el('div', 'line' + (looksBad(entry.text) ? ' bad' : ''));
  line.append(el('span', 'time', clock(entry.t) + ' '), el('span', 'component', entry.component + ': '),
              document.createTextNode(entry.text));
  return line;
}

function appendLog(host, entries) {
  if (!entries.length) return;
  const atBottom = host.scrollTop + host.clientHeight >= host.scrollHeight - 4;
  for (const e of entries) host.appendChild(logLine(e));
  while (host.childElementCount > LOG_LINES) host.firstElementChild.remove();
  if (atBottom) host.scrollTop = host.scrollHeight;
}

// ---- polling the live state ----------------------------------------------

let lastRunState = '';

async function pollLive() {
  try {
    const live = await getJSON('/api/live?log_after=' + state.logSeq);
    const first = state.live === null;
    state.live = live;
    // The trace's columns follow the graph, known from now on.
    if (first && state.view === 'trace') renderTrace();
    renderHeader(live);
    renderBeside(live);
    renderGraph(live);
    renderTimeline(live);
    appendLog($('log'), live.log);
    state.logSeq = live.log_seq;
    $('status').textContent = 'updated ' + clock(live.now) + ' UTC';
    const runState = live.run ? live.run.id + ' ' + live.run.state : '';
    if (runState !== lastRunState) {
      lastRunState = runState;
      if (state.view === 'runs' || state.view === 'trace') loadRuns();
    }
  } catch (e) {
    $('status').textContent = 'cannot reach the server (' + e.message + ')';
  }
}

// ---- the run history -----------------------------------------------------

async function loadRuns() {
  try {
    state.runs = await getJSON('/api/runs');
  } catch (e) {
    return;
  }
  const body = $('history').tBodies[0];
  const rows = [];
  for (const r of state.runs.slice().reverse()) {
    const tr = el('tr', 'run ' + r.outcome);
    tr.dataset.run = r.run;
    const badge = el('span', 'badge ' + r.outcome, r.outcome);
    const outcome = el('td');
    outcome.appendChild(badge);
    tr.append(el('td', '', r.run), el('td', 'production', r.production || '-'),
              el('td', '', dateTime(r.started_ms)), outcome,
              el('td', '', r.ended_ms ? seconds(r.seconds) : '-'),
              el('td', 'what', r.error || r.summary));
    tr.addEventListener('click', () => { location.hash = '#trace/' + r.run; });
    rows.push(tr);
  }
  if (!rows.length) {
    const tr = el('tr');
    const td = el('td', 'muted', 'No run traced yet.');
    td.colSpan = 6;
    tr.appendChild(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  const select = $('trace-run');
  const options = state.runs.slice().reverse().map((r) => {
    const o = el('option', '', 'run ' + r.run + ' \u2014 ' + r.outcome + ' \u2014 ' + dateTime(r.started_ms));
    o.value = r.run;
    return o;
  });
  select.replaceChildren(...options);
  if (state.view === 'trace' && state.traceRun === null && state.runs.length) {
    state.traceRun = state.runs[state.runs.length - 1].run;
    loadTrace();
  }
  if (state.traceRun !== null) select.value = String(state.traceRun);
}

// ---- the visual trace ----------------------------------------------------

/** The graph of the production a traced run belongs to: the main one, or
 * one served beside it. */
function graphOf(trace) {
  const live = state.live || {};
  const name = trace.run && trace.run.production;
  for (const b of live.beside || [])
    if (name && b.production && b.production.name === name) return b.production;
  return live.production;
}

function lanesOf(trace) {
  const order = [];
  const production = graphOf(trace);
  if (production && production.nodes) for (const n of production.nodes) order.push(n.id);
  for (const m of trace.messages)
    for (const id of [m.source, m.target]) if (id && !order.includes(id)) order.push(id);
  return order;
}

/** The address of a page of the trace: the server sends a trace page by
 * page (messages from `offset`, the log's last lines), never whole. */
function tracePage(run, offset, limit) {
  const failed = $('trace-failed-only').checked ? '&failed=1' : '';
  const select = state.selected !== null ? '&select=' + state.selected : '';
  return '/api/runs/' + run + '?offset=' + offset + '&limit=' + limit + failed + select +
    '&log_limit=' + (LOG_LINES - 1); // and a line that says how many there are
}

async function loadTrace() {
  clearTimeout(state.traceTimer);
  if (state.view !== 'trace') return;
  if (state.traceRun === null) {
    $('trace').replaceChildren(el('p', 'muted', 'No run traced yet.'));
    return;
  }
  const run = state.traceRun;
  let trace;
  try {
    // The messages shown so far again (a running run grows).
    trace = await getJSON(tracePage(run, 0, state.traceShown));
  } catch (e) {
    $('trace').replaceChildren(el('p', 'muted', 'No trace of run ' + run + ' (' + e.message + ').'));
    return;
  }
  if (state.traceRun !== run) return;
  state.trace = trace;
  // A failed run opens on its cause: the request that got the first error
  // back (the run_request fails too, but last).
  if (state.selected === null && trace.first_failure) state.selected = trace.first_failure;
  renderTrace();
  if (trace.run.outcome === 'running' || trace.run.outcome === 'unfinished')
    state.traceTimer = setTimeout(loadTrace, TRACE_POLL_MS);
}

/** The next page of messages, after those shown. */
async function moreTrace() {
  const trace = state.trace;
  if (!trace) return;
  const run = state.traceRun;
  let page;
  try {
    page = await getJSON(tracePage(run, trace.messages.length, TRACE_PAGE));
  } catch (e) {
    return;
  }
  if (state.traceRun !== run || state.trace !== trace) return;
  trace.messages = trace.messages.concat(page.messages);
  trace.messages_total = page.messages_total;
  state.traceShown = trace.messages.length;
  renderTrace();
}

/** The selected message and the reply that answers it, from the server
 * when not among the messages shown. */
async function loadSelected(id) {
  const run = state.traceRun;
  let page;
  try {
    page = await getJSON('/api/runs/' + run + '?limit=0&log_limit=0&select=' + id);
  } catch (e) {
    return;
  }
  if (state.traceRun !== run || state.selected !== id || !state.trace) return;
  state.trace.selected = page.selected;
  state.trace.selected_reply = page.selected_reply;
  renderDetail();
}

function renderTrace() {
  const trace = state.trace;
  if (!trace) return;
  const run = trace.run;
  $('trace-run').value = String(run.run);
  const outcome = $('trace-outcome');
  outcome.textContent = run.outcome;
  outcome.className = 'badge ' + run.outcome;
  const headline = $('trace-headline');
  headline.className = 'headline ' + run.outcome;
  headline.textContent = 'Run ' + run.run + ' on ' + (run.host || '?') + ', started ' +
    dateTime(run.started_ms) + ' UTC' + (run.ended_ms ? ', ' + run.outcome + ' after ' + seconds(run.seconds) : '') +
    (run.error ? ': ' + run.error : run.summary ? ': ' + run.summary : '');

  const lanes = lanesOf(trace);
  const lane = {};
  lanes.forEach((id, i) => { lane[id] = i; });
  const head = el('div', 'lanes-head');
  const names = el('div', 'lanes');
  for (const id of lanes) names.appendChild(el('div', 'lane', id));
  head.append(el('div', 'num', '#'), el('div', 'when', 'sent (UTC)'), names);
  const rows = [head];
  for (const m of trace.messages) {
    const pending = m.status === 'queued' || m.status === 'active';
    const row = el('div', 'msg ' + (m.answers ? 'reply' : 'request') + ' ' + m.status +
                   (pending ? ' pending' : '') + (m.id === state.selected ? ' selected' : ''));
    row.dataset.id = m.id;
    const area = el('div', 'lanes');
    for (let i = 0; i < lanes.length; ++i) area.appendChild(el('div', 'lane'));
    const from = lane[m.source] !== undefined ? lane[m.source] : 0;
    const to = lane[m.target] !== undefined ? lane[m.target] : 0;
    const lo = Math.min(from, to), hi = Math.max(from, to);
    const left = (100 * (lo + 0.5)) / lanes.length, width = (100 * Math.max(hi - lo, 0.3)) / lanes.length;
    const arrow = el('div', 'arrow ' + (to >= from ? 'right' : 'left') + (m.answers ? ' reply' : ''));
    arrow.style.left = left.toFixed(3) + '%';
    arrow.style.width = width.toFixed(3) + '%';
    const label = el('div', 'arrow-label',
                     m.type + (m.key ? ' ' + m.key : '') + (m.status === 'failed' && m.answers ? ': ' + m.error : ''));
    label.style.left = left.toFixed(3) + '%';
    label.style.width = width.toFixed(3) + '%';
    area.append(arrow, label);
    row.title = m.error ? m.error : m.summary;
    row.append(el('div', 'num', m.id), el('div', 'when', clock(m.sent_ms)), area);
    row.addEventListener('click', () => select(m.id));
    rows.push(row);
  }
  if (trace.messages.length === 0)
    rows.push(el('p', 'muted empty', $('trace-failed-only').checked
      ? 'No message of this run failed.' : 'No message in this run yet.'));
  $('trace').replaceChildren(...rows);
  const more = $('trace-more');
  more.replaceChildren();
  const total = trace.messages_total;
  if (total > trace.messages.length) {
    const b = el('button', '', 'show ' + Math.min(TRACE_PAGE, total - trace.messages.length) +
                 ' more of ' + total);
    b.addEventListener('click', moreTrace);
    more.appendChild(b);
  }
  renderDetail();
  const log = $('trace-log');
  log.replaceChildren();
  if (trace.log_offset > 0)
    log.appendChild(el('div', 'line muted', '(the last ' + trace.log.length + ' of ' +
                       trace.log_total + ' lines)'));
  appendLog(log, trace.log);
}

function select(id) {
  state.selected = id;
  if (state.trace) {
    // Asked of the server only when the message, or the reply to a
    // request, is not among those shown.
    const shown = state.trace.messages;
    const m = shown.find((x) => x.id === id);
    state.trace.selected = null;
    state.trace.selected_reply = null;
    if (!m || (!m.answers && !shown.some((x) => x.answers === id))) loadSelected(id);
  }
  history.replaceState(null, '', '#trace/' + state.traceRun + '/' + id);
  for (const row of document.querySelectorAll('#trace .msg'))
    row.classList.toggle('selected', Number(row.dataset.id) === id);
  renderDetail();
}

function renderDetail() {
  const host = $('trace-detail');
  const trace = state.trace;
  const fetched = (x) => x && x.id === state.selected ? x : undefined;
  const m = trace && (trace.messages.find((x) => x.id === state.selected) ||
                      fetched(trace.selected));
  if (!m) {
    host.className = 'detail';
    host.replaceChildren(el('p', 'muted', 'Click a message for its body.'));
    return;
  }
  host.className = 'detail ' + m.status;
  const reply = trace.messages.find((x) => x.answers === m.id) ||
    (trace.selected_reply && trace.selected_reply.answers === m.id ? trace.selected_reply : undefined);
  const dl = el('dl');
  const add = (k, v, cls) => {
    if (v === undefined || v === null || v === '' || v === '-') return;
    dl.append(el('dt', '', k), el('dd', cls || '', v));
  };
  add('from', m.source + ' \u2192 ' + m.target);
  add('status', m.status);
  if (m.answers) add('answers', '#' + m.answers);
  if (reply) add('answered by', '#' + reply.id + ' ' + reply.type);
  add('about', m.key);
  add('sent', clock(m.sent_ms));
  if (!m.answers) {
    add('started', clock(m.started_ms));
    add('finished', clock(m.finished_ms));
    if (m.started_ms) add('waited', seconds((m.started_ms - m.sent_ms) / 1000));
    if (m.finished_ms && m.started_ms) add('took', seconds((m.finished_ms - m.started_ms) / 1000));
  }
  add('worker', m.worker);
  add('host', m.host);
  if (m.bytes) add('bytes', bytes(m.bytes) + ' (' + m.bytes + ')');
  add('body', m.summary);
  add('error', m.error, 'error');
  host.replaceChildren(el('h3', '', '#' + m.id + ' ' + m.type), dl);
}

// ---- the settings --------------------------------------------------------

async function loadSettings() {
  if (state.settingsShown) return;
  let settings;
  try {
    settings = await getJSON('/api/settings');
  } catch (e) {
    return;
  }
  const rows = Object.entries(settings).map(([k, v]) => {
    const tr = el('tr');
    tr.append(el('td', '', k), el('td', '', typeof v === 'string' ? v : JSON.stringify(v)));
    return tr;
  });
  $('settings').tBodies[0].replaceChildren(...rows);
  state.settingsShown = true;
}

// ---- start ---------------------------------------------------------------

window.addEventListener('hashchange', route);
$('trace-run').addEventListener('change', (e) => { location.hash = '#trace/' + e.target.value; });
$('trace-failed-only').addEventListener('change', () => {
  state.traceShown = TRACE_PAGE;
  loadTrace();
});
route();
loadRuns();
pollLive();
setInterval(pollLive, POLL_MS);
