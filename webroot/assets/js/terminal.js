// terminal.js - an exec terminal in the browser: xterm.js (from npm, copied
// into assets/vendor by the build) over the pod's exec WebSocket, speaking the
// channel protocol kubectl speaks (v5.channel.k8s.io, else v4): each binary
// message starts with its channel, 0 stdin, 1 stdout, 2 stderr, 3 the final
// status, 4 terminal size. A browser cannot set an Authorization header on a
// WebSocket, so the token rides in the subprotocol list, as kube-apiserver
// accepts it (base64url.bearer.authorization.k8s.io.<token>).
import { session } from './api.js';
import { h, clear } from './dom.js';
import { onLeave } from './main.js';

let loading = null;
function loadXterm() {
  if (window.Terminal) return Promise.resolve(window.Terminal);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      document.head.append(h('link', { rel: 'stylesheet', href: '/assets/vendor/xterm/xterm.css' }));
      const s = h('script', { src: '/assets/vendor/xterm/xterm.js' });
      s.onload = () => (window.Terminal ? resolve(window.Terminal) : reject(new Error('xterm.js did not load')));
      s.onerror = () => { loading = null; reject(new Error('xterm.js is not installed (scripts/deps.sh installs it from npm)')); };
      document.head.append(s);
    });
  }
  return loading;
}

const b64url = (s) => btoa(String.fromCharCode(...new TextEncoder().encode(s))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export function terminalTab(pod, panel) {
  const containers = (pod.spec.containers || []).map((c) => c.name);
  const pick = h('select', { 'aria-label': 'Container' }, containers.map((c) => h('option', { value: c }, c)));
  const shell = h('input', { type: 'text', value: 'sh', 'aria-label': 'Command', size: 12, spellcheck: 'false' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const screen = h('div', { class: 'terminal', 'data-testid': 'terminal' });
  const connect = h('button', { type: 'button' }, 'Connect');
  let ws = null, term = null;
  const close = () => { if (ws) ws.close(); ws = null; if (term) term.dispose(); term = null; };
  async function open() {
    close();
    clear(screen);
    let Terminal;
    try { Terminal = await loadXterm(); } catch (e) { status.textContent = `The terminal is not available: ${e.message}`; return; }
    term = new Terminal({ cursorBlink: true, fontSize: 13, convertEol: false, scrollback: 5000,
      theme: document.documentElement.dataset.theme === 'dark' ? { background: '#111418' } : { background: '#1d2127' } });
    term.open(screen);
    const { namespace, name } = pod.metadata;
    const q = new URLSearchParams({ container: pick.value, stdin: 'true', stdout: 'true', stderr: 'true', tty: 'true' });
    for (const part of shell.value.trim().split(/\s+/).filter(Boolean)) q.append('command', part);
    const url = `wss://${location.host}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/exec?${q}`;
    status.textContent = 'Connecting…';
    const token = session.token(); // none when signed in with a client certificate: TLS carries it
    const sock = new WebSocket(url, ['v5.channel.k8s.io', 'v4.channel.k8s.io',
      ...(token ? [`base64url.bearer.authorization.k8s.io.${b64url(token)}`] : [])]);
    ws = sock;
    sock.binaryType = 'arraybuffer';
    const enc = new TextEncoder(), dec = new TextDecoder();
    const send = (channel, bytes) => {
      if (sock.readyState !== WebSocket.OPEN) return;
      const m = new Uint8Array(bytes.length + 1);
      m[0] = channel;
      m.set(bytes, 1);
      sock.send(m);
    };
    const resize = () => send(4, enc.encode(JSON.stringify({ Width: term.cols, Height: term.rows })));
    let final = '';
    sock.onopen = () => {
      status.textContent = `Connected to ${name}/${pick.value} (${sock.protocol}).`;
      resize();
      term.focus();
    };
    sock.onmessage = (e) => {
      const data = new Uint8Array(e.data);
      if (!data.length) return;
      if (data[0] === 1 || data[0] === 2) term.write(data.subarray(1));
      else if (data[0] === 3) final += dec.decode(data.subarray(1));
    };
    sock.onclose = (e) => {
      if (ws !== sock) return;
      let said = e.code === 1000 || e.code === 1005 ? 'The session ended.' : `The connection closed (${e.code}${e.reason ? `: ${e.reason}` : ''}).`;
      try {
        const st = final && JSON.parse(final);
        if (st && st.status === 'Failure') said = `The session ended: ${st.message}`;
      } catch { /* not JSON */ }
      status.textContent = said;
      ws = null;
    };
    term.onData((d) => send(0, enc.encode(d)));
    term.onResize(() => resize());
  }
  connect.addEventListener('click', open);
  clear(panel, h('div', { class: 'toolbar' }, h('label', {}, 'Container', pick), h('label', {}, 'Command', shell), connect),
    status, screen);
  onLeave(close);
  open();
}
