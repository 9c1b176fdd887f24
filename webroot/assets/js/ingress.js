// ingress.js - an Ingress's Traffic tab: its routing drawn as a picture
// (host -> path -> Service:port, a canary as a second branch with its
// weight), the live split the Ingress proxy observes per host and path
// (deltas of ckube_ingress_requests_total from the API's /metrics, canary
// vs main over the last 5 s), and for a canary Ingress a weight slider that
// patches nginx.ingress.kubernetes.io/canary-weight, so the split is seen
// to follow the slider. Below, this Ingress's request rate and p50/p99
// latency over time (ingress_stats.js, the proxy's latency histogram).
import { api } from './api.js';
import { h, clear } from './dom.js';
import { onLeave } from './main.js';
import { timeChart } from './charts.js';
import { parseHistograms, between } from './ingress_stats.js';

const ANN = 'nginx.ingress.kubernetes.io/';
const MERGE = 'application/merge-patch+json';
const WINDOW_MS = 5000;
const HISTORY = 300; // chart points kept: five minutes at one a second

const backendText = (b) => (b && b.service ? `${b.service.name}:${b.service.port.number ?? b.service.port.name}` : b ? 'resource' : '—');

// [{ host, path, pathType, backend }] of the Ingress, the default backend as host "*" path "".
function routes(ing) {
  const out = [];
  for (const rule of ing.spec.rules || []) {
    for (const p of (rule.http && rule.http.paths) || []) out.push({ host: rule.host || '*', path: p.path || '/', pathType: p.pathType, backend: p.backend });
  }
  if (ing.spec.defaultBackend) out.push({ host: '*', path: '', pathType: 'default', backend: ing.spec.defaultBackend });
  return out;
}

// Request counters by "host path" and canary from the Prometheus text.
export function parseCounters(text) {
  const sums = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('ckube_ingress_requests_total{')) continue;
    const close = line.lastIndexOf('}');
    const labels = {};
    for (const m of line.slice(line.indexOf('{') + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
    const key = `${labels.host} ${labels.path} ${labels.canary}`;
    sums.set(key, (sums.get(key) || 0) + Number(line.slice(close + 1).trim()));
  }
  return sums;
}

function picture(list, canary, weight) {
  const W = 560, ROW = 46;
  const hostsY = new Map();
  list.forEach((r, i) => { if (!hostsY.has(r.host)) hostsY.set(r.host, i * ROW + 20); });
  const items = [];
  for (const [host, y] of hostsY) {
    items.push(h('svg:rect', { x: 2, y: y - 14, width: 150, height: 28, rx: 4, class: 'box' }),
      h('svg:text', { x: 10, y: y + 5 }, host.length > 20 ? `${host.slice(0, 19)}…` : host));
  }
  list.forEach((r, i) => {
    const y = i * ROW + 20, hy = hostsY.get(r.host);
    items.push(h('svg:path', { d: `M152 ${hy} C 180 ${hy}, 180 ${y}, 210 ${y}`, class: 'edge' }),
      h('svg:text', { x: 214, y: y + 5 }, r.pathType === 'default' ? 'default backend' : `${r.path} (${r.pathType})`),
      h('svg:path', { d: `M340 ${y} L 390 ${y}`, class: 'edge' }),
      h('svg:rect', { x: 390, y: y - 14, width: 166, height: 28, rx: 4, class: canary ? 'box canary' : 'box' }),
      h('svg:text', { x: 398, y: y + 5 }, `${canary ? `canary ${weight}% → ` : ''}${backendText(r.backend)}`));
  });
  return h('svg:svg', { class: 'routes', viewBox: `0 0 ${W} ${Math.max(1, list.length) * ROW}`, width: '100%', role: 'img',
    'aria-label': `Routing of this Ingress: ${list.map((r) => `${r.host}${r.path} to ${backendText(r.backend)}`).join('; ')}` },
  h('svg:title', {}, 'host → path → Service:port'), items);
}

function splitBar(canaryShare, rate) {
  const pct = Math.round(canaryShare * 1000) / 10;
  return h('figure', { style: 'margin:0' },
    h('svg:svg', { class: 'chart', viewBox: '0 0 300 18', width: '100%', height: 18, role: 'img', 'aria-label': `Observed: ${pct}% canary`, preserveAspectRatio: 'none' },
      h('svg:rect', { x: 0, y: 0, width: 300, height: 18, style: 'fill:var(--accent)' }),
      h('svg:rect', { x: 300 - canaryShare * 300, y: 0, width: Math.max(canaryShare * 300, 0), height: 18, style: 'fill:var(--warn)' })),
    h('figcaption', { 'data-testid': 'observed-split' }, `Observed over the last ${WINDOW_MS / 1000} s: ${pct}% canary, ${100 - pct}% main (${rate.toFixed(1)} requests/s)`));
}

export function trafficTab(ing, panel) {
  const ann = ing.metadata.annotations || {};
  const canary = ann[`${ANN}canary`] === 'true';
  let weight = Number(ann[`${ANN}canary-weight`] || 0);
  const total = Number(ann[`${ANN}canary-weight-total`] || 100);
  const list = routes(ing);
  const pic = h('div', {}, picture(list, canary, weight));
  const split = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Waiting for traffic…'));
  const controls = [];
  if (canary) {
    const out = h('output', { 'data-testid': 'canary-weight' }, `${weight}`);
    const slider = h('input', { type: 'range', min: 0, max: total, step: 1, value: weight, 'aria-label': 'Canary weight' });
    const status = h('span', { class: 'muted', 'aria-live': 'polite' });
    slider.addEventListener('input', () => { out.textContent = slider.value; });
    slider.addEventListener('change', async () => {
      const w = Number(slider.value);
      status.textContent = 'Saving…';
      try {
        const path = `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(ing.metadata.namespace)}/ingresses/${encodeURIComponent(ing.metadata.name)}`;
        ing = await api(path, { method: 'PATCH', type: MERGE, body: { metadata: { annotations: { [`${ANN}canary-weight`]: String(w) } } } });
        weight = w;
        clear(pic, picture(list, canary, weight));
        status.textContent = `Weight ${w} of ${total} saved.`;
      } catch (e) {
        status.textContent = `Not saved: ${e.message}`;
      }
    });
    controls.push(h('div', { class: 'toolbar' }, h('label', {}, 'Canary weight', slider), out, h('span', {}, ` of ${total}`), status));
  }
  const charts = h('div', { 'aria-live': 'off' }, h('p', { class: 'muted' }, 'Waiting for two readings of the proxy\'s metrics…'));
  clear(panel, h('h2', {}, 'Routing'), pic, ...controls, h('h2', {}, 'Observed traffic'), split,
    h('h2', {}, 'Requests and latency'), charts);

  // The split for the Ingress's host/path pairs, from counter deltas.
  const keys = list.map((r) => `${r.host === '*' ? '' : r.host} ${r.path}`);
  const samples = [];
  let stop = false;
  async function poll() {
    if (stop) return;
    try {
      const text = await api('/metrics', { accept: 'text/plain', raw: true }).then((r) => r.text());
      const c = parseCounters(text);
      let main = 0, can = 0;
      for (const k of keys) { main += c.get(`${k} false`) || 0; can += c.get(`${k} true`) || 0; }
      const now = Date.now();
      samples.push({ t: now, main, can });
      while (samples.length > 2 && now - samples[1].t >= WINDOW_MS) samples.shift();
      const a = samples[0], b = samples[samples.length - 1];
      const dm = b.main - a.main, dc = b.can - a.can, dt = (b.t - a.t) / 1000;
      if (dm + dc > 0 && dt > 0) clear(split, splitBar(dc / (dm + dc), (dm + dc) / dt));
      else if (samples.length > 1) clear(split, h('p', { class: 'muted' }, 'No requests in the last seconds.'));
      latency(now, parseHistograms(text).get(`${ing.metadata.namespace}/${ing.metadata.name}`));
    } catch (e) {
      clear(split, h('p', { class: 'error' }, `The proxy's metrics are not available: ${e.message}`));
    }
    if (!stop) setTimeout(poll, 1000);
  }
  // Rate and p50/p99 over the last WINDOW_MS at each reading, kept for the charts.
  const readings = [], points = [];
  function latency(now, hg) {
    readings.push({ t: now, hg });
    while (readings.length > 2 && now - readings[1].t >= WINDOW_MS) readings.shift();
    if (readings.length < 2) return;
    const a = readings[0];
    const st = between(a.hg, hg, (now - a.t) / 1000);
    points.push({ t: now, rate: st.rate, p50: st.p50 * 1000, p99: st.p99 * 1000 });
    if (points.length > HISTORY) points.shift();
    clear(charts,
      timeChart(points, [{ pick: (p) => p.rate, label: 'requests/s', colour: 'var(--accent)' }],
        { unit: 'req/s', title: 'Requests per second', testid: 'ingress-rate' }),
      timeChart(points, [{ pick: (p) => p.p50, label: 'p50', colour: 'var(--ok)' }, { pick: (p) => p.p99, label: 'p99', colour: 'var(--bad)' }],
        { unit: 'ms', title: 'Latency', digits: 2, testid: 'ingress-latency' }),
      h('p', { class: 'muted' }, `Each point covers the ${WINDOW_MS / 1000} s before it, from the proxy's histogram `,
        h('code', {}, 'nginx_ingress_controller_request_duration_seconds'), ' (head of the request to the end of the response).'));
  }
  onLeave(() => { stop = true; });
  poll();
}
