// charts.js - small SVG charts drawn from data (no library): a horizontal
// stacked bar with a legend (pods by phase) and labelled bars (metrics).
import { h } from './dom.js';

const PHASE_COLOURS = { Running: 'var(--ok)', Succeeded: 'var(--accent)', Pending: 'var(--warn)', Failed: 'var(--bad)', Unknown: 'var(--idle)' };

// parts: [{ label, value }]; draws one 100%-wide stacked bar and a legend.
export function stackedBar(parts, title) {
  const total = parts.reduce((s, p) => s + p.value, 0) || 1;
  let x = 0;
  const bars = parts.filter((p) => p.value > 0).map((p) => {
    const w = (p.value / total) * 300;
    const rect = h('svg:rect', { x, y: 0, width: Math.max(w, 1), height: 18, style: `fill:${PHASE_COLOURS[p.label] || 'var(--idle)'}` },
      h('svg:title', {}, `${p.label}: ${p.value}`));
    x += w;
    return rect;
  });
  return h('figure', { style: 'margin:0' },
    h('svg:svg', { class: 'chart', viewBox: '0 0 300 18', width: '100%', height: 18, role: 'img', 'aria-label': title,
      preserveAspectRatio: 'none' }, bars),
    h('figcaption', {}, parts.map((p) => h('span', { style: 'margin-right:12px;white-space:nowrap' },
      h('span', { 'aria-hidden': 'true', style: `display:inline-block;width:10px;height:10px;border-radius:2px;background:${PHASE_COLOURS[p.label] || 'var(--idle)'}` }),
      ` ${p.label} ${p.value}`))));
}

// items: [{ label, value, text }]; one bar per item scaled to max, on a track.
export function bars(items, max, title) {
  const H = 20;
  return h('svg:svg', { class: 'chart', viewBox: `0 0 360 ${items.length * H + 4}`, width: '100%', role: 'img', 'aria-label': title },
    items.map((it, n) => [
      h('svg:title', {}, `${it.label}: ${it.text}`),
      h('svg:text', { x: 0, y: n * H + 14 }, it.label),
      h('svg:rect', { x: 80, y: n * H + 4, width: 150, height: 12, rx: 2, style: 'fill:var(--line)' }),
      h('svg:rect', { x: 80, y: n * H + 4, width: Math.max(1, Math.min(1, it.value / (max || 1)) * 150), height: 12, rx: 2, style: 'fill:var(--accent)' }),
      h('svg:text', { x: 236, y: n * H + 14 }, it.text),
    ]));
}

// Parses a Kubernetes quantity into a number (cores for CPU, bytes for memory).
export function quantity(q) {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q || '0'));
  if (!m) return 0;
  const mult = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  return Number(m[1]) * (mult[m[2]] ?? 1);
}

// A line chart over time: samples [{ t, ... }], lines [{ pick(sample) ->
// number (NaN leaves a gap), label, colour (CSS) }], the latest sample at
// the right edge ("now"), at least 30 s wide; the caption says each line's
// latest value.
// testid names the caption's figure (`${testid}-${index}` for several lines).
export function timeChart(samples, lines, { unit, title, digits = 1, testid = 'chart' }) {
  const W = 480, H = 120, L = 56;
  const finite = samples.flatMap((s) => lines.map((ln) => ln.pick(s))).filter(Number.isFinite);
  const max = Math.max(...finite, 1e-9) * 1.15;
  const tEnd = samples[samples.length - 1].t, span = Math.max(30000, tEnd - samples[0].t);
  const x = (t) => L + ((t - (tEnd - span)) / span) * (W - L - 8);
  const y = (v) => H - 18 - (v / max) * (H - 28);
  const path = (ln) => {
    let d = '', pen = 'M';
    for (const s of samples) {
      const v = ln.pick(s);
      if (!Number.isFinite(v)) { pen = 'M'; continue; }
      d += `${pen}${x(s.t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = 'L';
    }
    return d;
  };
  const latest = (ln) => { for (let i = samples.length - 1; i >= 0; i--) { const v = ln.pick(samples[i]); if (Number.isFinite(v)) return v; } return NaN; };
  const said = (v) => (Number.isFinite(v) ? `${v.toFixed(digits)} ${unit}` : 'none');
  return h('figure', { style: 'margin:0 0 12px' },
    h('svg:svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, width: '100%', style: `max-width:${W * 1.5}px`, role: 'img',
      'aria-label': `${title}: ${lines.map((ln) => `${ln.label} ${said(latest(ln))}`).join(', ')} now` },
    h('svg:line', { class: 'axis', x1: L, y1: H - 18, x2: W - 8, y2: H - 18 }),
    h('svg:text', { x: 0, y: 14 }, `${max.toFixed(max < 10 ? 1 : 0)} ${unit}`),
    h('svg:text', { x: 0, y: H - 18 }, '0'),
    h('svg:text', { x: L, y: H - 4 }, `${Math.round(span / 1000)} s ago`), h('svg:text', { x: W - 30, y: H - 4 }, 'now'),
    lines.map((ln) => [h('svg:path', { d: path(ln), style: `fill:none;stroke:${ln.colour};stroke-width:2` }),
      samples.filter((s) => Number.isFinite(ln.pick(s))).map((s) => h('svg:circle', { cx: x(s.t), cy: y(ln.pick(s)), r: 2.5, style: `fill:${ln.colour}` }))])),
    h('figcaption', {}, `${title}: `, lines.map((ln, i) => [i ? ', ' : '', lines.length > 1 ? `${ln.label} ` : '',
      h('strong', { 'data-testid': lines.length > 1 ? `${testid}-${i}` : testid, style: lines.length > 1 ? `color:${ln.colour}` : null }, said(latest(ln)))])));
}
