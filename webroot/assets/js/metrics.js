// metrics.js - a node's or pod's CPU and memory from metrics.k8s.io,
// read every 5 s while shown and drawn as two line charts of the samples
// seen since the tab opened. When the API has no metrics for the object
// (not reported yet, or metrics.k8s.io not served) it says so.
import { api } from './api.js';
import { h, clear } from './dom.js';
import { onLeave } from './main.js';
import { quantity } from './charts.js';

function line(samples, pick, unit, title) {
  const W = 480, H = 120, L = 56;
  const vals = samples.map(pick);
  const max = Math.max(...vals, 1e-9) * 1.15;
  const t0 = samples[0].t, span = Math.max(30000, samples[samples.length - 1].t - t0);
  const x = (t) => L + ((t - t0) / span) * (W - L - 8);
  const y = (v) => H - 18 - (v / max) * (H - 28);
  const d = samples.map((s, i) => `${i ? 'L' : 'M'}${x(s.t).toFixed(1)},${y(pick(s)).toFixed(1)}`).join('');
  const last = vals[vals.length - 1];
  return h('figure', { style: 'margin:0 0 12px' },
    h('svg:svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, width: '100%', style: `max-width:${W * 1.5}px`, role: 'img',
      'aria-label': `${title}: ${last.toFixed(1)} ${unit} now` },
    h('svg:line', { class: 'axis', x1: L, y1: H - 18, x2: W - 8, y2: H - 18 }),
    h('svg:text', { x: 0, y: 14 }, `${max.toFixed(max < 10 ? 1 : 0)} ${unit}`),
    h('svg:text', { x: 0, y: H - 18 }, `0 ${unit}`),
    h('svg:text', { x: L, y: H - 4 }, 'tab opened'), h('svg:text', { x: W - 30, y: H - 4 }, 'now'),
    h('svg:path', { d, style: 'fill:none;stroke:var(--accent);stroke-width:2' }),
    samples.map((s) => h('svg:circle', { cx: x(s.t), cy: y(pick(s)), r: 2.5, style: 'fill:var(--accent)' }))),
    h('figcaption', {}, `${title}: `, h('strong', { 'data-testid': `metric-${unit}` }, `${last.toFixed(1)} ${unit}`)));
}

// kind 'Node' or 'Pod'; returns nothing, fills panel until the page is left.
export function metricsTab(kind, ns, name, panel) {
  const path = kind === 'Node' ? `/apis/metrics.k8s.io/v1beta1/nodes/${encodeURIComponent(name)}`
    : `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`;
  const samples = [];
  const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Reading metrics.k8s.io…'));
  clear(panel, h('h2', {}, 'CPU and memory (metrics.k8s.io)'), body);
  async function poll() {
    try {
      const m = await api(path);
      const usage = kind === 'Node' ? [m.usage] : m.containers.map((c) => c.usage);
      samples.push({ t: Date.now(), cpu: usage.reduce((s, u) => s + quantity(u.cpu), 0) * 1000,
        mem: usage.reduce((s, u) => s + quantity(u.memory), 0) / 2 ** 20 });
      if (samples.length > 120) samples.shift();
      clear(body, line(samples, (s) => s.cpu, 'millicores', 'CPU'), line(samples, (s) => s.mem, 'MiB', 'Memory'),
        h('p', { class: 'muted' }, `Window ${m.window}, reported ${m.timestamp}.`));
    } catch (e) {
      clear(body, h('p', { class: 'muted' }, e.code === 404 ? `No metrics for this ${kind.toLowerCase()} yet: its node has not reported usage.`
        : `Metrics are not available: ${e.message}`));
    }
  }
  poll();
  const t = setInterval(poll, 5000);
  onLeave(() => clearInterval(t));
}
