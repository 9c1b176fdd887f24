// api.js - the console's only way to the Kubernetes API: the bearer token
// from sessionStorage in an Authorization header (never in a URL), errors
// turned into plain words from the metav1.Status, discovery, and watches that
// resume from the last resourceVersion after a reconnect (relisting on 410).

const TOKEN_KEY = 'ckube.token';
const CERT_KEY = 'ckube.certificate'; // signed in by the browser's client certificate (no token)
export const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  signedIn: () => !!sessionStorage.getItem(TOKEN_KEY) || sessionStorage.getItem(CERT_KEY) === 'yes',
  signIn: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  signInWithCertificate: () => sessionStorage.setItem(CERT_KEY, 'yes'),
  signOut: () => { sessionStorage.removeItem(TOKEN_KEY); sessionStorage.removeItem(CERT_KEY); },
};

export class ApiError extends Error {
  constructor(code, reason, message, status) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.status = status;
  }
}

// Listeners told when the API answers 401 (the token expired or was revoked).
export const onUnauthorized = new Set();

function explain(code, st, path) {
  const msg = (st && st.message) || '';
  if (code === 401) return 'The API did not accept your token. Sign in again.';
  if (code === 403) return `You are not allowed to do this: ${msg || path}`;
  if (code === 404 && !msg) return `Not found: ${path}`;
  if (code === 409 && st && st.reason === 'Conflict')
    return `${msg}. Someone changed the object after you loaded it: reload it, then make your change again.`;
  if (code >= 500 && !msg) return `The server failed (${code}).`;
  return msg || `The request failed with HTTP ${code}.`;
}

// A Status answered as YAML (the request asked for YAML): its top-level
// reason and message lines are all the console needs.
export function statusFromYaml(text) {
  const field = (k) => {
    const m = new RegExp(`^${k}: (.*(?:\\n[ \\t]+.*)*)`, 'm').exec(text); // long scalars continue on indented lines
    if (!m) return undefined;
    const v = m[1].split('\n').map((l) => l.trim()).join(' ');
    if (v.startsWith("'")) return v.slice(1, -1).replace(/''/g, "'");
    if (v.startsWith('"')) { try { return JSON.parse(v); } catch { return v; } }
    return v;
  };
  return field('kind') === 'Status' ? { reason: field('reason'), message: field('message') } : { message: text.trim() };
}

async function failure(resp, path) {
  let st = null;
  const text = await resp.text().catch(() => '');
  try { st = JSON.parse(text); } catch { st = text ? statusFromYaml(text) : null; }
  if (resp.status === 401) onUnauthorized.forEach((f) => f());
  return new ApiError(resp.status, st && st.reason, explain(resp.status, st, path), st);
}

// Sends one request; resolves with the parsed JSON (or text for non-JSON
// answers), rejects with an ApiError carrying the API's own message.
export async function api(path, { method = 'GET', body, type = 'application/json', accept = 'application/json', signal, raw } = {}) {
  const headers = { Accept: accept };
  const t = session.token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = type;
  let resp;
  // A read that fails at the network level (the browser saw its network
  // change, a connection reset) is tried once more; writes are not repeated.
  for (let attempt = 0; ; attempt++) {
    try {
      resp = await fetch(path, { method, headers, signal, cache: 'no-store',
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
      break;
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      if (method === 'GET' && attempt === 0) { await new Promise((r) => setTimeout(r, 200)); continue; }
      throw new ApiError(0, 'NetworkError', 'The API server cannot be reached. Is ckube-server running?');
    }
  }
  if (!resp.ok) throw await failure(resp, path);
  if (raw) return resp;
  const ct = resp.headers.get('Content-Type') || '';
  return ct.includes('json') ? resp.json() : resp.text();
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// Discovery: every served resource with its group/version, so new kinds
// (custom resources too) appear without a change here. Aggregated discovery
// (two requests) when the server has it, else the group-by-group documents.
const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
let discovered = null;

function fromAggregated(lists) {
  const out = [];
  for (const l of lists)
    for (const g of l.items) {
      const v = g.versions[0]; // the preferred version comes first
      for (const r of v.resources)
        if (r.verbs.includes('list'))
          out.push({ group: g.metadata.name || '', version: v.version, gv: g.metadata.name ? `${g.metadata.name}/${v.version}` : v.version,
            plural: r.resource, kind: r.responseKind.kind, namespaced: r.scope === 'Namespaced', verbs: r.verbs, shortNames: r.shortNames || [] });
    }
  return out;
}

async function fromGroups() {
  const [core, groups] = await Promise.all([api('/api/v1'), api('/apis')]);
  const lists = [{ gv: 'v1', group: '', list: core }];
  await Promise.all(groups.groups.map(async (g) => {
    const v = g.preferredVersion || g.versions[0];
    try { lists.push({ gv: v.groupVersion, group: g.name, list: await api(`/apis/${v.groupVersion}`) }); } catch { /* group gone */ }
  }));
  const out = [];
  for (const { gv, group, list } of lists)
    for (const r of list.resources)
      if (!r.name.includes('/') && r.verbs.includes('list'))
        out.push({ group, version: gv.split('/').pop(), gv, plural: r.name, kind: r.kind, namespaced: r.namespaced,
          verbs: r.verbs, shortNames: r.shortNames || [] });
  return out;
}

export async function discover(refresh = false) {
  if (discovered && !refresh) return discovered;
  const agg = await Promise.all([api('/api', { accept: AGGREGATED }), api('/apis', { accept: AGGREGATED })]);
  discovered = agg.every((l) => l && l.kind === 'APIGroupDiscoveryList') ? fromAggregated(agg) : await fromGroups();
  return discovered;
}

export function findResource(res, group, version, plural) {
  return res.find((r) => r.group === group && r.plural === plural && (!version || r.version === version))
    || res.find((r) => r.group === group && r.plural === plural);
}

export function resourceForKind(res, apiVersion, kind) {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return res.find((r) => r.group === group && r.kind === kind);
}

// The collection path of r, in namespace ns ('' for all namespaces).
export function collectionPath(r, ns) {
  const base = r.group ? `/apis/${r.gv}` : '/api/v1';
  return r.namespaced && ns ? `${base}/namespaces/${encodeURIComponent(ns)}/${r.plural}` : `${base}/${r.plural}`;
}

export function objectPath(r, ns, name) {
  return `${collectionPath(r, r.namespaced ? ns : '')}/${encodeURIComponent(name)}`;
}

// Watches path from resourceVersion rv. onEvent(type, object) for ADDED,
// MODIFIED and DELETED; relist() is called after a 410 Gone and must
// resolve with the new resourceVersion. Reconnects (1 s, doubling to 10 s)
// when the stream ends or fails. Returns { stop }.
export function watch(path, params, rv, { accept = 'application/json', onEvent, relist, onState = () => {} }) {
  const ctl = new AbortController();
  let stopped = false, delay = 1000;
  (async () => {
    while (!stopped) {
      try {
        const resp = await api(path + query({ ...params, watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true' }),
          { accept, signal: ctl.signal, raw: true });
        onState('live');
        delay = 1000;
        const reader = resp.body.getReader();
        const dec = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            const ev = JSON.parse(line);
            if (ev.type === 'ERROR') {
              if (ev.object && ev.object.code === 410) { rv = await relist(); break; }
              throw new ApiError(ev.object.code, ev.object.reason, ev.object.message);
            }
            if (ev.object && ev.object.metadata && ev.object.metadata.resourceVersion) rv = ev.object.metadata.resourceVersion;
            else if (ev.object && ev.object.rows && ev.object.rows[0]) rv = ev.object.rows[0].object.metadata.resourceVersion || rv;
            if (ev.type !== 'BOOKMARK') onEvent(ev.type, ev.object);
          }
        }
      } catch (e) {
        if (stopped || e.name === 'AbortError') return;
        if (e.code === 410) { try { rv = await relist(); } catch { /* retried below */ } }
        else if (e.code === 401 || e.code === 403) { onState('error', e); return; }
      }
      if (stopped) return;
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000);
    }
  })();
  return { stop() { stopped = true; ctl.abort(); } };
}
