// metrics.js - a node's or pod's CPU and memory from metrics.k8s.io,
// read every 5 s while shown and drawn as two line charts of the samples
// seen since the tab opened. When the API has no metrics for the object
// (not reported yet, or metrics.k8s.io not served) it says so.
import { api } from './api.js';
import { h, clear } from './dom.js';
import { onLeave } from './main.js';
import { quantity, timeChart } from './charts.js';

const line = (samples, pick, unit, title) =>
  timeChart(samples, [{ pick, label: title, colour: 'var(--accent)' }], { unit, title, testid: `metric-${unit}` });

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
