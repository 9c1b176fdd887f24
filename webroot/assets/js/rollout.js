// rollout.js - a Deployment's rollout history (its ReplicaSets by the
// deployment.kubernetes.io/revision annotation, as `kubectl rollout history`),
// undo to a revision (the revision's pod template without pod-template-hash,
// as `kubectl rollout undo`), and a timeline picture: one lane per
// ReplicaSet from its creation to now, with the replica counts seen since the
// page opened drawn as steps (the ReplicaSets are watched).
import { api, collectionPath, findResource, objectPath, watch } from './api.js';
import { h, clear, age, toast } from './dom.js';
import { state, onLeave, detailUrl } from './main.js';

const REV = 'deployment.kubernetes.io/revision';
const rev = (rs) => Number((rs.metadata.annotations || {})[REV] || 0);

export async function undo(dr, d, rs) {
  if (d.spec.paused) throw new Error('You cannot roll back a paused Deployment: resume it first.');
  const template = JSON.parse(JSON.stringify(rs.spec.template));
  if (template.metadata && template.metadata.labels) delete template.metadata.labels['pod-template-hash'];
  await api(objectPath(dr, d.metadata.namespace, d.metadata.name), { method: 'PATCH', type: 'application/json-patch+json',
    body: [{ op: 'test', path: '/metadata/resourceVersion', value: d.metadata.resourceVersion },
      { op: 'replace', path: '/spec/template', value: template }] });
}

function timeline(sets, samples) {
  const W = 640, LANE = 28, LEFT = 90;
  const now = Date.now();
  const born = Math.min(...sets.map((s) => Date.parse(s.metadata.creationTimestamp)), ...samples.map((p) => p.t));
  const t0 = Math.min(born - Math.max(1000, (now - born) * 0.05), now - 10000); // at least 10 s wide, a margin before the first
  const x = (t) => LEFT + ((t - t0) / Math.max(1, now - t0)) * (W - LEFT - 10);
  const maxR = Math.max(1, ...samples.flatMap((s) => Object.values(s.replicas)), ...sets.map((s) => s.spec.replicas || 0));
  const lanes = sets.map((s, n) => {
    const y = n * LANE + 4;
    const uid = s.metadata.uid;
    const pts = samples.filter((p) => uid in p.replicas);
    let d = '';
    pts.forEach((p, i) => {
      const hgt = (p.replicas[uid] / maxR) * (LANE - 8);
      const xe = i + 1 < pts.length ? x(pts[i + 1].t) : x(now);
      d += `M${x(p.t)},${y + LANE - 6 - hgt}h${Math.max(1, xe - x(p.t))}v${hgt}h${-Math.max(1, xe - x(p.t))}z`;
    });
    return h('svg:g', {},
      h('svg:text', { x: 0, y: y + 16 }, `rev ${rev(s)} (${s.status.replicas || 0})`),
      h('svg:rect', { x: x(Date.parse(s.metadata.creationTimestamp)), y: y + LANE - 8, width: Math.max(1, x(now) - x(Date.parse(s.metadata.creationTimestamp))),
        height: 2, style: 'fill:var(--line)' }),
      d ? h('svg:path', { d, style: 'fill:var(--accent);opacity:.8' }, h('svg:title', {}, `revision ${rev(s)}`)) : null);
  });
  return h('figure', { style: 'margin:0' },
    h('svg:svg', { class: 'chart', viewBox: `0 0 ${W} ${sets.length * LANE + 22}`, width: '100%', style: `max-width:${W * 1.25}px`, role: 'img',
      'aria-label': 'Rollout timeline: replicas of each ReplicaSet over time' }, lanes,
    h('svg:text', { x: LEFT, y: sets.length * LANE + 18 }, `${age(new Date(t0).toISOString())} ago`),
    h('svg:text', { x: W - 40, y: sets.length * LANE + 18 }, 'now')),
    h('figcaption', { class: 'muted' }, 'Lanes start when each ReplicaSet was created; the bars are its replica counts seen while this page is open.'));
}

export async function rolloutTab(dr, d, panel) {
  const rsr = findResource(state.resources, 'apps', 'v1', 'replicasets');
  const samples = [];
  let sets = [];
  const pic = h('div'), table = h('div');
  clear(panel, h('h2', {}, 'Timeline'), pic, h('h2', {}, 'History'), table);
  const mine = (l) => l.filter((s) => (s.metadata.ownerReferences || []).some((o) => o.uid === d.metadata.uid)).sort((a, b) => rev(b) - rev(a));
  const sample = () => samples.push({ t: Date.now(), replicas: Object.fromEntries(sets.map((s) => [s.metadata.uid, s.status.replicas || 0])) });
  function draw() {
    const current = (d.metadata.annotations || {})[REV];
    clear(pic, sets.length ? timeline(sets, samples) : h('p', { class: 'muted' }, 'No ReplicaSets yet.'));
    clear(table, h('table', { class: 'plain' },
      h('thead', {}, h('tr', {}, ['Revision', 'ReplicaSet', 'Images', 'Replicas', 'Age', 'Change cause', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, sets.map((s) => h('tr', {},
        h('td', {}, String(rev(s)), String(rev(s)) === current ? ' (current)' : ''),
        h('td', {}, h('a', { href: detailUrl(rsr, s.metadata.namespace, s.metadata.name) }, s.metadata.name)),
        h('td', {}, (s.spec.template.spec.containers || []).map((c) => h('span', { class: 'chip' }, c.image))),
        h('td', {}, `${s.status.readyReplicas || 0}/${s.status.replicas || 0}`),
        h('td', {}, age(s.metadata.creationTimestamp)),
        h('td', {}, (s.metadata.annotations || {})['kubernetes.io/change-cause'] || ''),
        h('td', {}, String(rev(s)) === current ? '' : h('button', { class: 'btn', type: 'button', onclick: async () => {
          try {
            d = await api(objectPath(dr, d.metadata.namespace, d.metadata.name));
            await undo(dr, d, s);
            toast(`Rolling back ${d.metadata.name} to revision ${rev(s)}.`);
          } catch (e) { toast(e.message, 'error'); }
        } }, `Roll back to ${rev(s)}`)))))));
  }
  const path = collectionPath(rsr, d.metadata.namespace);
  const load = async () => {
    const l = await api(path);
    sets = mine(l.items);
    sample();
    draw();
    return l.metadata.resourceVersion;
  };
  const rv = await load();
  const w = watch(path, {}, rv, {
    relist: load,
    onEvent: async (type, o) => {
      if (!(o.metadata.ownerReferences || []).some((x) => x.uid === d.metadata.uid)) return;
      const rest = sets.filter((s) => s.metadata.uid !== o.metadata.uid);
      sets = type === 'DELETED' ? rest : mine([...rest, o]);
      d = await api(objectPath(dr, d.metadata.namespace, d.metadata.name)).catch(() => d);
      sample();
      draw();
    },
  });
  onLeave(() => w.stop());
}
