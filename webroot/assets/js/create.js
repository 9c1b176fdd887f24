// create.js - create objects from YAML, several documents separated by ---.
// Each document's apiVersion, kind and metadata.namespace (read from its
// top-level lines) choose the collection it is POSTed to, as YAML, so the
// server does the parsing and validation; "Dry run" sends the same requests
// with dryRun=All first. Results are listed per document.
import { api, collectionPath, resourceForKind } from './api.js';
import { documentStarts, routing } from './yaml_docs.js';
import { h, clear } from './dom.js';
import { yamlEditor, fieldMarks } from './editor.js';
import { state, detailUrl, showError } from './main.js';

const EXAMPLE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: example
spec:
  replicas: 2
  selector:
    matchLabels: {app: example}
  template:
    metadata:
      labels: {app: example}
    spec:
      containers:
      - name: web
        image: nginx
`;

export async function createPage(main) {
  const area = await yamlEditor(EXAMPLE, 'YAML to create');
  const out = h('div', { 'aria-live': 'polite' });
  async function send(dry) {
    clear(out);
    const docs = documentStarts(area.value);
    area.mark([]);
    if (!docs.length) return showError('There is nothing to create.', out);
    const list = h('ol');
    const marks = []; // the fields the server refused, on the stream's lines
    out.append(h('h2', {}, dry ? 'Dry run' : 'Created'), list);
    for (const { doc, line } of docs) {
      const rt = routing(doc + '\n');
      const r = rt.apiVersion && rt.kind && resourceForKind(state.resources, rt.apiVersion, rt.kind);
      if (!r) { list.append(h('li', { class: 'error' }, `${rt.kind || '(no kind)'} ${rt.name || ''}: the API serves no kind ${rt.kind} in ${rt.apiVersion}.`)); continue; }
      const ns = r.namespaced ? rt.namespace || state.ns || 'default' : '';
      try {
        const o = await api(collectionPath(r, ns) + (dry ? '?dryRun=All' : ''), { method: 'POST', type: 'application/yaml', body: doc });
        list.append(h('li', {}, dry ? `${o.kind} ${o.metadata.name || o.metadata.generateName}: valid` :
          h('a', { href: detailUrl(r, o.metadata.namespace, o.metadata.name) }, `${o.kind} ${o.metadata.name} created`)));
      } catch (e) {
        list.append(h('li', { class: 'error' }, `${rt.kind} ${rt.name || ''}: ${e.message}`));
        marks.push(...fieldMarks(doc, e.message).map((x) => ({ line: line + x.line - 1, message: `${x.field}: ${x.message}` })));
      }
    }
    area.mark(marks);
  }
  clear(main, h('h1', {}, 'Create from YAML'),
    h('p', { class: 'muted' }, `One or more documents separated by ---. Namespaced objects without a namespace go to ${state.ns || 'default'}.`),
    area.el, h('div', { class: 'actions' }, h('button', { class: 'btn', type: 'button', onclick: () => send(true) }, 'Dry run'),
      h('button', { class: 'btn primary', type: 'button', onclick: () => send(false) }, 'Create')), out);
  area.focus();
}
