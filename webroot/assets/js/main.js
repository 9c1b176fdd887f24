// main.js - the console's shell: sign-in and sign-out, theme, the kind
// navigation built from discovery, the namespace switcher, and the router
// (history URLs under /ui/, so every page has an address to bookmark).
import { api, discover, session, onUnauthorized, ApiError } from './api.js';
import { h, clear, toast } from './dom.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const nsSelect = document.getElementById('ns-select');
export const state = { resources: [], ns: sessionStorage.getItem('ckube.ns') ?? 'default', cleanup: [] };

// Pages register their teardown (watches, timers) here; it runs on navigation.
export function onLeave(f) { state.cleanup.push(f); }

export function navigate(url, replace = false) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  route();
}

export function showError(err, where = main) {
  where.append(h('p', { class: 'error', role: 'alert' }, err instanceof ApiError || err instanceof Error ? err.message : String(err)));
}

function applyTheme(t) {
  document.documentElement.dataset.theme = t;
  localStorage.setItem('ckube.theme', t);
}
applyTheme(localStorage.getItem('ckube.theme') || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
document.getElementById('theme-toggle').addEventListener('click', () =>
  applyTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'));

document.getElementById('sign-out').addEventListener('click', () => {
  session.signOut();
  toast('Signed out.');
  navigate('/ui/sign-in');
});
onUnauthorized.add(() => {
  if (location.pathname !== '/ui/sign-in') { session.signOut(); navigate('/ui/sign-in', true); }
});

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href^="/ui"]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
addEventListener('popstate', () => route());
document.addEventListener('keydown', (e) => {
  if (e.key === '/' && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) {
    const s = document.querySelector('input[type="search"]');
    if (s) { e.preventDefault(); s.focus(); }
  }
});

// After a sign-in was proved: the shell, then the overview.
async function enter(message) {
  toast(message);
  await shell();
  navigate('/ui/', true);
}

function signInPage() {
  const err = h('div', { 'aria-live': 'assertive' });
  const field = h('textarea', { id: 'token', name: 'token', required: true, autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const t = field.value.trim();
      clear(err);
      session.signIn(t);
      try {
        await api('/api'); // any authenticated call proves the token
        field.value = '';
        await enter('Signed in.');
      } catch (e2) {
        session.signOut();
        showError(e2.code === 401 ? 'This token was not accepted. Copy it again from the admin token file.' : e2, err);
      }
    },
  },
  h('label', { for: 'token', style: 'display:block' }, 'Bearer token'),
  field,
  h('button', { class: 'btn primary', type: 'submit' }, 'Sign in'));
  const byCert = h('button', { class: 'btn', type: 'button', onclick: async () => {
    clear(err);
    try {
      await api('/api'); // no token: only a client certificate the browser presented can make this pass
      session.signInWithCertificate();
      await enter('Signed in with your client certificate.');
    } catch (e2) {
      showError(e2.code === 401 || e2.code === 403 ? 'The browser presented no client certificate signed by the cluster CA.' : e2, err);
    }
  } }, 'Use my client certificate');
  nav.hidden = true;
  clear(main, h('section', { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to ckube'),
    h('p', {}, 'Paste the admin token (the file ', h('code', {}, '<data dir>/pki/admin.token'),
      ', also the token: line of admin.kubeconfig) or a ServiceAccount token. It is kept only in this tab (session storage) until you sign out.'),
    form, h('p', { class: 'muted' }, 'Or, with a certificate signed by the cluster CA installed in this browser: ', byCert), err));
  field.focus();
}

let shellReady = false;
async function shell() {
  state.discovery = discover(true);
  state.resources = await state.discovery;
  const groups = new Map();
  for (const r of state.resources) {
    const g = r.group || 'core';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(r);
  }
  const order = ['core', 'apps', 'batch', 'networking.k8s.io'];
  const names = [...groups.keys()].sort((a, b) => ((order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99)) || a.localeCompare(b));
  clear(nav, h('a', { href: '/ui/' }, 'Overview'),
    names.map((g) => [h('h2', {}, g), groups.get(g).sort((a, b) => a.kind.localeCompare(b.kind))
      .map((r) => h('a', { href: listUrl(r) }, r.kind))]));
  nav.hidden = false;
  document.getElementById('sign-out').hidden = false;
  document.getElementById('create-link').hidden = false;
  fillNamespaces(); // not awaited: the page need not wait for the switcher
  shellReady = true;
}

async function fillNamespaces() {
  let names = [];
  try { names = (await api('/api/v1/namespaces')).items.map((n) => n.metadata.name); } catch { names = [state.ns]; }
  if (state.ns && !names.includes(state.ns)) names.push(state.ns);
  clear(nsSelect, h('option', { value: '' }, 'All namespaces'), names.sort().map((n) => h('option', { value: n }, n)));
  nsSelect.value = state.ns;
  nsSelect.closest('label').hidden = false;
}
nsSelect.addEventListener('focus', () => fillNamespaces()); // namespaces come and go
nsSelect.addEventListener('change', () => {
  state.ns = nsSelect.value;
  sessionStorage.setItem('ckube.ns', state.ns);
  route();
});

export function listUrl(r) { return `/ui/list/${r.group || 'core'}/${r.version}/${r.plural}`; }
export function detailUrl(r, ns, name) {
  return `/ui/object/${r.group || 'core'}/${r.version}/${r.plural}/${r.namespaced ? encodeURIComponent(ns) : '_'}/${encodeURIComponent(name)}`;
}

const isOverview = (path) => !['list', 'object', 'create'].includes(path.split('/')[2]);

async function route() {
  for (const f of state.cleanup.splice(0)) { try { f(); } catch { /* already gone */ } }
  const path = location.pathname;
  if (!session.signedIn() || path === '/ui/sign-in') {
    if (path !== '/ui/sign-in') history.replaceState(null, '', '/ui/sign-in');
    document.getElementById('sign-out').hidden = true;
    document.getElementById('create-link').hidden = true;
    nsSelect.closest('label').hidden = true;
    shellReady = false;
    return signInPage();
  }
  // The overview starts its requests while discovery runs (it awaits
  // state.discovery itself); other pages need the resource list first.
  const overview = isOverview(path) ? import('./overview.js') : null;
  try {
    const building = shellReady ? null : shell();
    if (building && overview) building.catch((e) => { clear(main); showError(e); });
    else await building;
  } catch (e) {
    clear(main);
    return showError(e);
  }
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === path || (path.startsWith('/ui/object/') && path.startsWith(a.getAttribute('href').replace('/list/', '/object/') + '/')))
      a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  clear(main, h('p', { class: 'muted' }, 'Loading…'));
  const parts = path.split('/').slice(2).map(decodeURIComponent);
  try {
    if (parts[0] === 'list') return (await import('./list.js')).listPage(main, parts.slice(1));
    if (parts[0] === 'object') return (await import('./detail.js')).detailPage(main, parts.slice(1));
    if (parts[0] === 'create') return (await import('./create.js')).createPage(main);
    return (await overview).overviewPage(main);
  } catch (e) {
    clear(main);
    showError(e);
  }
}

if (location.pathname === '/' || location.pathname === '/index.html') history.replaceState(null, '', '/ui/');
route();
