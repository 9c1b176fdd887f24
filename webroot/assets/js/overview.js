// overview.js - the cluster at a glance: nodes (Ready, NotReady, cordoned)
// as coloured tiles, pods by phase as a stacked bar (counted from
// metadata-only lists per phase),
// workloads with unavailable replicas, recent Warning events, node usage
// from metrics.k8s.io when it is served, and the request rate per Ingress
// from the Ingress proxy's metrics. Refreshed every 5 s while shown.
import { api, query, findResource } from './api.js';
import { h, clear, age, eventTime, newestFirst } from './dom.js';
import { state, onLeave, detailUrl, listUrl } from './main.js';
import { stackedBar, bars, quantity } from './charts.js';

const PHASES = ['Running', 'Pending', 'Succeeded', 'Failed', 'Unknown'];
const META = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io';

function nodeState(n) {
  const ready = (n.status.conditions || []).find((c) => c.type === 'Ready');
  const word = ready && ready.status === 'True' ? 'Ready' : ready && ready.status === 'False' ? 'NotReady' : 'Unknown';
  return { word, cordoned: !!n.spec.unschedulable };
}

// Counts a phase's pods with metadata-only pages (selectors get no
// remainingItemCount, so the pages are walked).
async function countPods(phase) {
  let n = 0, cont = '';
  do {
    const l = await api('/api/v1/pods' + query({ limit: 2000, continue: cont, fieldSelector: `status.phase=${phase}` }), { accept: META });
    n += l.items.length;
    cont = l.metadata.continue;
  } while (cont);
  return n;
}

async function nodesCard(nodeList) {
  const [list, resources] = await Promise.all([nodeList, state.discovery]);
  const nodes = list.items;
  const res = findResource(resources, '', 'v1', 'nodes');
  const ready = nodes.filter((n) => nodeState(n).word === 'Ready').length;
  const cordoned = nodes.filter((n) => n.spec.unschedulable).length;
  return h('section', { class: 'card', 'aria-labelledby': 'ov-nodes' },
    h('h2', { id: 'ov-nodes' }, 'Nodes'),
    h('p', {}, `${ready} of ${nodes.length} Ready`, cordoned ? `, ${cordoned} cordoned` : ''),
    h('div', { class: 'nodes' }, nodes.map((n) => {
      const s = nodeState(n);
      const cls = s.word !== 'Ready' ? 's-bad' : s.cordoned ? 's-warn' : 's-ok';
      const label = `${n.metadata.name}: ${s.word}${s.cordoned ? ', cordoned' : ''}`;
      return h('a', { class: `node ${cls}`, href: detailUrl(res, '', n.metadata.name), title: label, 'aria-label': label },
        n.metadata.name, s.cordoned ? ' ⊘' : '');
    })));
}

async function podsCard() {
  const counts = await Promise.all(PHASES.map(countPods));
  const total = counts.reduce((a, b) => a + b, 0);
  return h('section', { class: 'card', 'aria-labelledby': 'ov-pods' },
    h('h2', { id: 'ov-pods' }, 'Pods by phase'),
    h('p', {}, `${total} pods in all namespaces`),
    stackedBar(PHASES.map((p, i) => ({ label: p, value: counts[i] })), 'Pods by phase'));
}

async function workloadsCard() {
  const plurals = ['deployments', 'statefulsets', 'daemonsets'];
  const [resources, ...all] = await Promise.all([state.discovery, ...plurals.map((p) => api(`/apis/apps/v1/${p}`))]);
  const kinds = plurals.map((p) => findResource(resources, 'apps', 'v1', p));
  const bad = [];
  kinds.forEach((r, n) => {
    if (!r) return;
    for (const o of all[n].items) {
      const s = o.status || {};
      const ds = r.plural === 'daemonsets';
      const want = ds ? s.desiredNumberScheduled || 0 : o.spec.replicas ?? 1;
      const have = ds ? s.numberAvailable || 0 : r.plural === 'statefulsets' ? s.readyReplicas || 0 : s.availableReplicas || 0;
      if (have < want) bad.push({ r, o, want, have });
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'ov-work' },
    h('h2', { id: 'ov-work' }, 'Workloads with unavailable replicas'),
    bad.length ? h('ul', {}, bad.map(({ r, o, want, have }) =>
      h('li', {}, h('a', { href: detailUrl(r, o.metadata.namespace, o.metadata.name) }, `${r.kind} ${o.metadata.namespace}/${o.metadata.name}`),
        ` ${have}/${want} available`)))
      : h('p', { class: 'muted' }, 'All workloads have their replicas available.'));
}

async function eventsCard() {
  const [list, resources] = await Promise.all([api('/api/v1/events' + query({ fieldSelector: 'type=Warning', limit: 500 })), state.discovery]);
  const ev = list.items;
  newestFirst(ev);
  const evRes = findResource(resources, '', 'v1', 'events');
  return h('section', { class: 'card', style: 'grid-column: 1 / -1', 'aria-labelledby': 'ov-events' },
    h('h2', { id: 'ov-events' }, 'Recent Warning events'),
    ev.length ? h('table', { class: 'plain' },
      h('thead', {}, h('tr', {}, ['Age', 'Object', 'Reason', 'Message', 'Count'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ev.slice(0, 10).map((e) => h('tr', {},
        h('td', {}, age(eventTime(e))),
        h('td', {}, `${e.involvedObject.kind}/${e.involvedObject.name}`),
        h('td', {}, h('span', { class: 'pill s-warn' }, e.reason)),
        h('td', {}, e.message),
        h('td', {}, String(e.count || 1))))))
      : h('p', { class: 'muted' }, 'No Warning events.'),
    evRes ? h('p', {}, h('a', { href: listUrl(evRes) }, 'All events')) : null);
}

async function metricsCard(nodeList) {
  const body = h('section', { class: 'card', 'aria-labelledby': 'ov-metrics' }, h('h2', { id: 'ov-metrics' }, 'Node usage (metrics.k8s.io)'));
  try {
    const [m, nodes] = await Promise.all([api('/apis/metrics.k8s.io/v1beta1/nodes'), nodeList]);
    if (!m.items.length) { body.append(h('p', { class: 'muted' }, 'No node has reported usage yet.')); return body; }
    const cap = Object.fromEntries(nodes.items.map((n) => [n.metadata.name, n.status.capacity || {}]));
    // Bars are usage against the node's capacity.
    const rows = (res, fmt) => m.items.map((x) => {
      const used = quantity(x.usage[res]), total = quantity((cap[x.metadata.name] || {})[res]) || used || 1;
      return { label: x.metadata.name, value: used / total, text: `${fmt(used)} of ${fmt(total)}` };
    });
    body.append(h('h3', {}, 'CPU'), bars(rows('cpu', (c) => (c < 1 ? `${Math.round(c * 1000)}m` : `${+c.toFixed(1)}`)), 1, 'CPU per node against capacity'),
      h('h3', {}, 'Memory'), bars(rows('memory', (b) => (b >= 2 ** 30 ? `${+(b / 2 ** 30).toFixed(1)}Gi` : `${Math.round(b / 2 ** 20)}Mi`)), 1, 'Memory per node against capacity'));
  } catch (e) {
    body.append(h('p', { class: 'muted' }, `Metrics are not available: ${e.message}`));
  }
  return body;
}

// Ingress objects and their request rates, from the Ingress proxy's latency
// histogram in /metrics (ingress_stats.js) between two refreshes. The first
// drawing reads no /metrics (the first load stays small); rates appear from
// the second refresh on. Returns the card function with its last reading.
function ingressCard() {
  let last = null;
  return async function card() {
    const [list, resources] = await Promise.all([api('/apis/networking.k8s.io/v1/ingresses'), state.discovery]);
    const r = findResource(resources, 'networking.k8s.io', 'v1', 'ingresses');
    const body = h('section', { class: 'card', 'aria-labelledby': 'ov-ing' }, h('h2', { id: 'ov-ing' }, 'Ingress'),
      h('p', {}, r ? h('a', { href: listUrl(r) }, `${list.items.length} Ingresses`) : `${list.items.length} Ingresses`));
    if (!last) {
      last = { t: 0 };
      body.append(h('p', { class: 'muted' }, 'Request rates: measuring…'));
      return body;
    }
    try {
      const { parseHistograms, between } = await import('./ingress_stats.js');
      const text = await api('/metrics', { accept: 'text/plain', raw: true }).then((x) => x.text());
      const now = { t: Date.now(), hg: parseHistograms(text) };
      const prev = last;
      last = now;
      if (!prev.hg) { body.append(h('p', { class: 'muted' }, 'Request rates: measuring…')); return body; }
      const dt = (now.t - prev.t) / 1000;
      const rates = [...now.hg].map(([key, hg]) => ({ key, ...between(prev.hg.get(key), hg, dt) })).filter((x) => x.rate > 0)
        .sort((a, b) => b.rate - a.rate);
      const total = rates.reduce((sum, x) => sum + x.rate, 0);
      body.append(h('p', {}, 'Request rate: ', h('strong', { 'data-testid': 'ingress-total-rate' }, `${total.toFixed(1)} requests/s`),
        h('span', { class: 'muted' }, ` over the last ${Math.round(dt)} s`)));
      const short = (key) => { const name = key.split('/')[1]; return name.length > 12 ? `${name.slice(0, 11)}…` : name; };
      if (rates.length) body.append(bars(rates.slice(0, 5).map((x) => ({ label: short(x.key), value: x.rate,
        text: `${x.rate.toFixed(1)}/s, p99 ${Number.isFinite(x.p99) ? `${(x.p99 * 1000).toFixed(1)} ms` : '—'}` })), rates[0].rate, 'Requests per second by Ingress'));
    } catch (e) {
      body.append(h('p', { class: 'muted' }, `Request rates are not available: ${e.message}`));
    }
    return body;
  };
}

export async function overviewPage(main) {
  const grid = h('div', { class: 'cards' });
  clear(main, h('h1', {}, 'Overview'), grid);
  const cards = [nodesCard, podsCard, workloadsCard, metricsCard, ingressCard(), eventsCard];
  const slots = cards.map(() => grid.appendChild(h('section', { class: 'card', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'))));
  // Each card replaces its slot as soon as its own requests are in.
  const draw = () => {
    const nodeList = api('/api/v1/nodes'); // one list for the nodes and usage cards
    nodeList.catch(() => {}); // each card shows the failure itself
    return Promise.all(cards.map(async (c, n) => {
      const el = await c(nodeList).catch((e) => h('section', { class: 'card' }, h('p', { class: 'error' }, e.message)));
      slots[n].replaceWith(el);
      slots[n] = el;
    }));
  };
  await draw();
  performance.mark('overview-ready'); // first load measured to here (tests/browser)
  let busy = false;
  const t = setInterval(async () => {
    if (busy || document.hidden) return;
    busy = true;
    try { await draw(); } finally { busy = false; }
  }, 5000);
  onLeave(() => clearInterval(t));
}
