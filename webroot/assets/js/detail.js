// detail.js - one object: summary, conditions, owner and owned objects as
// links, related events, labels and annotations, the YAML, and the edit
// flow (edit YAML -> server-side dry run -> diff -> apply; a 409 conflict is
// explained and the latest version offered). The object is watched, so the
// summary follows changes (a scale, a rollout) without reload.
import { api, collectionPath, objectPath, findResource, resourceForKind, query, watch } from './api.js';
import { h, clear, age, statusClass, toast, eventTime, newestFirst } from './dom.js';
import { state, onLeave, detailUrl, listUrl, navigate, showError } from './main.js';
import { actionButtons } from './actions.js';
import { diffView } from './diff.js';
import { highlight, yamlEditor } from './editor.js';

// Child kinds worth listing under an owner (what kubectl describe shows).
const CHILDREN = { Deployment: ['apps', 'replicasets'], ReplicaSet: ['', 'pods'], StatefulSet: ['', 'pods'],
  DaemonSet: ['', 'pods'], Job: ['', 'pods'], CronJob: ['batch', 'jobs'], ReplicationController: ['', 'pods'] };

export function yamlView(text) {
  return h('pre', { class: 'code', tabindex: '0', 'aria-label': 'YAML' }, highlight(text));
}

function summary(r, o) {
  const m = o.metadata, s = o.status || {}, sp = o.spec || {};
  const rows = [['Name', m.name], r.namespaced ? ['Namespace', m.namespace] : null, ['Kind', `${o.kind} (${o.apiVersion})`],
    ['Created', `${m.creationTimestamp} (${age(m.creationTimestamp)} ago)`], ['UID', m.uid], ['Resource version', m.resourceVersion]];
  if (o.kind === 'Pod') rows.push(['Phase', h('span', { class: `pill ${statusClass(s.phase)}` }, s.phase || '')],
    ['Node', sp.nodeName || '(not scheduled)'], ['Pod IP', s.podIP || ''],
    ['Containers', (sp.containers || []).map((c) => h('span', { class: 'chip' }, `${c.name}: ${c.image}`))]);
  if (['Deployment', 'ReplicaSet', 'StatefulSet'].includes(o.kind))
    rows.push(['Replicas', h('span', { 'data-testid': 'replicas' },
      `${sp.replicas ?? 1} desired · ${s.replicas || 0} current · ${s.readyReplicas || 0} ready · ${s.availableReplicas || 0} available`)]);
  if (o.kind === 'Deployment') rows.push(['Strategy', (sp.strategy || {}).type || ''], ['Paused', sp.paused ? 'yes' : 'no'],
    ['Revision', (m.annotations || {})['deployment.kubernetes.io/revision'] || '']);
  if (o.kind === 'Ingress') rows.push(['Class', sp.ingressClassName || (m.annotations || {})['kubernetes.io/ingress.class'] || '(default)'],
    ['Hosts', [...new Set((sp.rules || []).map((x) => x.host || '*'))].map((x) => h('span', { class: 'chip' }, x))],
    ['Address', ((s.loadBalancer || {}).ingress || []).map((x) => x.ip || x.hostname).join(', ') || '(none yet)']);
  if (o.kind === 'Node') rows.push(['Schedulable', sp.unschedulable ? h('span', { class: 'pill s-warn' }, 'cordoned') : 'yes'],
    ['Addresses', (s.addresses || []).map((a) => `${a.type} ${a.address}`).join(', ')],
    ['Capacity', Object.entries(s.capacity || {}).map(([k, v]) => h('span', { class: 'chip' }, `${k}=${v}`))]);
  return h('dl', { class: 'summary' }, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function conditions(o) {
  const c = (o.status || {}).conditions;
  if (!c || !c.length) return null;
  return [h('h2', {}, 'Conditions'), h('table', { class: 'plain' },
    h('thead', {}, h('tr', {}, ['Type', 'Status', 'Reason', 'Message', 'Last transition'].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, c.map((x) => h('tr', {}, h('td', {}, x.type),
      h('td', {}, h('span', { class: `pill ${statusClass(x.status === 'True' ? (/Pressure|Unavailable|Failure/.test(x.type) ? 'False' : 'True') : x.type === 'Ready' || x.type === 'Available' ? 'False' : 'x')}` }, x.status)),
      h('td', {}, x.reason || ''), h('td', {}, x.message || ''), h('td', {}, age(x.lastTransitionTime || x.lastUpdateTime))))))];
}

// A ConfigMap's data, or a Secret's with every value hidden until its
// Reveal button is pressed (decoded from base64 only then).
function dataSection(o) {
  const secret = o.kind === 'Secret';
  const entries = Object.entries(o.data || {});
  if (!entries.length) return [h('h2', {}, 'Data'), h('p', { class: 'muted' }, 'none')];
  return [h('h2', {}, 'Data'), h('table', { class: 'plain' }, h('tbody', {}, entries.map(([k, v]) => {
    if (!secret) return h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, h('pre', { class: 'code' }, v)));
    const cell = h('td', {}, h('span', { class: 'muted' }, `${atob(v).length} bytes, hidden`));
    const reveal = h('button', { class: 'btn', type: 'button', 'aria-label': `Reveal ${k}`, onclick: () => {
      let text;
      try { text = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(atob(v), (c) => c.charCodeAt(0))); } catch { text = `(binary) ${v}`; }
      clear(cell, h('pre', { class: 'code' }, text));
      reveal.remove();
    } }, 'Reveal');
    return h('tr', {}, h('th', { scope: 'row' }, k), cell, h('td', {}, reveal));
  })))];
}

function chips(title, map) {
  const e = Object.entries(map || {});
  return [h('h2', {}, title), e.length ? h('div', {}, e.map(([k, v]) => h('span', { class: 'chip' }, `${k}=${v}`)))
    : h('p', { class: 'muted' }, 'none')];
}

async function relations(o) {
  const m = o.metadata;
  const box = h('div');
  const owners = (m.ownerReferences || []).map((ref) => {
    const rr = resourceForKind(state.resources, ref.apiVersion, ref.kind);
    return h('li', {}, rr ? h('a', { href: detailUrl(rr, m.namespace, ref.name) }, `${ref.kind} ${ref.name}`) : `${ref.kind} ${ref.name}`,
      ref.controller ? ' (controller)' : '');
  });
  if (owners.length) box.append(h('h2', {}, 'Owners'), h('ul', {}, owners));
  const child = CHILDREN[o.kind];
  const cr = child && findResource(state.resources, child[0], '', child[1]);
  if (cr) {
    const items = (await api(collectionPath(cr, m.namespace))).items
      .filter((x) => (x.metadata.ownerReferences || []).some((ref) => ref.uid === m.uid));
    box.append(h('h2', {}, `Owned ${cr.kind}s`), items.length ? h('ul', {}, items.map((x) => h('li', {},
      h('a', { href: detailUrl(cr, x.metadata.namespace, x.metadata.name) }, x.metadata.name),
      x.status && x.status.phase ? [' ', h('span', { class: `pill ${statusClass(x.status.phase)}` }, x.status.phase)] : '',
      x.status && x.status.replicas !== undefined ? ` ${x.status.readyReplicas || 0}/${x.status.replicas} ready` : '')))
      : h('p', { class: 'muted' }, 'none'));
  }
  return box;
}

async function events(o) {
  const m = o.metadata;
  const path = m.namespace ? `/api/v1/namespaces/${encodeURIComponent(m.namespace)}/events` : '/api/v1/events';
  const ev = (await api(path + query({ fieldSelector: `involvedObject.uid=${m.uid}` }))).items;
  newestFirst(ev);
  if (!ev.length) return h('p', { class: 'muted' }, 'No events for this object.');
  return h('table', { class: 'plain' },
    h('thead', {}, h('tr', {}, ['Age', 'Type', 'Reason', 'From', 'Message'].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, ev.map((e) => h('tr', {}, h('td', {}, age(eventTime(e))),
      h('td', {}, h('span', { class: `pill ${e.type === 'Warning' ? 's-warn' : 's-idle'}` }, e.type)),
      h('td', {}, e.reason || ''), h('td', {}, (e.source && e.source.component) || e.reportingComponent || ''), h('td', {}, e.message || '')))));
}

// The YAML tab: view, edit, dry-run diff, apply.
function yamlTab(r, o, panel) {
  const path = objectPath(r, o.metadata.namespace, o.metadata.name);
  const out = h('div');
  let original = '';
  async function show() {
    original = await api(path, { accept: 'application/yaml' });
    clear(panel, h('div', { class: 'actions' }, h('button', { class: 'btn', type: 'button', onclick: () => edit().catch((e) => showError(e, out)) }, 'Edit YAML')), yamlView(original));
  }
  async function edit() {
    const dryRun = (text) => api(`${path}?dryRun=All&fieldValidation=Strict`, { method: 'PUT', type: 'application/yaml', accept: 'application/yaml', body: text });
    // the live check: what the strict dry run says of the fields (a conflict or a refusal is for Review to explain)
    const check = (text) => dryRun(text).then(() => null, (e) => ([400, 422].includes(e.code) ? e.message : null));
    // an edit makes a shown diff or error stale (Apply would send text nobody reviewed): it goes
    const editor = await yamlEditor(original, 'Object YAML', { check, onChange: () => clear(out) });
    const review = async () => {
      clear(out);
      editor.showErrors('');
      try {
        const dry = await dryRun(editor.value);
        const d = diffView(original, dry);
        clear(out, h('h2', {}, `Dry run: ${d.changes} changed lines, as the server would store it`), d.el,
          h('div', { class: 'actions' }, h('button', { class: 'btn primary', type: 'button', disabled: !d.changes, onclick: apply }, 'Apply'),
            h('button', { class: 'btn', type: 'button', onclick: () => clear(out) }, 'Keep editing')));
        out.scrollIntoView({ block: 'start' });
      } catch (e) { conflictOr(e); }
    };
    const apply = async () => {
      try {
        await api(path, { method: 'PUT', type: 'application/yaml', body: editor.value });
        toast(`${o.kind} ${o.metadata.name} updated.`);
        await show();
      } catch (e) { conflictOr(e); }
    };
    const conflictOr = (e) => {
      const what = { 409: 'Conflict: ', 422: 'Invalid: ', 400: 'Rejected: ', 403: 'Forbidden: ' }[e.code] || 'Failed: ';
      clear(out, h('div', { class: 'error', role: 'alert' }, h('strong', {}, what), e.message));
      const marked = editor.showErrors(e.message);
      if (marked.length) out.append(h('p', { class: 'muted' }, `Marked in the editor: ${marked.map((x) => `line ${x.line} (${x.field})`).join(', ')}.`));
      out.scrollIntoView({ block: 'nearest' });
      if (e.code === 409) out.append(h('button', { class: 'btn', type: 'button', onclick: async () => {
        original = await api(path, { accept: 'application/yaml' });
        const d = diffView(editor.value, original);
        editor.value = original;
        clear(out, h('p', {}, 'The latest version differs from your edit as shown; it is now in the editor. Make your change again.'), d.el);
      } }, 'Load the latest version'));
    };
    clear(panel, h('div', { class: 'actions' }, h('button', { class: 'btn primary', type: 'button', onclick: review }, 'Review changes (dry run)'),
      h('button', { class: 'btn', type: 'button', onclick: show }, 'Cancel')), editor.el, out);
    editor.focus();
  }
  show().catch((e) => showError(e, panel));
}

// A TLS Secret's certificate, an Ingress's TLS entries and what they cover (certs.js, loaded when needed).
async function tlsSection(o) {
  if (o.kind === 'Secret' && o.type === 'kubernetes.io/tls') return (await import('./certs.js')).secretCertificateSection(o);
  if (o.kind === 'Ingress') return (await import('./certs.js')).ingressTlsSection(o);
  return null;
}

// What the action buttons depend on, and what the summary shows (all but
// the resourceVersion and the conditions' heartbeat times), as strings to compare.
const actionState = (o) => JSON.stringify([o.spec && o.spec.unschedulable, o.spec && o.spec.paused, o.spec && o.spec.replicas]);
const shown = (o) => JSON.stringify(o, (k, v) => (k === 'resourceVersion' || k === 'lastHeartbeatTime' || k === 'managedFields' ? undefined : v));

export async function detailPage(main, [group, version, plural, nsPart, name]) {
  const r = findResource(state.resources, group === 'core' ? '' : group, version, plural);
  if (!r) throw new Error(`The API serves no resource ${plural} in ${group}/${version}.`);
  const ns = r.namespaced ? nsPart : '';
  const path = objectPath(r, ns, name);
  let obj = await api(path);
  const head = h('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Actions' });
  const panel = h('div', { role: 'tabpanel', id: 'tab-panel' });
  const tabs = [['Summary', summaryTab], ['YAML', () => yamlTab(r, obj, panel)], ['Events', eventsTab]];
  if (r.kind === 'Pod') tabs.push(['Logs', async () => (await import('./logs.js')).logsTab(obj, panel)]);
  if (r.kind === 'Pod') tabs.push(['Terminal', async () => (await import('./terminal.js')).terminalTab(obj, panel)]);
  if (r.kind === 'Pod' || r.kind === 'Node') tabs.push(['Metrics', async () => (await import('./metrics.js')).metricsTab(r.kind, ns, name, panel)]);
  if (r.kind === 'Ingress') tabs.push(['Traffic', async () => (await import('./ingress.js')).trafficTab(obj, panel)]);
  if (r.kind === 'Deployment') tabs.push(['Rollouts', async () => (await import('./rollout.js')).rolloutTab(r, obj, panel)]);
  let current = 'Summary';
  const bar = h('div', { class: 'tabs', role: 'tablist' });
  function select(t, focus = false) {
    current = t;
    drawTabs();
    if (focus) bar.querySelector('[aria-selected="true"]').focus();
    clear(panel);
    // a tab whose module did not load (or that failed) says so; choosing it again retries
    Promise.resolve().then(() => tabs.find(([name]) => name === t)[1]())
      .catch((e) => clear(panel, h('p', { class: 'error', role: 'alert' }, `This tab could not be shown: ${e.message}`)));
  }
  // WAI-ARIA tabs: one tab stop, arrow keys (and Home/End) move between tabs.
  function drawTabs() {
    clear(bar, tabs.map(([t]) => h('button', { type: 'button', role: 'tab', 'aria-selected': t === current ? 'true' : 'false',
      tabindex: t === current ? '0' : '-1', 'aria-controls': 'tab-panel', onclick: () => select(t) }, t)));
  }
  bar.addEventListener('keydown', (e) => {
    const i = tabs.findIndex(([t]) => t === current);
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    select(tabs[(to + tabs.length) % tabs.length][0], true);
  });
  async function summaryTab() {
    clear(panel, summary(r, obj), conditions(obj), await relations(obj).catch((e) => h('p', { class: 'error' }, e.message)),
      await tlsSection(obj), ['ConfigMap', 'Secret'].includes(obj.kind) ? dataSection(obj) : null,
      chips('Labels', obj.metadata.labels), chips('Annotations', obj.metadata.annotations));
  }
  async function eventsTab() { clear(panel, await events(obj).catch((e) => h('p', { class: 'error' }, e.message))); }
  async function drawActions() { clear(head, await actionButtons(r, obj, () => navigate(listUrl(r)))); }

  clear(main, h('p', {}, h('a', { href: listUrl(r) }, `← ${r.plural}`)),
    h('h1', {}, `${r.kind} ${name}`, ns ? h('span', { class: 'muted', style: 'font-weight:400;font-size:14px' }, `  in ${ns}`) : ''),
    head, bar, panel);
  drawTabs();
  await Promise.all([drawActions(), summaryTab()]);

  const w = watch(collectionPath(r, ns), { fieldSelector: `metadata.name=${name}` }, obj.metadata.resourceVersion, {
    relist: async () => {
      obj = await api(path);
      await drawActions();
      if (current === 'Summary') await summaryTab();
      return obj.metadata.resourceVersion;
    },
    onEvent: async (type, o) => {
      if (type === 'DELETED') { clear(panel, h('p', { class: 'notice' }, `This ${r.kind} was deleted.`)); return; }
      const before = obj;
      obj = o;
      // Redraw only what changed: a node's heartbeat every second must not
      // replace the buttons under the pointer or the summary being read.
      if (actionState(before) !== actionState(o)) await drawActions();
      if (current === 'Summary' && shown(before) !== shown(o)) await summaryTab();
    },
  });
  onLeave(() => w.stop());
}
