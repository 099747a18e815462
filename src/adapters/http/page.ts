// The live status page: three static strings, served as three files so that the page runs under a
// Content-Security-Policy without 'unsafe-inline' (no inline script or style, no eval). Every
// breaker name reaches the page through textContent, never as markup.

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>circuits</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="page.css">
<script src="page.js" defer></script>
</head>
<body>
<header><h1>circuits</h1><p id="summary">loading…</p><p id="live" class="offline">not live</p></header>
<main id="circuits"></main>
</body>
</html>
`;

export const PAGE_CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{display:flex;gap:1.5em;align-items:baseline;padding:.8em 1.2em;background:#1d2330;color:#fff}
h1{font-size:1.2em;margin:0}#live.online{color:#7ee2a8}#live.offline{color:#f3b07a}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:.8em;padding:1em}
.circuit{background:#fff;border-radius:6px;padding:.7em .9em;border-left:6px solid #999;box-shadow:0 1px 2px #0002}
.circuit h2{font-size:1em;margin:0 0 .3em;overflow-wrap:anywhere}
.state{font-weight:600;text-transform:uppercase;font-size:.8em;letter-spacing:.04em}
.circuit[data-state=closed]{border-color:#2e9e5b}.circuit[data-state=open]{border-color:#d64545}
.circuit[data-state=half-open]{border-color:#e0a31c}.circuit[data-state=isolated]{border-color:#7a3fc4}
.circuit[data-state=disabled]{border-color:#888}
.counts,.trial{color:#555;font-size:.85em;margin:.2em 0}
svg{width:100%;height:36px;display:block;margin-top:.3em}
polyline{vector-effect:non-scaling-stroke}
.calls{fill:none;stroke:#3b6fd6;stroke-width:1.5}.failures{fill:none;stroke:#d64545;stroke-width:1.5}
button{margin:.4em .3em 0 0;font-size:.8em}
`;

export const PAGE_JS = `'use strict';
(() => {
  const base = location.pathname.endsWith('/') ? location.pathname : location.pathname.replace(/\\/index\\.html$/, '') + '/';
  const list = document.getElementById('circuits');
  const summary = document.getElementById('summary');
  const live = document.getElementById('live');
  const POINTS = 60;
  const cards = new Map();
  let report = { circuits: [], refresh: 2000, control: false };
  let readAt = Date.now();
  let timer;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function card(key) {
    let found = cards.get(key);
    if (found) return found;
    const root = element('section', 'circuit');
    const title = element('h2');
    const state = element('div', 'state');
    const counts = element('div', 'counts');
    const trial = element('div', 'trial');
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + (POINTS - 1) + ' 100');
    svg.setAttribute('preserveAspectRatio', 'none');
    const calls = document.createElementNS(ns, 'polyline');
    calls.setAttribute('class', 'calls');
    const failures = document.createElementNS(ns, 'polyline');
    failures.setAttribute('class', 'failures');
    svg.append(calls, failures);
    root.append(title, state, counts, trial, svg);
    found = { root, title, state, counts, trial, calls, failures, history: [], last: undefined, status: undefined };
    if (report.control) {
      for (const action of ['open', 'close', 'isolate']) {
        const button = element('button', '', action);
        button.addEventListener('click', () => control(key, action));
        root.append(button);
      }
    }
    cards.set(key, found);
    return found;
  }

  function spark(line, values, top) {
    line.setAttribute('points', values.map((v, i) => (i + POINTS - values.length) + ',' + (100 - (100 * v) / top).toFixed(1)).join(' '));
  }

  function render(c) {
    const view = card(c.key);
    view.status = c;
    view.root.dataset.state = c.state;
    view.root.dataset.key = c.key;
    view.title.textContent = c.name === c.key ? c.name : c.key;
    view.state.textContent = c.state;
    const parts = ['ok ' + c.successes, 'failed ' + c.failures, 'rejected ' + c.rejections, 'in a row ' + c.consecutiveFailures];
    if (c.window) parts.push('window ' + Math.round(100 * c.window.failureRate) + '% failing');
    if (typeof c.lastFailure === 'string') parts.push(c.lastFailure);
    view.counts.textContent = parts.join(' · ');
    const total = c.successes + c.failures + c.ignored;
    if (view.last) {
      view.history.push([Math.max(0, total - view.last[0]), Math.max(0, c.failures - view.last[1])]);
      if (view.history.length > POINTS) view.history.shift();
    }
    view.last = [total, c.failures];
    const top = Math.max(1, ...view.history.map((h) => h[0]));
    spark(view.calls, view.history.map((h) => h[0]), top);
    spark(view.failures, view.history.map((h) => h[1]), top);
  }

  function tick() {
    const elapsed = Date.now() - readAt;
    for (const view of cards.values()) {
      const c = view.status;
      if (!c) continue;
      if (c.state === 'isolated') view.trial.textContent = 'isolated by hand: no trial until released';
      else if (c.retryAfter === null || c.retryAfter === 0 || c.state === 'closed' || c.state === 'disabled') view.trial.textContent = c.state === 'half-open' ? 'trial calls decide now' : '';
      else view.trial.textContent = 'next trial in ' + Math.max(0, Math.ceil((c.retryAfter - elapsed) / 1000)) + ' s';
    }
  }

  async function read() {
    clearTimeout(timer);
    try {
      const response = await fetch(base + 'status.json', { headers: { accept: 'application/json' }, cache: 'no-store' });
      if (!response.ok) throw new Error('status ' + response.status);
      report = await response.json();
      readAt = Date.now();
      const keys = new Set(report.circuits.map((c) => c.key));
      for (const [key, view] of cards) if (!keys.has(key)) { view.root.remove(); cards.delete(key); }
      report.circuits.forEach((c) => render(c));
      for (const c of report.circuits) list.append(cards.get(c.key).root);
      const refusing = report.circuits.filter((c) => c.state === 'open' || c.state === 'isolated').length;
      summary.textContent = report.circuits.length + ' circuits, ' + refusing + ' refusing calls';
      tick();
    } catch (error) {
      summary.textContent = 'cannot read status: ' + error.message;
    }
    timer = setTimeout(read, report.refresh || 2000);
  }

  async function control(key, action) {
    await fetch(base + 'control?key=' + encodeURIComponent(key) + '&action=' + action, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-circuitry-control': '1' },
      body: '{}',
    });
    read();
  }

  function listen() {
    if (typeof EventSource !== 'function') return;
    const source = new EventSource(base + 'events');
    source.addEventListener('open', () => { live.textContent = 'live'; live.className = 'online'; });
    source.addEventListener('error', () => { live.textContent = 'reconnecting'; live.className = 'offline'; });
    source.addEventListener('transition', () => read());
  }

  setInterval(tick, 1000);
  listen();
  read();
})();
`;
