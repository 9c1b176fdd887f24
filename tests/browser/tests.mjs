// tests.mjs - the console's browser tests, in order (later tests use what
// earlier ones created). Each gets a fresh page of one browser profile
// and the cluster.
import http from 'node:http';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { until, request } from './cluster.mjs';

const NS = 'default';

// page.goto, tried again (six times at most, a second apart) when Chromium
// aborted the page or one of its modules because it saw the machine's
// network change (the real node adds a veth per pod; other work on this
// machine adds interfaces too): then the console never starts and the page
// still says "Loading the console". A broken console fails all six.
async function open(page, url) {
  for (let i = 0; ; i++) {
    try {
      const resp = await page.goto(url);
      const started = () => page.evaluate(() => !document.querySelector('main')?.textContent.includes('Loading the console'));
      await until('the console to start', started, 10000);
      return resp;
    } catch (e) {
      if (i === 5 || !/ERR_NETWORK_CHANGED|chrome-error:|the console to start/.test(e.message)) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

// A page already signed in (the token put in session storage as the sign-in page does).
async function signedIn(page, cluster, path = '/ui/') {
  await open(page, cluster.base + '/ui/sign-in');
  await page.evaluate((t) => sessionStorage.setItem('ckube.token', t), cluster.token);
  await open(page, cluster.base + path);
}

function deployment(name, replicas, image = 'nginx:1.19') {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, labels: { app: name } },
    spec: { replicas, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } } } };
}

function check(cond, msg) { if (!cond) throw new Error(msg); }

// The YAML editor labelled `label` (CodeMirror, editor.js): its text, and
// new text put in as a user pastes it (select all, then a paste event with
// the text on its clipboard, which CodeMirror handles as a paste; Chromium's
// own contenteditable insertion would write style attributes, which the CSP refuses).
const editorText = (page, label) => page.getByLabel(label).evaluate((n) => n.closest('[data-editor]').value);
async function editorPut(page, label, text) {
  const content = page.getByLabel(label);
  await content.click();
  await page.keyboard.press('Control+a');
  await content.evaluate((n, t) => {
    const data = new DataTransfer();
    data.setData('text/plain', t);
    n.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
  const now = await editorText(page, label);
  check(now === text, `the editor holds ${JSON.stringify(now.slice(0, 80))}... after the paste`);
}

// A speed target: enforced when the machine is quiet (1-minute load at most
// the core count, as in a plain run of tests/browser/run.sh); under the
// suite's own parallel stages or other work the figure is measured and
// recorded in perf.json, and the miss is printed, not failed.
function timing(perf, cond, msg) {
  if (cond) return;
  const load = os.loadavg()[0], cores = os.cpus().length;
  if (load <= cores) throw new Error(msg);
  console.log(`  note: ${msg} (not checked at load ${load.toFixed(1)} on ${cores} cores)`);
  perf.timingMisses = [...(perf.timingMisses || []), { msg, load: +load.toFixed(1) }];
}

// A self-signed certificate made with openssl (`openssl ca -selfsign`, the
// one tool of OpenSSL 3.0 that takes both dates, so an expired one can be
// made): { crt, key } as PEM, valid from `fromDays` to `toDays` around now.
function certificate(cn, dnsNames, fromDays, toDays) {
  const dir = mkdtempSync(join(os.tmpdir(), 'ckube-cert-'));
  const at = (days) => new Date(Date.now() + days * 86400000).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  try {
    writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\n' +
      'policy=p\ncopy_extensions=copy\n[p]\norganizationName=optional\ncommonName=supplied\n');
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '01\n');
    const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-out', 'r.csr',
      '-subj', `/O=ckube tests/CN=${cn}`, '-addext', `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')}`]);
    run(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'k.pem', '-in', 'r.csr', '-out', 'c.pem', '-notext',
      '-startdate', at(fromDays), '-enddate', at(toDays)]);
    return { crt: readFileSync(join(dir, 'c.pem'), 'utf8'), key: readFileSync(join(dir, 'k.pem'), 'utf8') };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

const tlsSecret = (name, { crt, key }) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'kubernetes.io/tls',
  data: { 'tls.crt': Buffer.from(crt).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') } });

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });

// A busybox pod on the real node printing "tick N" every 0.3 s (made once).
async function tickerPod(cluster) {
  const path = `/api/v1/namespaces/${NS}/pods/ticker`;
  if ((await cluster.api('GET', path)).status !== 200) {
    const pod = { metadata: { name: 'ticker' }, spec: { nodeName: cluster.realNode, containers: [{ name: 'tick', image: 'busybox',
      command: ['sh', '-c', 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.3; done'] }] } };
    const r = await cluster.api('POST', `/api/v1/namespaces/${NS}/pods`, pod);
    check(r.status === 201, `create ticker: ${r.status}`);
  }
  await until('ticker running', async () => (await cluster.api('GET', path)).body.status.phase === 'Running', 30000);
}

// Waits until a Deployment's controller has caught up and its status stays
// put for a second (an edit loaded before a status write would conflict).
async function settled(cluster, name) {
  const path = `/apis/apps/v1/namespaces/${NS}/deployments/${name}`;
  let rv = '';
  await until(`${name} to settle`, async () => {
    const d = (await cluster.api('GET', path)).body;
    const done = d.status.observedGeneration === d.metadata.generation && d.status.availableReplicas === d.spec.replicas &&
      d.status.updatedReplicas === d.spec.replicas && d.status.replicas === d.spec.replicas;
    const same = rv === d.metadata.resourceVersion;
    rv = d.metadata.resourceVersion;
    if (done && same) return true;
    await new Promise((r) => setTimeout(r, 1000));
    return false;
  }, 30000);
}

export const tests = [
  { name: 'pure helpers: line diff, YAML documents and routing, YAML Status, error fields to lines, certificate names and expiry, Ingress rate and quantiles', async run() {
    const web = new URL('../../webroot/assets/js/', import.meta.url);
    const { diffLines } = await import(new URL('diff.js', web));
    const { splitDocuments, routing } = await import(new URL('yaml_docs.js', web));
    const { statusFromYaml } = await import(new URL('api.js', web));
    const d = diffLines('a\nb\nc\nd', 'a\nc\nx\nd').map(([op, t]) => op + t).join(' ');
    check(d === ' a -b  c +x  d', `diff: ${d}`);
    check(diffLines('same', 'same').every(([op]) => op === ' '), 'diff of equal texts');
    const docs = splitDocuments('# c\n---\nkind: A\n---\n\n---\nkind: B\n');
    check(docs.length === 2 && docs[1] === 'kind: B', `documents: ${JSON.stringify(docs)}`);
    const { documentStarts } = await import(new URL('yaml_docs.js', web));
    const starts = documentStarts('# c\n---\nkind: A\n---\n\n---\n\n  \nkind: B\n').map((d) => d.line).join();
    check(starts === '3,9', `document lines: ${starts}`);
    const r = routing('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    name: not-this\n  name: web\n  namespace: "prod"\nspec: {}\n');
    check(r.apiVersion === 'apps/v1' && r.kind === 'Deployment' && r.name === 'web' && r.namespace === 'prod', `routing: ${JSON.stringify(r)}`);
    const f = routing('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two, namespace: kube-public}\n');
    check(f.name === 'two' && f.namespace === 'kube-public', `flow routing: ${JSON.stringify(f)}`);
    check(routing('kind: X\n').namespace === null, 'absent namespace');
    const st = statusFromYaml("apiVersion: v1\ncode: 409\nkind: Status\nmessage: 'it''s modified'\nreason: Conflict\n");
    check(st.reason === 'Conflict' && st.message === "it's modified", `status: ${JSON.stringify(st)}`);
    const long = statusFromYaml("code: 409\nkind: Status\nmessage: 'Operation cannot be fulfilled: the object has been\n  modified; please try again'\nreason: Conflict\n");
    check(long.message === 'Operation cannot be fulfilled: the object has been modified; please try again', `folded: ${JSON.stringify(long)}`);
    const { covers, expiry, pemCertificates } = await import(new URL('certs.js', web));
    const names = ['shop.example.com', '*.api.example.com'];
    const cov = ['shop.example.com', 'SHOP.example.com.', 'v1.api.example.com', 'api.example.com', 'a.b.api.example.com', 'example.com']
      .map((x) => covers(names, x));
    check(cov.join() === 'true,true,true,false,false,false', `covers: ${cov}`);
    const day = 86400000, now = Date.UTC(2026, 0, 31);
    const ex = [[-10, -1], [-10, 29], [-10, 31], [1, 40]].map(([a, b]) => expiry({ notBefore: now + a * day, notAfter: now + b * day }, now).cls);
    check(ex.join() === 's-bad,s-warn,s-ok,s-bad', `expiry classes: ${ex}`);
    const two = pemCertificates('-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\njunk\n-----BEGIN CERTIFICATE-----\nAAE=\n-----END CERTIFICATE-----\n');
    check(two.length === 2 && two[0].length === 5 && two[1].join() === '0,1', `PEM blocks: ${two.map((x) => x.join('.'))}`);
    const { parseHistograms, quantile, between } = await import(new URL('ingress_stats.js', web));
    const series = (ing, svc, counts, sum) => [0.01, 0.1, 1, '+Inf'].map((le, i) =>
      `nginx_ingress_controller_request_duration_seconds_bucket{namespace="d",ingress="${ing}",service="${svc}",host="h",path="/",canary="",le="${le}"} ${counts[i]}`)
      .concat(`nginx_ingress_controller_request_duration_seconds_sum{namespace="d",ingress="${ing}",service="${svc}",host="h",path="/",canary=""} ${sum}`,
        `nginx_ingress_controller_request_duration_seconds_count{namespace="d",ingress="${ing}",service="${svc}",host="h",path="/",canary=""} ${counts[3]}`);
    const t1 = parseHistograms([...series('a', 'x', [1, 2, 2, 2], 0.1), ...series('a', 'y', [1, 1, 1, 2], 2), ...series('b', 'x', [5, 5, 5, 5], 0)].join('\n'));
    const t2 = parseHistograms([...series('a', 'x', [11, 42, 92, 102], 20), ...series('a', 'y', [1, 1, 1, 2], 2), ...series('b', 'x', [5, 5, 5, 5], 0)].join('\n'));
    check(t1.get('d/a').count === 4 && t1.get('d/a').buckets.get(0.1) === 3 && t1.get('d/b').count === 5, `histograms: ${JSON.stringify([...t1.get('d/a').buckets])}`);
    const win = between(t1.get('d/a'), t2.get('d/a'), 10);
    // 100 new requests: 10 under 10 ms, 30 to 100 ms, 50 to 1 s, 10 above: p50 is 100 ms + 10/50 of 900 ms, p99 the largest bound
    check(win.rate === 10 && Math.abs(win.p50 - 0.28) < 1e-9 && win.p99 === 1 && Math.abs(win.mean - 0.199) < 1e-9, `stats: ${JSON.stringify(win)}`);
    check(Number.isNaN(quantile(0.5, [[0.1, 0], [Infinity, 0]])) && quantile(0.5, [[0.1, 4], [Infinity, 4]]) === 0.05, 'quantile edges');
    check(between(t2.get('d/a'), t1.get('d/a'), 1).rate === 4, 'a counter reset counts from zero');
    const { fieldLine, fieldErrors } = await import(new URL('editor.js', web));
    const y = 'kind: Deployment\nspec:\n  replicaz: 3\n  template:\n    spec:\n      containers:\n      - image: nginx\n        name: web\n' +
      '      - name: side\n        imagez: busybox\n        ports:\n        - containerPort: 80\n      dnsPolicy: ClusterFirst\n';
    const lines = ['spec.replicaz', 'spec.template.spec.containers[1].imagez', 'spec.template.spec.containers[0].name',
      'spec.template.spec.dnsPolicy', 'spec.template.spec.containers[1].ports[0].containerPort', 'spec.selector', 'status'].map((f) => fieldLine(y, f));
    check(lines.join() === '3,10,8,13,12,2,0', `field lines: ${lines}`);
    const fe = fieldErrors('Deployment.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.selector: Required value]; unknown field "spec.x"');
    check(JSON.stringify(fe.map((x) => [x.field, x.message])) === JSON.stringify([['spec.x', 'unknown field'],
      ['spec.replicas', 'Invalid value: -1: must be greater than or equal to 0'], ['spec.selector', 'Required value']]), `field errors: ${JSON.stringify(fe)}`);
  } },

  { name: 'static files are open, the API is not, with CSP and ETag', async run({ cluster }) {
    const idx = await request(cluster.base, 'GET', '/', { headers: { Accept: 'text/html' } });
    check(idx.status === 200 && idx.headers['content-type'].startsWith('text/html'), `GET / gave ${idx.status}`);
    const csp = idx.headers['content-security-policy'] || '';
    const scriptSrc = (/script-src ([^;]*)/.exec(csp) || [])[1] || '';
    check(scriptSrc === "'self'" && /style-src 'self';/.test(csp) && /frame-ancestors 'none'/.test(csp), `CSP: ${csp}`);
    const js = await request(cluster.base, 'GET', '/assets/js/main.js');
    check(js.status === 200 && js.headers['content-type'].startsWith('text/javascript'), `main.js: ${js.status} ${js.headers['content-type']}`);
    check(js.headers.etag && js.headers['cache-control'] === 'no-cache', 'main.js has no ETag/Cache-Control');
    const again = await request(cluster.base, 'GET', '/assets/js/main.js', { headers: { 'If-None-Match': js.headers.etag } });
    check(again.status === 304 && again.bytes === 0, `revalidation gave ${again.status}`);
    const css = await request(cluster.base, 'GET', '/assets/app.css');
    check(css.headers['content-type'].startsWith('text/css'), 'app.css content type');
    const deep = await request(cluster.base, 'GET', '/ui/list/apps/v1/deployments');
    check(deep.status === 200 && /<title>ckube console/.test(deep.body), 'a /ui/ route is not the page');
    const api = await request(cluster.base, 'GET', '/api/v1/namespaces');
    check(api.status === 401, `the API without a token gave ${api.status}`);
    const apiJson = await request(cluster.base, 'GET', '/', { headers: { Accept: 'application/json' } });
    check(apiJson.status === 401, `GET / for an API client gave ${apiJson.status}, not the API's 401`);
    const hidden = await request(cluster.base, 'GET', '/assets/.hidden');
    check(hidden.status === 404, `a dot file gave ${hidden.status}`);
    const post = await request(cluster.base, 'POST', '/assets/app.css', { body: 'x', type: 'text/plain' });
    check(post.status === 405, `POST to a file gave ${post.status}`);
  } },

  { name: 'the console\'s size as served: our files and each library', async run({ cluster, perf }) {
    // every file under assets/ fetched as a browser would, its bytes and what gzip would make of them
    const files = ['/', ...readdirSync(join(cluster.webroot, 'assets'), { recursive: true })
      .filter((f) => /\.(js|css)$/.test(f)).map((f) => `/assets/${f}`)];
    const sizes = {};
    for (const f of files) {
      const r = await request(cluster.base, 'GET', f, { headers: { Accept: 'text/html' } });
      check(r.status === 200, `${f}: ${r.status}`);
      const raw = Buffer.from(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
      sizes[f] = { bytes: r.bytes, gzip: gzipSync(raw, { level: 9 }).length };
    }
    const group = (re) => Object.entries(sizes).filter(([f]) => re.test(f))
      .reduce((a, [, v]) => ({ files: a.files + 1, bytes: a.bytes + v.bytes, gzip: a.gzip + v.gzip }), { files: 0, bytes: 0, gzip: 0 });
    perf.size = { own: group(/^\/$|^\/assets\/(js\/|app\.css)/), xterm: group(/vendor\/xterm\//), codemirror: group(/vendor\/codemirror\//),
      x509: group(/vendor\/x509\//), all: group(/./) };
    for (const lib of ['xterm', 'codemirror', 'x509']) check(perf.size[lib].files > 0, `${lib} is not served (scripts/deps.sh, then the build)`);
    console.log(`  size: ${Object.entries(perf.size).map(([k, v]) => `${k} ${v.files} files ${Math.round(v.bytes / 1024)} KB (gzip ${Math.round(v.gzip / 1024)} KB)`).join('; ')}`);
  } },

  { name: 'sign in, bad token, sign out', async run({ page, cluster, shot }) {
    await open(page, cluster.base + '/');
    await page.waitForURL('**/ui/sign-in');
    await shot('01-sign-in');
    await page.fill('#token', 'not-a-token');
    await page.click('button[type=submit]');
    await page.getByText('This token was not accepted').waitFor();
    await page.fill('#token', cluster.token);
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    check(!page.url().includes(cluster.token), 'the token is in the URL');
    check(await page.evaluate(() => sessionStorage.getItem('ckube.token')) === cluster.token, 'token not in session storage');
    check(await page.evaluate(() => localStorage.getItem('ckube.token')) === null, 'token in local storage');
    await page.locator('.node').first().waitFor();
    await shot('02-overview');
    await page.click('#sign-out');
    await page.waitForURL('**/ui/sign-in');
    check(await page.evaluate(() => sessionStorage.getItem('ckube.token')) === null, 'sign-out kept the token');
  } },

  { name: 'sign in with a ServiceAccount token', async run({ page, cluster }) {
    const secret = await until('the default ServiceAccount token', async () =>
      (await cluster.api('GET', `/api/v1/namespaces/${NS}/secrets?fieldSelector=type%3Dkubernetes.io%2Fservice-account-token`)).body.items
        .find((x) => x.metadata.annotations['kubernetes.io/service-account.name'] === 'default'));
    const token = Buffer.from(secret.data.token, 'base64').toString();
    await open(page, cluster.base + '/ui/sign-in');
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    check(await page.evaluate(() => sessionStorage.getItem('ckube.token')) === token, 'not signed in with the ServiceAccount token');
  } },

  { name: 'sign in with a client certificate', async run({ cluster, otherBrowser }) {
    const pki = `${cluster.data}/pki`;
    const b = await otherBrowser({ clientCertificates: [{ origin: cluster.base, certPath: `${pki}/admin.crt`, keyPath: `${pki}/admin.key` }] });
    let page;
    try {
      page = await b.context.newPage();
      await open(page, cluster.base + '/');
      await page.getByRole('button', { name: 'Use my client certificate' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.locator('.node').first().waitFor();
      check(await page.evaluate(() => sessionStorage.getItem('ckube.token')) === null, 'a token was stored');
    } catch (e) {
      await page?.screenshot({ path: new URL('./results/FAIL-certificate-browser.png', import.meta.url).pathname }).catch(() => {});
      throw e;
    } finally { await b.close(); }
    // And without a certificate the button says why it cannot.
    const n = await otherBrowser({});
    try {
      const page = await n.context.newPage();
      await open(page, cluster.base + '/');
      await page.getByRole('button', { name: 'Use my client certificate' }).click();
      await page.getByText('The browser presented no client certificate').waitFor();
    } finally { await n.close(); }
  } },

  { name: 'first load under 300 ms', timeout: 120000, async run({ page, cluster, perf, shot }) {
    // Fresh tabs with the HTTP cache off, each signed in (token in its
    // session storage before the page runs): navigation start to every
    // overview card filled (the page's "overview-ready" mark). The best run
    // must be under 300 ms (the machine's other load only adds); the median
    // and the load average are recorded beside it.
    const runs = [];
    // Up to three rounds of seven while the best stays over the mark: a
    // loaded machine (other builds) slows single runs, not the best of many.
    // No new tab after 70 s (a machine that slow fails the mark anyway, or
    // has it recorded under load, within the test's time).
    const t0 = Date.now();
    for (let i = 0; i < 21 && !(i % 7 === 0 && i && Math.min(...runs.map((r) => r.ready)) < 300) && !(i && Date.now() - t0 > 70000); i++) {
      const p = await page.context().newPage();
      await p.addInitScript((t) => sessionStorage.setItem('ckube.token', t), cluster.token);
      const cdp = await p.context().newCDPSession(p);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      let bytes = 0, requests = 0;
      cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests++; });
      await open(p, cluster.base + '/ui/');
      await until('the overview-ready mark', () => p.evaluate(() => performance.getEntriesByName('overview-ready').length > 0), 10000);
      const m = await p.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0];
        return { ready: Math.round(performance.getEntriesByName('overview-ready')[0].startTime),
          domContentLoaded: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd) };
      });
      runs.push({ ...m, requests, bytes });
      await cdp.detach();
      await p.close();
    }
    const sorted = runs.map((r) => r.ready).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const statics = await Promise.all(['/', '/assets/app.css', ...['api', 'dom', 'main', 'overview', 'charts'].map((m) => `/assets/js/${m}.js`)]
      .map((f) => request(cluster.base, 'GET', f, { headers: { Accept: 'text/html' } })));
    perf.firstLoad = { runs, best_ms: sorted[0], median_ms: median, max_ms: sorted[sorted.length - 1], loadavg: os.loadavg().map((x) => +x.toFixed(1)),
      cores: os.cpus().length, staticBytes: statics.reduce((s, r) => s + r.bytes, 0) };
    await signedIn(page, cluster, '/ui/');
    await page.locator('.node').first().waitFor();
    await shot('03-overview');
    timing(perf, sorted[0] < 300, `first load took ${sorted[0]} ms at best (median ${median} ms of ${sorted.length}, cache disabled)`);
  } },

  { name: 'deployment scales live in the list and from the detail page', async run({ page, cluster, shot }) {
    const r = await cluster.api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment('web', 2));
    check(r.status === 201, `create: ${r.status}`);
    await signedIn(page, cluster, '/ui/list/apps/v1/deployments');
    const row = page.locator('.row[data-key="default/web"]');
    await row.getByText('2/2').waitFor({ timeout: 60000 });
    await page.evaluate(() => { window.__sameDocument = true; });
    const s = await cluster.api('PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`, { spec: { replicas: 5 } }, 'application/merge-patch+json');
    check(s.status === 200, `scale: ${s.status}`);
    await row.getByText('5/5').waitFor({ timeout: 60000 });
    check(await page.evaluate(() => window.__sameDocument === true), 'the page reloaded');
    await page.locator('.pill', { hasText: 'live' }).waitFor();
    await shot('04-deployments-live');
    await row.locator('a').click();
    await page.getByRole('heading', { name: 'Deployment web' }).waitFor();
    await page.getByRole('button', { name: 'Scale' }).click();
    await page.fill('dialog input[name=replicas]', '3');
    await page.locator('dialog').getByRole('button', { name: 'Scale' }).click();
    try {
      await page.getByTestId('replicas').getByText('3 desired · 3 current · 3 ready').waitFor({ timeout: 60000 });
    } catch (e) { // say what the page and the API show (a timeout alone does not tell a stale page from a slow rollout)
      const now = await cluster.api('GET', `/apis/apps/v1/namespaces/${NS}/deployments/web`);
      const shown = await page.getByTestId('replicas').textContent().catch(() => '(none)');
      throw new Error(`${e.message}; the page shows "${shown}", the API spec.replicas ${now.body.spec?.replicas} status ${JSON.stringify(now.body.status)}`);
    }
    await page.getByText('Owned ReplicaSets').waitFor();
    await shot('05-deployment-detail');
    await page.getByRole('tab', { name: 'Events' }).click();
    await page.locator('td', { hasText: 'ScalingReplicaSet' }).first().waitFor();
    const d = await cluster.api('GET', `/apis/apps/v1/namespaces/${NS}/deployments/web`);
    check(d.body.spec.replicas === 3, `spec.replicas is ${d.body.spec.replicas}`);
  } },

  { name: 'edit YAML with a dry-run diff, then a 409 conflict explained', timeout: 120000, async run({ page, cluster, shot }) {
    await settled(cluster, 'web');
    await signedIn(page, cluster, '/ui/object/apps/v1/deployments/default/web');
    await page.getByRole('tab', { name: 'YAML' }).click();
    await page.getByRole('button', { name: 'Edit YAML' }).click();
    const L = 'Object YAML';
    check(await page.locator('[data-editor]').getAttribute('data-editor') === 'codemirror', 'the YAML editor is not CodeMirror (scripts/deps.sh bundles it)');
    const text = await editorText(page, L);
    check(/^kind: Deployment$/m.test(text), 'the editor has no YAML');
    // YAML highlighting: keys and literals coloured by the YAML mode
    await page.locator('.cm-content .yaml-key', { hasText: 'apiVersion' }).first().waitFor();
    check(await page.locator('.cm-content .yaml-literal').count() > 0, 'no literal is highlighted');
    // a key typed in the editor: the cursor to the first label's line (after its indentation), the text, Enter (auto-indented)
    const labelsLine = text.split('\n').findIndex((l) => l === '  labels:') + 1;
    check(labelsLine > 0, 'no metadata.labels line');
    await page.getByLabel(L).click();
    await page.keyboard.press('Control+Home');
    for (let i = 0; i < labelsLine; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
    await page.keyboard.press('Home');
    await page.keyboard.type('tier: frontend');
    await page.keyboard.press('Enter');
    const typed = await editorText(page, L);
    check(typed === text.replace(/^(  labels:\n)/m, '$1    tier: frontend\n'), `typing gave: ${typed.split('\n').slice(labelsLine - 1, labelsLine + 3).join(' / ')}`);
    await page.getByRole('button', { name: 'Review changes (dry run)' }).click();
    await page.locator('.diff .add', { hasText: 'tier: frontend' }).waitFor();
    await shot('07-yaml-dry-run-diff');
    await page.getByLabel(L).evaluate((n) => { n.closest('.cm-scroller').scrollTo(0, 0); window.scrollTo(0, 0); });
    await shot('06-yaml-editor');
    // The schema check: an unknown field is refused by the strict dry run, in plain words, and marked on its line.
    const good = await editorText(page, L);
    await editorPut(page, L, good.replace(/^  replicas: /m, '  replicaz: '));
    check(await page.getByRole('button', { name: 'Apply' }).count() === 0, 'the reviewed diff and its Apply outlived an edit');
    // live: a pause in typing has the server check the text and its verdict marked, before any Review
    await page.locator('.cm-lintRange-error', { hasText: 'replicaz' }).waitFor({ timeout: 15000 });
    await page.getByRole('button', { name: 'Review changes (dry run)' }).click();
    await page.getByRole('alert').getByText('unknown field "spec.replicaz"').waitFor();
    const line = good.split('\n').findIndex((l) => l.startsWith('  replicas: ')) + 1;
    await page.getByText(`Marked in the editor: line ${line} (spec.replicaz)`).waitFor();
    await page.locator('.cm-lintRange-error', { hasText: 'replicaz' }).waitFor();
    await page.locator('.cm-lintRange-error').scrollIntoViewIfNeeded();
    await shot('06b-yaml-field-error');
    // a YAML syntax error is marked by the parser in the editor, without the server
    await editorPut(page, L, good.replace(/^spec:$/m, 'spec: [oops'));
    await page.locator('.cm-lintRange-error').first().waitFor({ timeout: 15000 });
    await page.locator('.cm-lint-marker-error').first().hover();
    await page.getByText('YAML syntax error').first().waitFor();
    await shot('06c-yaml-syntax-error');
    await editorPut(page, L, good);
    await page.getByRole('button', { name: 'Review changes (dry run)' }).click();
    await page.locator('.diff .add', { hasText: 'tier: frontend' }).waitFor();
    await page.waitForTimeout(2000); // the live lint of the good text has run
    check(await page.locator('.cm-lintRange-error').count() === 0, 'an error mark outlived a clean dry run');
    const before = await cluster.api('GET', `/apis/apps/v1/namespaces/${NS}/deployments/web`);
    check(!before.body.metadata.labels.tier, 'the dry run changed the object');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('button', { name: 'Edit YAML' }).waitFor();
    const after = await cluster.api('GET', `/apis/apps/v1/namespaces/${NS}/deployments/web`);
    check(after.body.metadata.labels.tier === 'frontend', 'apply did not set the label');
    // Conflict: the object changes on the server while the editor holds the old version.
    await page.getByRole('button', { name: 'Edit YAML' }).click();
    const held = await editorText(page, L);
    const p = await cluster.api('PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/web`, { metadata: { labels: { other: 'change' } } }, 'application/merge-patch+json');
    check(p.status === 200, `patch: ${p.status}`);
    await editorPut(page, L, held.replace('tier: frontend', 'tier: backend'));
    await page.getByRole('button', { name: 'Review changes (dry run)' }).click();
    await page.getByRole('alert').getByText('Conflict:').waitFor();
    await page.getByText('the object has been modified; please apply your changes to the latest version and try again. Someone changed the object after you loaded it').waitFor();
    await shot('08-yaml-conflict');
    await page.getByRole('button', { name: 'Load the latest version' }).click();
    await until('the latest version in the editor', async () => (await editorText(page, L)).includes('other: change'), 10000);
  } },

  { name: 'rollback a deployment to an earlier revision', async run({ page, cluster, shot }) {
    const dep = `/apis/apps/v1/namespaces/${NS}/deployments/roll`;
    check((await cluster.api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment('roll', 2, 'nginx:1.19'))).status === 201, 'create');
    await until('revision 1', async () => (await cluster.api('GET', dep)).body.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1');
    await cluster.api('PATCH', dep, { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.20' }] } } } }, 'application/strategic-merge-patch+json');
    await until('revision 2 rolled out', async () => {
      const d = (await cluster.api('GET', dep)).body;
      return d.metadata.annotations['deployment.kubernetes.io/revision'] === '2' && d.status.updatedReplicas === 2 && d.status.availableReplicas === 2 && !d.status.unavailableReplicas;
    }, 30000);
    await signedIn(page, cluster, '/ui/object/apps/v1/deployments/default/roll');
    await page.getByRole('tab', { name: 'Rollouts' }).click();
    await page.getByRole('button', { name: 'Roll back to 1' }).click();
    await until('revision 3 with the first image', async () => {
      const d = (await cluster.api('GET', dep)).body;
      return d.metadata.annotations['deployment.kubernetes.io/revision'] === '3' && d.spec.template.spec.containers[0].image === 'nginx:1.19';
    }, 30000);
    await page.getByText('3 (current)').waitFor({ timeout: 20000 });
    await page.waitForTimeout(1500);
    await shot('09-rollout-timeline');
  } },

  { name: 'pause refuses a rollback, resume, rollout restart', async run({ page, cluster }) {
    const dep = `/apis/apps/v1/namespaces/${NS}/deployments/roll`;
    await signedIn(page, cluster, '/ui/object/apps/v1/deployments/default/roll');
    await page.getByRole('button', { name: 'Pause' }).click();
    await until('paused', async () => (await cluster.api('GET', dep)).body.spec.paused === true);
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await page.getByRole('tab', { name: 'Rollouts' }).click();
    await page.getByRole('button', { name: /^Roll back to / }).first().click();
    await page.getByText('You cannot roll back a paused Deployment: resume it first.').waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await until('resumed', async () => !(await cluster.api('GET', dep)).body.spec.paused);
    const rev = Number((await cluster.api('GET', dep)).body.metadata.annotations['deployment.kubernetes.io/revision']);
    await page.getByRole('button', { name: 'Restart' }).click();
    await until('a new revision from the restart', async () => {
      const d = (await cluster.api('GET', dep)).body;
      return Number(d.metadata.annotations['deployment.kubernetes.io/revision']) === rev + 1 &&
        d.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'];
    }, 20000);
    await page.getByText(`${rev + 1} (current)`).waitFor({ timeout: 20000 });
  } },

  { name: 'create from multi-document YAML', async run({ page, cluster, shot }) {
    await signedIn(page, cluster, '/ui/create');
    await editorPut(page, 'YAML to create', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata: {a: "1"}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: two, namespace: kube-public}\ndata: {b: "2"}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n');
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByText('ConfigMap one: valid').waitFor();
    check((await cluster.api('GET', `/api/v1/namespaces/${NS}/configmaps/one`)).status === 404, 'the dry run created the object');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByText('ConfigMap one created').waitFor();
    await page.getByText('ConfigMap two created').waitFor();
    await page.locator('li.error', { hasText: 'Bad_Name' }).waitFor();
    await page.locator('.cm-lintRange-error', { hasText: 'name: Bad_Name' }).waitFor(); // marked on its line in the stream
    await shot('10-create-yaml');
    check((await cluster.api('GET', '/api/v1/namespaces/kube-public/configmaps/two')).status === 200, 'two is not in kube-public');
  } },

  { name: 'namespace switcher (all namespaces), label selector and search', async run({ page, cluster, shot }) {
    await signedIn(page, cluster, '/ui/list/core/v1/configmaps');
    await page.locator('.row[data-key="default/one"]').waitFor();
    check(await page.locator('.row[data-key="kube-public/two"]').count() === 0, 'another namespace in the default list');
    await page.selectOption('#ns-select', '');
    await page.getByRole('columnheader', { name: 'NAMESPACE' }).waitFor();
    await page.locator('.row[data-key="kube-public/two"]').waitFor();
    await page.locator('.row[data-key="default/one"]').waitFor();
    await open(page, cluster.base + '/ui/list/apps/v1/deployments');
    await page.locator('.row[data-key="default/roll"]').waitFor();
    await page.getByLabel('Label selector').fill('app=roll');
    await page.getByRole('button', { name: 'Filter' }).click();
    await until('only roll listed', async () => (await page.locator('.row:not([hidden])').count()) === 1 &&
      (await page.locator('.row[data-key="default/roll"]').count()) === 1);
    check(page.url().includes('labelSelector=app%3Droll'), 'the selector is not in the address');
    await page.getByLabel('Label selector').fill('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('.row[data-key="default/web"]').waitFor();
    await page.getByLabel('Search rows').fill('we');
    await until('search keeps web only', async () => (await page.locator('.row:not([hidden])').count()) === 1);
    await page.locator('.count', { hasText: '1 of' }).waitFor();
    await shot('10-list-all-namespaces-search');
  } },

  { name: 'keyboard: list rows by arrow keys, Enter opens; dark theme', async run({ page, cluster, shot }) {
    await signedIn(page, cluster, '/ui/list/core/v1/configmaps');
    await page.locator('.row').first().waitFor();
    await page.keyboard.press('/');
    check(await page.evaluate(() => document.activeElement.type === 'search'), '/ does not focus the search');
    await page.keyboard.type('one');
    await page.locator('.row[data-key="default/one"]').waitFor();
    await page.locator('.scroller').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'ConfigMap one' }).waitFor();
    await page.getByRole('tab', { name: 'Summary' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.locator('pre.code', { hasText: 'kind: ConfigMap' }).waitFor();
    check(await page.evaluate(() => document.activeElement.textContent) === 'YAML', 'ArrowRight did not move to the YAML tab');
    await page.click('#theme-toggle');
    const theme = await page.evaluate(() => document.documentElement.dataset.theme);
    await shot(`10-detail-${theme}-theme`);
    await page.click('#theme-toggle');
  } },

  { name: 'secret values hidden until revealed; narrow screen layout', async run({ page, cluster, shot }) {
    await cluster.api('POST', `/api/v1/namespaces/${NS}/secrets`, { metadata: { name: 'creds' }, stringData: { password: 's3cret-value' } });
    await signedIn(page, cluster, '/ui/object/core/v1/secrets/default/creds');
    await page.getByText('12 bytes, hidden').waitFor();
    check(!(await page.locator('main').innerText()).includes('s3cret-value'), 'the value shows before Reveal');
    await page.getByRole('button', { name: 'Reveal password' }).click();
    await page.getByText('s3cret-value').waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await open(page, cluster.base + '/ui/');
    await page.locator('.node').first().waitFor();
    await shot('11-overview-narrow');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(overflow <= 0, `the page scrolls sideways by ${overflow} px on a phone`);
  } },

  { name: 'node cordon and uncordon; a Warning event on the overview', async run({ page, cluster, shot }) {
    await cluster.api('POST', `/api/v1/namespaces/${NS}/events`, { metadata: { name: 'disk.1' }, type: 'Warning', reason: 'DiskPressure',
      message: 'the disk is nearly full', involvedObject: { kind: 'Node', name: 'sim-1' }, count: 2,
      firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
    await signedIn(page, cluster, '/ui/object/core/v1/nodes/_/sim-1');
    await page.getByRole('button', { name: 'Cordon' }).click();
    await until('sim-1 unschedulable', async () => (await cluster.api('GET', '/api/v1/nodes/sim-1')).body.spec.unschedulable === true);
    await page.getByRole('button', { name: 'Uncordon' }).waitFor();
    await open(page, cluster.base + '/ui/');
    await page.locator('.node.s-warn', { hasText: 'sim-1' }).waitFor();
    await page.getByRole('cell', { name: 'the disk is nearly full' }).waitFor();
    await shot('11-overview-cordoned');
    await open(page, cluster.base + '/ui/object/core/v1/nodes/_/sim-1');
    await page.getByRole('button', { name: 'Uncordon' }).click();
    await until('sim-1 schedulable', async () => !(await cluster.api('GET', '/api/v1/nodes/sim-1')).body.spec.unschedulable);
  } },

  { name: 'the list watch resumes after the server restarts', async run({ page, cluster, shot }) {
    await signedIn(page, cluster, '/ui/list/apps/v1/deployments');
    await page.locator('.row[data-key="default/web"]').waitFor();
    await page.locator('.pill', { hasText: 'live' }).waitFor();
    await page.evaluate(() => { window.__sameDocument = true; });
    await cluster.restartServer(1500);
    check((await cluster.api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment('after-restart', 1))).status === 201, 'create');
    await page.locator('.row[data-key="default/after-restart"]').waitFor({ timeout: 30000 });
    await page.locator('.pill', { hasText: 'live' }).waitFor();
    check(await page.evaluate(() => window.__sameDocument === true), 'the page reloaded');
    await cluster.api('DELETE', `/apis/apps/v1/namespaces/${NS}/deployments/after-restart`);
    await page.locator('.row[data-key="default/after-restart"]').waitFor({ state: 'detached', timeout: 20000 });
  } },

  { name: 'node metrics chart from metrics.k8s.io', async run({ page, cluster, shot }) {
    await until('sim-0 metrics', async () => (await cluster.api('GET', '/apis/metrics.k8s.io/v1beta1/nodes/sim-0')).status === 200, 30000);
    await signedIn(page, cluster, '/ui/object/core/v1/nodes/_/sim-0');
    await page.getByRole('tab', { name: 'Metrics' }).click();
    const cpu = page.getByTestId('metric-millicores');
    await cpu.waitFor();
    const m = (await cluster.api('GET', '/apis/metrics.k8s.io/v1beta1/nodes/sim-0')).body;
    check(/^[0-9.]+ millicores$/.test(await cpu.innerText()), 'no CPU value');
    check(m.usage.cpu, 'the API has no usage');
    await page.waitForTimeout(5500); // a second sample
    check(await page.locator('svg.chart circle').count() >= 4, 'no second sample drawn');
    await shot('12-node-metrics');
  } },

  { name: 'drain a node: cordoned, its pods evicted and replaced elsewhere', async run({ page, cluster, shot }) {
    const onNode = async (n) => (await cluster.api('GET', `/api/v1/namespaces/${NS}/pods?fieldSelector=spec.nodeName%3D${n}`)).body.items
      .filter((p) => !p.metadata.deletionTimestamp);
    const node = (await Promise.all(['sim-0', 'sim-1', 'sim-2'].map(async (n) => [n, (await onNode(n)).length]))).sort((a, b) => b[1] - a[1])[0][0];
    check((await onNode(node)).length > 0, 'no pod to drain');
    await signedIn(page, cluster, `/ui/object/core/v1/nodes/_/${node}`);
    await page.getByRole('button', { name: 'Drain' }).click();
    await page.locator('dialog').getByRole('button', { name: 'Drain' }).click();
    await page.getByText(new RegExp(`${node} cordoned; \\d+ pods evicted`)).waitFor();
    await until(`${node} empty`, async () => (await onNode(node)).length === 0, 30000);
    check((await cluster.api('GET', `/api/v1/nodes/${node}`)).body.spec.unschedulable === true, 'not cordoned');
    await until('web available again on the other nodes', async () => {
      const d = (await cluster.api('GET', `/apis/apps/v1/namespaces/${NS}/deployments/web`)).body;
      return d.status.availableReplicas === d.spec.replicas;
    }, 30000);
    await shot('12-node-drained');
    await cluster.api('PATCH', `/api/v1/nodes/${node}`, { spec: { unschedulable: null } }, 'application/merge-patch+json');
  } },

  { name: 'delete with a propagation choice', async run({ page, cluster }) {
    await signedIn(page, cluster, '/ui/object/core/v1/configmaps/default/one');
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByLabel(/Orphan/).check();
    await page.locator('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL('**/ui/list/core/v1/configmaps');
    await until('one deleted', async () => (await cluster.api('GET', `/api/v1/namespaces/${NS}/configmaps/one`)).status === 404);
  } },

  { name: 'pod logs say plainly when there is nothing to show', async run({ page, cluster, shot }) {
    const pods = (await cluster.api('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dweb`)).body.items;
    const pod = pods.find((p) => p.status.phase === 'Running') || pods[0];
    await signedIn(page, cluster, `/ui/object/core/v1/pods/default/${pod.metadata.name}`);
    await page.getByRole('tab', { name: 'Logs' }).click();
    await page.getByText(/The log is empty|The log is not available/).waitFor();
    await shot('13-pod-logs');
  } },

  { name: 'accessibility: no serious axe-core violations on the main pages, both themes', timeout: 180000, async run({ cluster, otherBrowser }) {
    // axe-core is injected as a script, which the console's CSP refuses: this browser bypasses the CSP.
    const b = await otherBrowser({ bypassCSP: true });
    const problems = [];
    try {
      const page = await b.context.newPage();
      await page.addInitScript((t) => sessionStorage.setItem('ckube.token', t), cluster.token);
      const pages = [['/ui/sign-in', 'h1'], ['/ui/', '.node'], ['/ui/list/apps/v1/deployments', '.row'],
        ['/ui/object/apps/v1/deployments/default/web', 'dl.summary'], ['/ui/create', '[data-editor]']];
      for (const theme of ['light', 'dark']) {
        for (const [path, ready] of pages) {
          await open(page, cluster.base + path);
          await page.evaluate((t) => { localStorage.setItem('ckube.theme', t); document.documentElement.dataset.theme = t; }, theme);
          await page.locator(ready).first().waitFor();
          await page.waitForTimeout(300); // toasts and late cards
          await page.addScriptTag({ path: new URL('./node_modules/axe-core/axe.min.js', import.meta.url).pathname });
          const found = await page.evaluate(async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => `${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(', ')}`));
          for (const f of found) problems.push(`${theme} ${path}: ${f}`);
        }
      }
      // The check itself can fail: an unnamed button is a serious violation.
      const control = await page.evaluate(async () => {
        document.querySelector('main').append(document.createElement('button'));
        return (await axe.run(document, { resultTypes: ['violations'] })).violations.map((v) => v.id);
      });
      check(control.includes('button-name'), `axe did not see an unnamed button: ${control}`);
    } finally { await b.close(); }
    check(!problems.length, problems.join(' | '));
  } },

  { name: '10,000 pods: list loads, scrolls and sorts (virtual rows)', timeout: 240000, async run({ page, cluster, perf, shot }) {
    const N = 10000, ns = 'bulk';
    check((await cluster.api('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status === 201, 'namespace');
    // Pods for no scheduler stay Pending: the list is what is measured, not the simulated kubelet.
    const t0 = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        const r = await cluster.api('POST', `/api/v1/namespaces/${ns}/pods`, { metadata: { name: `p-${String(i).padStart(5, '0')}`, labels: { app: 'bulk', shard: String(i % 10) } },
          spec: { schedulerName: 'none', containers: [{ name: 'c', image: 'busybox' }] } });
        if (r.status !== 201) throw new Error(`pod ${i}: ${r.status}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const createMs = Date.now() - t0;
    await open(page, cluster.base + '/ui/sign-in');
    await page.evaluate((t) => { sessionStorage.setItem('ckube.token', t); sessionStorage.setItem('ckube.ns', 'bulk'); }, cluster.token);
    const l0 = Date.now();
    await open(page, cluster.base + '/ui/list/core/v1/pods');
    await page.locator('.count', { hasText: `${N} pods` }).waitFor({ timeout: 60000 });
    const listMs = Date.now() - l0;
    await page.locator('.pill', { hasText: 'live' }).waitFor();
    // Scroll the whole list in 300 animation frames and time every frame;
    // 120 idle frames first give the machine's own frame time (other
    // processes share these cores), which the scrolling is compared with.
    const scroll = await page.evaluate(async () => {
      const sc = document.querySelector('.scroller');
      const idle = [];
      let t = performance.now();
      for (let i = 0; i < 120; i++) {
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        idle.push(now - t);
        t = now;
      }
      const frames = [];
      let maxRows = 0;
      const step = (sc.scrollHeight - sc.clientHeight) / 300;
      let last = performance.now();
      for (let i = 1; i <= 300; i++) {
        sc.scrollTop = step * i;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        frames.push(now - last);
        last = now;
        maxRows = Math.max(maxRows, sc.querySelectorAll('.row').length);
      }
      frames.sort((a, b) => a - b);
      const lastRow = [...sc.querySelectorAll('.row:not([hidden])')].sort((a, b) => b.getAttribute('aria-rowindex') - a.getAttribute('aria-rowindex'))[0];
      const mean = (xs) => +(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1);
      idle.sort((a, b) => a - b);
      return { idle_mean_ms: mean(idle), idle_p95_ms: +idle[Math.floor(idle.length * 0.95)].toFixed(1),
        frames: frames.length, mean_ms: mean(frames),
        p95_ms: +frames[Math.floor(frames.length * 0.95)].toFixed(1), max_ms: +frames[frames.length - 1].toFixed(1),
        over50ms: frames.filter((f) => f > 50).length, maxRowsInDom: maxRows, lastRow: lastRow && lastRow.dataset.key };
    });
    await shot('14-10k-pods-scrolled');
    await page.locator('.scroller').evaluate((el) => { el.scrollTop = 0; });
    await page.getByRole('button', { name: /^NAME/ }).click();
    await page.locator('.row[aria-rowindex="1"][data-key="bulk/p-00000"]').waitFor();
    const s0 = Date.now();
    await page.getByRole('button', { name: /^NAME ▲/ }).click();
    await page.locator('.row[aria-rowindex="1"][data-key="bulk/p-09999"]').waitFor();
    const sortMs = Date.now() - s0;
    // A new pod appears live at the top of the descending list.
    await cluster.api('POST', `/api/v1/namespaces/${ns}/pods`, { metadata: { name: 'p-99999' }, spec: { schedulerName: 'none', containers: [{ name: 'c', image: 'busybox' }] } });
    await page.locator('.row[aria-rowindex="1"][data-key="bulk/p-99999"]').waitFor();
    await page.locator('.count', { hasText: `${N + 1} pods` }).waitFor();
    await shot('15-10k-pods-sorted');
    perf.pods10k = { createMs, listLoadMs: listMs, sortMs, scroll };
    check(scroll.maxRowsInDom < 120, `${scroll.maxRowsInDom} rows in the DOM: not virtual`);
    check(scroll.lastRow === 'bulk/p-09999', `the list does not end at the last pod (${scroll.lastRow})`);
    timing(perf, scroll.mean_ms - scroll.idle_mean_ms < 16, `scrolling costs ${(scroll.mean_ms - scroll.idle_mean_ms).toFixed(1)} ms a frame over idle frames (${scroll.mean_ms} vs ${scroll.idle_mean_ms})`);
  } },

  { name: 'follow pod logs', async run({ page, cluster, shot }) {
    await tickerPod(cluster);
    await signedIn(page, cluster, '/ui/object/core/v1/pods/default/ticker');
    await page.getByRole('tab', { name: 'Logs' }).click();
    const log = page.getByLabel('Log', { exact: true });
    await until('tick 2 in the log', async () => /tick 2\b/.test(await log.innerText()), 20000);
    const first = (await log.innerText()).trim().split('\n').length;
    // followed: later lines arrive on the open page, no reload
    await until('the log grows', async () => (await log.innerText()).trim().split('\n').length >= first + 4, 20000);
    await shot('16-logs-follow');
    await page.getByPlaceholder('Search the log').fill('tick 1');
    await until('only matching lines', async () => {
      const lines = (await log.innerText()).trim().split('\n');
      return lines.length >= 1 && lines.every((l) => l.includes('tick 1'));
    }, 5000);
  } },

  { name: 'run a command in the exec terminal', async run({ page, cluster, shot }) {
    await tickerPod(cluster);
    await signedIn(page, cluster, '/ui/object/core/v1/pods/default/ticker');
    await page.getByRole('tab', { name: 'Terminal' }).click();
    await page.getByText(/Connected to ticker\/tick/).waitFor({ timeout: 20000 });
    const term = page.getByTestId('terminal');
    await term.click();
    await page.keyboard.type('echo hello-$((6*7)) from $(hostname)\n');
    await until('the command\'s output', async () => /hello-42 from ticker/.test(await term.locator('.xterm-rows').innerText()), 15000);
    await shot('17-exec-terminal');
    await page.keyboard.type('exit 3\n');
    await page.getByText(/The session ended/).waitFor({ timeout: 15000 });
  } },

  { name: 'TLS certificates: a Secret\'s subject, SANs, issuer and expiry; what an Ingress\'s certificates cover', async run({ page, cluster, shot }) {
    const soon = certificate('shop.example.com', ['shop.example.com', '*.api.example.com'], -1, 20);
    const old = certificate('old.example.com', ['old.example.com'], -60, -3);
    for (const [name, c] of [['shop-tls', soon], ['old-tls', old]])
      check((await cluster.api('POST', `/api/v1/namespaces/${NS}/secrets`, tlsSecret(name, c))).status === 201, `secret ${name}`);
    const ing = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'secure' }, spec: {
      tls: [{ hosts: ['shop.example.com', 'v1.api.example.com', 'other.example.com'], secretName: 'shop-tls' },
        { hosts: ['old.example.com'], secretName: 'old-tls' }, { hosts: ['lost.example.com'], secretName: 'no-such-secret' }],
      rules: ['shop.example.com', 'v1.api.example.com', 'old.example.com', 'plain.example.com'].map((host) => ({ host, http: { paths: [
        { path: '/', pathType: 'Prefix', backend: { service: { name: 'shop', port: { number: 80 } } } }] } })) } };
    check((await cluster.api('POST', '/apis/networking.k8s.io/v1/namespaces/default/ingresses', ing)).status === 201, 'secure ingress');
    // the Secret: its certificate read in the browser
    await signedIn(page, cluster, '/ui/object/core/v1/secrets/default/shop-tls');
    const cert = page.getByLabel('Certificate', { exact: true });
    await cert.waitFor();
    const text = await cert.innerText();
    check(/Subject\s+CN=shop\.example\.com, O=ckube tests/.test(text), `subject: ${JSON.stringify(text)}`);
    check(text.includes('*.api.example.com') && /\(self-signed\)/.test(text), `SANs or issuer: ${text}`);
    const pill = cert.getByTestId('cert-expiry');
    check(/^expires in (19|20) days$/.test(await pill.innerText()) && /s-warn/.test(await pill.getAttribute('class')), `expiry: ${await pill.innerText()}`);
    await shot('21-tls-secret');
    // the Ingress: each entry's certificate and the hosts it covers
    await open(page, cluster.base + '/ui/object/networking.k8s.io/v1/ingresses/default/secure');
    await page.locator('dl.summary').first().locator('.chip', { hasText: 'plain.example.com' }).waitFor(); // the summary's hosts
    const first = page.getByRole('region', { name: 'TLS entry 1' });
    await first.getByLabel('Certificate of shop-tls').waitFor();
    const row = (entry, host) => entry.getByRole('row').filter({ has: page.getByRole('cell', { name: host, exact: true }) });
    check(/covers it/.test(await row(first, 'shop.example.com').innerText()), 'shop.example.com not covered');
    check(/covers it/.test(await row(first, 'v1.api.example.com').innerText()), 'the wildcard does not cover v1.api.example.com');
    check(/does not cover it/.test(await row(first, 'other.example.com').innerText()), 'other.example.com said covered');
    const second = page.getByRole('region', { name: 'TLS entry 2' });
    const expired = second.getByTestId('cert-expiry');
    check(/^expired 3 days ago$/.test(await expired.innerText()) && /s-bad/.test(await expired.getAttribute('class')), `expired: ${await expired.innerText()}`);
    await page.getByRole('region', { name: 'TLS entry 3' }).getByText('The Secret no-such-secret does not exist.').waitFor();
    await page.getByText('Rule hosts in no TLS entry (no certificate of this Ingress): plain.example.com.').waitFor();
    await first.scrollIntoViewIfNeeded();
    await shot('22-ingress-tls');
  } },

  { name: 'move the canary slider and see the split change', timeout: 120000, async run({ page, cluster, shot }) {
    for (const [name, replicas] of [['shop', 1], ['shop-v2', 1]]) {
      const d = deployment(name, replicas, 'sysnet4admin/echo-hname');
      d.spec.template.spec.nodeName = cluster.realNode;
      check((await cluster.api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, d)).status === 201, `create ${name}`);
      const svc = { metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }] } };
      check((await cluster.api('POST', `/api/v1/namespaces/${NS}/services`, svc)).status === 201, `service ${name}`);
    }
    const ingress = (name, svc, annotations) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, annotations },
      spec: { rules: [{ host: 'shop.local', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: svc, port: { number: 80 } } } }] } }] } });
    const ING = '/apis/networking.k8s.io/v1/namespaces/default/ingresses';
    check((await cluster.api('POST', ING, ingress('shop', 'shop', {}))).status === 201, 'main ingress');
    check((await cluster.api('POST', ING, ingress('shop-canary', 'shop-v2',
      { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '10' }))).status === 201, 'canary ingress');
    // end-user traffic through the proxy, all along
    const hit = () => new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: cluster.ingressPort, path: '/', headers: { Host: 'shop.local' }, agent: keepAlive },
        (res) => { let body = ''; res.on('data', (c) => { body += c; }); res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : null)); });
      req.on('error', () => resolve(null));
      req.end();
    });
    await until('both backends serve', async () => {
      const seen = new Set();
      for (let i = 0; i < 30; i++) seen.add(await hit());
      return [...seen].some((n) => n && n.startsWith('shop-v2-')) && [...seen].some((n) => n && /^shop-[0-9a-f]+-/.test(n));
    }, 40000);
    let traffic = true;
    const load = (async () => { while (traffic) { await hit(); await new Promise((r) => setTimeout(r, 5)); } })();
    try {
      await signedIn(page, cluster, '/ui/object/networking.k8s.io/v1/ingresses/default/shop-canary');
      // the tab loads its module on first use: a load Chromium aborted (the machine's network changed)
      // is said in the panel, and choosing the tab again loads it again
      const picture = page.getByRole('img', { name: /Routing of this Ingress: shop\.local\/ to shop-v2:80/ });
      await until('the Traffic tab', async () => {
        await page.getByRole('tab', { name: 'Traffic' }).click();
        return picture.waitFor({ timeout: 5000 }).then(() => true, () => false);
      }, 30000);
      const observed = page.getByTestId('observed-split');
      const share = async () => Number((/([0-9.]+)% canary/.exec(await observed.innerText()) || [])[1]);
      await until('about 10% observed', async () => { const v = await share(); return v >= 5 && v <= 15; }, 20000);
      await shot('18-canary-10');
      const slider = page.getByLabel('Canary weight');
      await slider.fill('60');
      await page.getByText('Weight 60 of 100 saved.').waitFor();
      const ann = (await cluster.api('GET', `${ING}/shop-canary`)).body.metadata.annotations['nginx.ingress.kubernetes.io/canary-weight'];
      check(ann === '60', `canary-weight is ${ann}`);
      await until('about 60% observed', async () => { const v = await share(); return v >= 50 && v <= 70; }, 30000);
      await shot('19-canary-60');
      // this Ingress's request rate and p50/p99 latency over time, from the proxy's histogram
      const num = async (id) => Number((/^([0-9.]+) /.exec(await page.getByTestId(id).innerText()) || [])[1]);
      await until('a request rate and latencies charted', async () =>
        (await page.getByTestId('ingress-rate').count()) && await num('ingress-rate') > 0 && await num('ingress-latency-1') > 0, 20000);
      const [rate, p50, p99] = [await num('ingress-rate'), await num('ingress-latency-0'), await num('ingress-latency-1')];
      check(p50 > 0 && p99 >= p50 && p99 < 10000, `latency p50 ${p50} ms, p99 ${p99} ms`);
      // the canary's share of the client's requests, which wait for each other: a few to some hundreds a second
      check(rate > 1 && rate < 5000, `rate ${rate} requests/s`);
      const points = await page.getByRole('img', { name: /^Latency: p50 [0-9.]+ ms, p99 [0-9.]+ ms now$/ }).locator('circle').count();
      check(points >= 4, `${points} latency points`);
      await page.getByRole('heading', { name: 'Requests and latency' }).evaluate((el) => { el.scrollIntoView({ block: 'start' }); window.scrollBy(0, -60); });
      await shot('19b-ingress-latency');
      // the overview's Ingress card: the request rate between two of its refreshes, per Ingress
      await open(page, cluster.base + '/ui/');
      const total = page.getByTestId('ingress-total-rate');
      await until('the overview\'s Ingress request rate', async () =>
        (await total.count()) > 0 && Number((/^([0-9.]+) /.exec(await total.innerText()) || [])[1]) > 1, 30000);
      const card = page.getByRole('img', { name: 'Requests per second by Ingress' });
      check(/shop/.test(await card.innerHTML()), 'the Ingress card has no bar for shop');
      await page.locator('#ov-ing').scrollIntoViewIfNeeded();
      await shot('19c-overview-ingress-rate');
    } finally {
      traffic = false;
      await load;
    }
  } },
  { name: 'a forbidden action is explained', async run({ page, cluster, shot }) {
    // a ServiceAccount bound to the view ClusterRole in default, and a Deployment it may read but not change
    check((await cluster.api('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { metadata: { name: 'viewer' } })).status === 201, 'viewer SA');
    check((await cluster.api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, { metadata: { name: 'viewer-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: NS }] })).status === 201, 'viewer binding');
    check((await cluster.api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment('guarded', 1))).status === 201, 'guarded');
    const secret = await until('the viewer token', async () =>
      (await cluster.api('GET', `/api/v1/namespaces/${NS}/secrets?fieldSelector=type%3Dkubernetes.io%2Fservice-account-token`)).body.items
        .find((x) => x.metadata.annotations['kubernetes.io/service-account.name'] === 'viewer'));
    await open(page, cluster.base + '/ui/sign-in');
    await page.fill('#token', Buffer.from(secret.data.token, 'base64').toString());
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await open(page, cluster.base + '/ui/object/apps/v1/deployments/default/guarded');
    await page.getByRole('heading', { name: 'Deployment guarded' }).waitFor();
    // what the user may not do is disabled, with the reason
    const del = page.getByRole('button', { name: 'Delete' });
    await del.waitFor();
    check(await del.isDisabled(), 'Delete is enabled for a viewer');
    check(/You may not delete deployments/.test(await del.getAttribute('title') || ''), `Delete's title: ${await del.getAttribute('title')}`);
    // a forbidden write is explained in plain words with the API's message
    await page.getByRole('tab', { name: 'YAML' }).click();
    await page.getByRole('button', { name: 'Edit YAML' }).click();
    await editorPut(page, 'Object YAML', (await editorText(page, 'Object YAML')).replace(/^(  labels:\n)/m, '$1    tier: nope\n'));
    await page.getByRole('button', { name: 'Review changes (dry run)' }).click();
    await page.getByRole('alert').getByText(
      'You are not allowed to do this: deployments.apps "guarded" is forbidden: User "system:serviceaccount:default:viewer" cannot update resource "deployments" in API group "apps" in the namespace "default"').waitFor();
    await shot('20-forbidden-explained');
    const d = await cluster.api('GET', `/apis/apps/v1/namespaces/${NS}/deployments/guarded`);
    check(!(d.body.metadata.labels || {}).tier, 'the forbidden edit changed the object');
  } },

];
