// logs.js - a pod's log: container choice, follow (a streamed
// ?follow=true answer), previous, timestamps, and search that keeps only the
// matching lines. An empty log or an error is said plainly (pods on simulated
// nodes keep no logs; real nodes serve them through their call-home tunnel).
import { api, query } from './api.js';
import { h, clear } from './dom.js';
import { onLeave } from './main.js';

export function logsTab(pod, panel) {
  const containers = (pod.spec.containers || []).map((c) => c.name);
  const pick = h('select', { 'aria-label': 'Container' }, containers.map((c) => h('option', { value: c }, c)));
  const follow = h('input', { type: 'checkbox', checked: true });
  const stamps = h('input', { type: 'checkbox' });
  const prev = h('input', { type: 'checkbox' });
  const search = h('input', { type: 'search', placeholder: 'Search the log', 'aria-label': 'Search the log' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const out = h('pre', { class: 'code logs', tabindex: '0', 'aria-label': 'Log' });
  let text = '', ctl = null;
  const show = () => {
    const t = search.value;
    out.textContent = t ? text.split('\n').filter((l) => l.includes(t)).join('\n') : text;
    if (follow.checked) out.scrollTop = out.scrollHeight;
  };
  async function load() {
    if (ctl) ctl.abort();
    ctl = new AbortController();
    text = '';
    show();
    status.textContent = 'Loading…';
    const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/log` +
      query({ container: pick.value, follow: follow.checked && !prev.checked ? 'true' : '', timestamps: stamps.checked ? 'true' : '',
        previous: prev.checked ? 'true' : '', tailLines: 5000 });
    try {
      const resp = await api(path, { accept: '*/*', raw: true, signal: ctl.signal });
      status.textContent = follow.checked ? 'Following…' : '';
      const reader = resp.body.getReader();
      const dec = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
        show();
      }
      status.textContent = text ? 'End of log.' : 'The log is empty. (Pods on simulated nodes keep no container logs.)';
    } catch (e) {
      if (e.name !== 'AbortError') status.textContent = `The log is not available: ${e.message}`;
    }
  }
  for (const c of [pick, follow, stamps, prev]) c.addEventListener('change', load);
  search.addEventListener('input', show);
  clear(panel, h('div', { class: 'toolbar' }, h('label', {}, 'Container', pick), h('label', {}, follow, 'Follow'),
    h('label', {}, prev, 'Previous'), h('label', {}, stamps, 'Timestamps'), search), status, out);
  onLeave(() => ctl && ctl.abort());
  load();
}
