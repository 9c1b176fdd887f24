// actions.js - what a detail page can do to its object, each one the API
// call kubectl makes: delete (propagation policy), scale (the scale
// subresource), rollout restart (the restartedAt template annotation),
// pause/resume, cordon/uncordon, and drain (cordon, then evict every pod but
// DaemonSet and mirror pods through the eviction subresource). Buttons the
// user may not use (SelfSubjectAccessReview) are disabled with the reason.
import { api, objectPath, query } from './api.js';
import { h, dialog, toast } from './dom.js';

const MERGE = 'application/merge-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';

// Asks the API whether the signed-in user may do verb on r (subresource sub).
const allowedCache = new Map();
export async function allowed(r, ns, verb, sub = '') {
  const k = `${r.group}/${r.plural}/${sub}/${ns}/${verb}`;
  if (!allowedCache.has(k))
    allowedCache.set(k, api('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { method: 'POST', body: {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { group: r.group, resource: r.plural, subresource: sub, verb, namespace: r.namespaced ? ns : '' } },
    } }).then((x) => ({ ok: !!x.status.allowed, why: x.status.reason || '' }))
      .catch(() => ({ ok: true, why: '' }))); // no review API: let the request itself answer
  return allowedCache.get(k);
}

async function guarded(label, r, ns, verb, sub, run, cls = 'btn') {
  const a = await allowed(r, ns, verb, sub);
  return h('button', { class: cls, type: 'button', disabled: !a.ok,
    title: a.ok ? null : `You may not ${verb} ${r.plural}${sub ? '/' + sub : ''}${a.why ? ': ' + a.why : ''}`,
    onclick: async (e) => {
      const b = e.currentTarget;
      b.disabled = true;
      try { await run(); } catch (err) { toast(err.message, 'error'); } finally { b.disabled = false; }
    } }, label);
}

function radios(name, values, checked) {
  return h('fieldset', {}, h('legend', {}, 'Propagation'), values.map(([v, text]) =>
    h('label', { style: 'display:flex' }, h('input', { type: 'radio', name, value: v, checked: v === checked }), text)));
}

export async function deleteObject(r, obj, after) {
  const m = obj.metadata;
  const data = await dialog(`Delete ${r.kind} ${m.name}?`, () => [
    h('p', {}, `${r.kind} ${m.namespace ? m.namespace + '/' : ''}${m.name} will be deleted.`),
    radios('propagation', [['Background', 'Background: delete now, dependents are collected after'],
      ['Foreground', 'Foreground: delete dependents first, then this object'],
      ['Orphan', 'Orphan: keep dependents, remove their owner reference']], 'Background')], 'Delete', true);
  if (!data) return;
  await api(objectPath(r, m.namespace, m.name), { method: 'DELETE',
    body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: data.get('propagation') } });
  toast(`${r.kind} ${m.name} deleted (${data.get('propagation')}).`);
  after();
}

export async function scale(r, obj) {
  const m = obj.metadata;
  const data = await dialog(`Scale ${m.name}`, () =>
    h('label', {}, 'Replicas', h('input', { name: 'replicas', type: 'number', min: 0, max: 10000, required: true,
      value: obj.spec.replicas ?? 1, autofocus: true })), 'Scale');
  if (!data) return;
  const n = Number(data.get('replicas'));
  await api(`${objectPath(r, m.namespace, m.name)}/scale`, { method: 'PATCH', type: MERGE, body: { spec: { replicas: n } } });
  toast(`${m.name} scaled to ${n}.`);
}

const patch = (r, m, body, type = MERGE) => api(objectPath(r, m.namespace, m.name), { method: 'PATCH', type, body });

async function drain(r, node) {
  const name = node.metadata.name;
  const data = await dialog(`Drain ${name}?`, () => h('p', {},
    'The node is cordoned, then every pod on it is evicted (DaemonSet and mirror pods stay). PodDisruptionBudgets are respected.'), 'Drain', true);
  if (!data) return;
  await patch(r, node.metadata, { spec: { unschedulable: true } });
  const pods = (await api('/api/v1/pods' + query({ fieldSelector: `spec.nodeName=${name}` }))).items;
  let evicted = 0;
  const blocked = [];
  for (const p of pods) {
    const ds = (p.metadata.ownerReferences || []).some((o) => o.kind === 'DaemonSet' && o.controller);
    if (ds || (p.metadata.annotations || {})['kubernetes.io/config.mirror']) continue;
    try {
      await api(`/api/v1/namespaces/${encodeURIComponent(p.metadata.namespace)}/pods/${encodeURIComponent(p.metadata.name)}/eviction`, {
        method: 'POST', body: { apiVersion: 'policy/v1beta1', kind: 'Eviction', metadata: { name: p.metadata.name, namespace: p.metadata.namespace } } });
      evicted++;
    } catch (e) {
      blocked.push(`${p.metadata.namespace}/${p.metadata.name}: ${e.message}`);
    }
  }
  toast(`${name} cordoned; ${evicted} pods evicted${blocked.length ? `, ${blocked.length} not: ${blocked.join('; ')}` : ''}.`);
}

// The action buttons for obj of resource r; after() runs once it is deleted.
export async function actionButtons(r, obj, after) {
  const m = obj.metadata, ns = m.namespace;
  const out = [];
  const scalable = ['deployments', 'replicasets', 'statefulsets', 'replicationcontrollers'].includes(r.plural) && r.group !== 'extensions';
  if (scalable) out.push(guarded('Scale', r, ns, 'update', 'scale', () => scale(r, obj)));
  if (['deployments', 'statefulsets', 'daemonsets'].includes(r.plural) && r.group === 'apps')
    out.push(guarded('Restart', r, ns, 'patch', '', async () => {
      await patch(r, m, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } }, STRATEGIC);
      toast(`${m.name} restarting.`);
    }));
  if (r.plural === 'deployments' && r.group === 'apps')
    out.push(guarded(obj.spec.paused ? 'Resume' : 'Pause', r, ns, 'patch', '', async () => {
      await patch(r, m, { spec: { paused: obj.spec.paused ? null : true } });
      toast(`${m.name} ${obj.spec.paused ? 'resumed' : 'paused'}.`);
    }));
  if (r.plural === 'nodes' && !r.group) {
    out.push(guarded(obj.spec.unschedulable ? 'Uncordon' : 'Cordon', r, '', 'patch', '', async () => {
      await patch(r, m, { spec: { unschedulable: obj.spec.unschedulable ? null : true } });
      toast(`${m.name} ${obj.spec.unschedulable ? 'uncordoned' : 'cordoned'}.`);
    }));
    out.push(guarded('Drain', r, '', 'patch', '', () => drain(r, obj)));
  }
  if (r.verbs.includes('delete')) out.push(guarded('Delete', r, ns, 'delete', '', () => deleteObject(r, obj, after), 'btn danger'));
  return Promise.all(out);
}

