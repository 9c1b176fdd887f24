// cluster.mjs - a fresh ckube-server on a free loopback port with a new data
// directory, its Ingress proxy on another, three simulated nodes
// (ckube-node --simulate 3), as tests/e2e/run.py starts them, and one real
// node agent (real-0, pods on 127.99.0.0/16, tainted so only pods that name
// it run there: logs, the exec terminal, canary backends; joined by token as
// kubeadm join does, so it serves logs and exec through its call-home tunnel),
// plus a small API
// client for the tests.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import net from 'node:net';

export const REAL_NODE = 'real-0';
const agent = new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

// One HTTPS request; resolves { status, headers, body } (body parsed when JSON).
export function request(base, method, path, { token, body, type = 'application/json', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    if (data !== undefined) { h['Content-Type'] = type; h['Content-Length'] = Buffer.byteLength(data); }
    const req = https.request(base + path, { method, headers: h, agent, timeout: 30000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed = text;
        if ((res.headers['content-type'] || '').includes('json')) { try { parsed = JSON.parse(text); } catch { /* keep text */ } }
        resolve({ status: res.statusCode, headers: res.headers, body: parsed, bytes: Buffer.concat(chunks).length });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls f() until it returns a truthy value; fails after ms.
export async function until(what, f, ms = 20000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { last = await f(); if (last) return last; } catch (e) { last = e; }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

export async function startCluster({ bin, webroot, logDir }) {
  const data = mkdtempSync(join(tmpdir(), 'ckube-browser-'));
  const port = await freePort();
  const ingressPort = await freePort();
  const dnsPort = await freePort();
  const base = `https://127.0.0.1:${port}`;
  let server, exited;
  const startServer = async (logName) => {
    const log = openSync(join(logDir, logName), 'w');
    server = spawn(join(bin, 'ckube-server'), ['--data-dir', data, '--listen', `127.0.0.1:${port}`, '--no-local-node', '--webroot', webroot,
      '--ingress-http', `127.0.0.1:${ingressPort}`, '--ingress-nice', '0', '--dns-listen', `127.0.0.1:${dnsPort}`,
      // ranges of its own: node agents of clusters running beside it (the e2e workers) bind their
      // ClusterIPs and LoadBalancer addresses with SO_REUSEPORT
      '--service-cluster-ip-range', '127.1.248.0/21', '--loadbalancer-pool', '127.255.248.0/21',
      '--node-monitor-grace-period', '8', ...(process.env.CKUBE_VERBOSE ? ['-v'] : [])], { stdio: ['ignore', log, log] });
    exited = false;
    server.on('exit', () => { exited = true; });
    await until('ckube-server to be ready', async () => {
      if (exited) throw new Error('ckube-server exited');
      const r = await request(base, 'GET', '/readyz');
      return r.status === 200;
    }, 30000);
  };
  const stopProcess = async (p) => {
    if (p.exitCode !== null) return;
    p.kill('SIGTERM');
    await Promise.race([new Promise((r) => p.once('exit', r)), sleep(15000)]);
    if (p.exitCode === null) p.kill('SIGKILL');
  };
  await startServer('server.log');
  const token = readFileSync(join(data, 'pki', 'admin.token'), 'utf8').trim();
  const nlog = openSync(join(logDir, 'node.log'), 'w');
  const nodes = spawn(join(bin, 'ckube-node'), ['--simulate', '3', '--kubeconfig', join(data, 'admin.kubeconfig'), '--name-prefix', 'sim',
    '--heartbeat-seconds', '1'], { stdio: ['ignore', nlog, nlog] });
  await until('3 simulated nodes', async () => {
    const r = await request(base, 'GET', '/api/v1/nodes', { token });
    return r.status === 200 && r.body.items.length >= 3;
  }, 30000);
  const api = (method, path, body, type) => request(base, method, path, { token, body, type });
  const rlog = openSync(join(logDir, 'real-node.log'), 'w');
  // joined by token as a user would (kubeadm's flow), so it opens the call-home tunnel for logs and exec
  const joinCommand = execFileSync(join(bin, 'ckube-server'), ['token', 'create', '--data-dir', data, '--print-join-command'])
    .toString().trim().split(/\s+/);
  if (joinCommand[1] !== 'join') throw new Error(`unexpected join command: ${joinCommand.join(' ')}`);
  const realNode = spawn(join(bin, 'ckube-node'), [...joinCommand.slice(1), '--name', REAL_NODE, '--data-dir', join(data, 'real-node'),
    '--pod-cidr', '127.99.0.0/16', '--heartbeat-seconds', '1'], { stdio: ['ignore', rlog, rlog] });
  await until(`node ${REAL_NODE} Ready`, async () => {
    const r = await api('GET', `/api/v1/nodes/${REAL_NODE}`);
    return r.status === 200 && (r.body.status.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True');
  }, 30000);
  const t = await api('PATCH', `/api/v1/nodes/${REAL_NODE}`, { spec: { taints: [{ key: 'ckube.io/browser-test', value: 'real', effect: 'NoSchedule' }] } },
    'application/merge-patch+json');
  if (t.status !== 200) throw new Error(`cannot taint ${REAL_NODE}: ${t.status}`);
  async function stop() {
    await stopProcess(realNode);
    await stopProcess(nodes);
    await stopProcess(server);
    rmSync(data, { recursive: true, force: true });
  }
  // Stops the server, waits downMs, and starts it again on the same port and data.
  async function restartServer(downMs = 1000) {
    await stopProcess(server);
    await sleep(downMs);
    await startServer('server-restarted.log');
  }
  return { base, port, ingressPort, token, data, webroot, api, stop, restartServer, realNode: REAL_NODE };
}
