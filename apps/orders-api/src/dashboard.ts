// /debug/performance.html: a live dashboard of /debug/performance. One self-contained page (no external asset,
// no CDN): inline CSS, inline script, charts drawn as inline SVG. It polls the report every `refresh` ms with the
// bearer token it was served to (the page is only served to a caller who sent that token, with no-store).

function escapeForScript(value: string): string {
  return JSON.stringify(value).replace(/</g, '\\u003c')
}

export function dashboardHtml(token: string, refresh = 2000): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>orders-api performance</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #f7f8fa; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; } h2 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
  .muted { color: #6b7280; } .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1rem; }
  .card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: .8rem 1rem; }
  table { border-collapse: collapse; width: 100%; } td, th { padding: .2rem .4rem; text-align: right; border-bottom: 1px solid #f0f1f3; }
  td:first-child, th:first-child { text-align: left; } svg { width: 100%; height: 140px; }
  .sev-critical { color: #b91c1c; } .sev-warning { color: #b45309; } .sev-info { color: #1d4ed8; }
</style>
</head>
<body>
<h1>orders-api performance</h1>
<div class="muted">refreshes every ${refresh / 1000} s · <span id="status">loading…</span></div>
<div class="grid">
  <div class="card"><h2>Throughput (req/s)</h2><svg id="chart-throughput" data-chart="throughput" viewBox="0 0 300 140" preserveAspectRatio="none"></svg></div>
  <div class="card"><h2>Latency p99 (ms)</h2><svg id="chart-p99" data-chart="p99" viewBox="0 0 300 140" preserveAspectRatio="none"></svg></div>
  <div class="card"><h2>Event-loop delay p99 (ms)</h2><svg id="chart-loop" data-chart="loop" viewBox="0 0 300 140" preserveAspectRatio="none"></svg></div>
</div>
<div class="grid">
  <div class="card"><h2>Routes</h2><table id="routes"><thead><tr><th>route</th><th>count</th><th>p50 ms</th><th>p99 ms</th><th>errors</th></tr></thead><tbody></tbody></table></div>
  <div class="card"><h2>Caches (hit rate per tier)</h2><table id="caches"><thead><tr><th>cache</th><th>hit rate</th><th>L1</th><th>L2</th><th>misses</th></tr></thead><tbody></tbody></table></div>
  <div class="card"><h2>Pools</h2><table id="pools"><thead><tr><th>pool</th><th>size/max</th><th>wait p95 ms</th><th>pending</th><th>timeouts</th></tr></thead><tbody></tbody></table></div>
  <div class="card"><h2>Audit and upstream</h2><table id="service"><tbody></tbody></table></div>
</div>
<div class="card"><h2>Recommendations</h2><ul id="recommendations"></ul></div>
<script>
(() => {
  const token = ${escapeForScript(token)};
  const refresh = ${Number(refresh)};
  const series = { throughput: [], p99: [], loop: [] };
  let last;
  const text = (v) => String(v).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const num = (v, d = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');
  const rows = (id, list) => { document.querySelector('#' + id + ' tbody').innerHTML = list.map((r) => '<tr>' + r.map((c) => '<td>' + text(c) + '</td>').join('') + '</tr>').join(''); };
  function draw(name) {
    const svg = document.querySelector('[data-chart="' + name + '"]');
    const points = series[name];
    const max = Math.max(1, ...points);
    const step = points.length > 1 ? 300 / (points.length - 1) : 300;
    const path = points.map((v, i) => (i ? 'L' : 'M') + (i * step).toFixed(1) + ' ' + (135 - (v / max) * 125).toFixed(1)).join(' ');
    svg.innerHTML = '<line x1="0" y1="135" x2="300" y2="135" stroke="#d1d5db"/>' +
      '<path class="line" d="' + (path || 'M0 135') + '" fill="none" stroke="#2563eb" stroke-width="2"/>' +
      '<text x="4" y="12" font-size="11" fill="#6b7280">max ' + num(max) + '</text>';
  }
  function push(name, value) { series[name].push(value); if (series[name].length > 60) series[name].shift(); draw(name); }
  async function tick() {
    try {
      const res = await fetch('/debug/performance', { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const r = await res.json();
      const total = r.routes.reduce((s, x) => s + x.count, 0);
      const now = performance.now();
      push('throughput', last ? Math.max(0, (total - last.total) / ((now - last.at) / 1000)) : 0);
      last = { total, at: now };
      push('p99', Math.max(0, ...r.routes.map((x) => x.p99Ms)));
      push('loop', r.runtime ? r.runtime.eventLoopDelayMs.p99 : 0);
      rows('routes', r.routes.map((x) => [x.method + ' ' + x.route, x.count, num(x.p50Ms), num(x.p99Ms), x.errors]));
      rows('caches', r.caches.map((c) => [c.name, num(c.hitRate * 100) + ' %', c.l1Hits, c.l2Hits, c.misses]));
      rows('pools', r.pools.map((p) => [p.name, (p.size ?? '–') + '/' + (p.max ?? '–'), num(p.waitP95Ms, 2), p.pending, p.timeouts]));
      const a = r.audit || {}; const u = r.upstream || {};
      rows('service', [['audit written', a.written], ['audit queued', a.queued], ['audit dropped', a.dropped],
        ['upstream calls', u.calls], ['served stale', u.stale], ['upstream unavailable', u.unavailable]]);
      document.getElementById('recommendations').innerHTML = r.recommendations.length
        ? r.recommendations.map((x) => '<li class="sev-' + text(x.severity) + '"><b>' + text(x.rule) + '</b> (' + text(x.subject) + '): ' + text(x.advice) + '</li>').join('')
        : '<li class="muted">none</li>';
      document.getElementById('status').textContent = 'updated ' + new Date().toLocaleTimeString() + ' · ' + r.processes + ' process(es), up ' + Math.round(r.uptimeSeconds) + ' s';
      document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
    } catch (error) {
      document.getElementById('status').textContent = 'error: ' + error.message;
    }
  }
  tick();
  setInterval(tick, refresh);
})();
</script>
</body>
</html>
`
}
